"""DISC21-like transformed copies for the copy-detection evaluation and the planted demo copies.

Uses AugLy (the library DISC21 was made with) when it imports; each transform has a PIL fallback
so the evaluation still runs without it. Every copy records the transforms applied, so the report
can break recall down by transform."""
from __future__ import annotations

import random
from typing import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Transform = Callable[[Image.Image, random.Random], Image.Image]


def _augly():
    try:
        import augly.image as imaugs  # heavy-ish import, optional dependency
        return imaugs
    except Exception:  # noqa: BLE001 - any import failure means "use the PIL fallback"
        return None


def _jpeg(im, rng):
    import io
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=rng.randint(10, 40))
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _resize(im, rng):
    s = rng.uniform(0.3, 0.8)
    return im.resize((max(16, int(im.width * s)), max(16, int(im.height * s * rng.uniform(0.8, 1.2)))),
                     Image.BILINEAR)


def _crop(im, rng):
    # keep 50-90 % of the area: side fraction sqrt(area) in each direction
    area = rng.uniform(0.5, 0.9)
    fw = min(1.0, area ** 0.5 * rng.uniform(0.9, 1.1))
    fh = min(1.0, area / fw)
    x1, y1 = rng.uniform(0, 1 - fw), rng.uniform(0, 1 - fh)
    box = (int(x1 * im.width), int(y1 * im.height), int((x1 + fw) * im.width), int((y1 + fh) * im.height))
    return im.crop(box)


def _rotate(im, rng):
    return im.rotate(rng.uniform(-25, 25), expand=True, resample=Image.BILINEAR)


def _hflip(im, rng):
    return ImageOps.mirror(im)


def _jitter(im, rng):
    im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.6, 1.4))
    im = ImageEnhance.Contrast(im).enhance(rng.uniform(0.6, 1.4))
    return ImageEnhance.Color(im).enhance(rng.uniform(0.0, 2.0))


def _blur(im, rng):
    return im.filter(ImageFilter.GaussianBlur(radius=rng.uniform(1.0, 3.0) * max(im.size) / 512))


def _pad(im, rng):
    color = tuple(rng.randint(0, 255) for _ in range(3))
    w, h = int(im.width * rng.uniform(0.05, 0.3)), int(im.height * rng.uniform(0.05, 0.3))
    return ImageOps.expand(im, border=(w, h, w, h), fill=color)


def _text(im, rng):
    im = im.copy()
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(1, 3)):
        xy = (rng.randint(0, im.width // 2), rng.randint(0, im.height - 20))
        draw.text(xy, "COPY " * rng.randint(1, 4), fill=tuple(rng.randint(0, 255) for _ in range(3)),
                  font_size=max(12, im.height // 10))
    return im


def _emoji(im, rng):
    im = im.copy()
    draw = ImageDraw.Draw(im)
    r = int(min(im.size) * rng.uniform(0.1, 0.25))
    cx, cy = rng.randint(r, im.width - r), rng.randint(r, im.height - r)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 204, 0))
    return im


def _screenshot(im, rng):
    frame = Image.new("RGB", (int(im.width * 1.3), int(im.height * 1.5)), (240, 240, 240))
    draw = ImageDraw.Draw(frame)
    draw.rectangle((0, 0, frame.width, int(frame.height * 0.12)), fill=(60, 90, 160))
    frame.paste(im, (int(im.width * 0.15), int(frame.height * 0.2)))
    return frame


def _perspective(im, rng):
    """Move each corner by up to 12 % of the size inward/outward (a photo of a screen or print)."""
    import numpy as np

    w, h = im.size
    dst = [(0, 0), (w, 0), (w, h), (0, h)]
    src = [(x + rng.uniform(-0.12, 0.12) * w, y + rng.uniform(-0.12, 0.12) * h) for x, y in dst]
    # coefficients mapping output (x, y) → input: PIL's 8-parameter perspective transform
    a = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(a, float), np.array([c for p in src for c in p], float))
    return im.transform((w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BILINEAR)


def _augly_variant(name: str, fallback: Transform) -> Transform:
    def apply(im: Image.Image, rng: random.Random) -> Image.Image:
        A = _augly()
        if A is None:
            return fallback(im, rng)
        try:
            if name == "text":
                return A.overlay_text(im, text=[rng.randint(0, 1000) for _ in range(rng.randint(5, 15))],
                                      font_size=rng.uniform(0.1, 0.3), x_pos=rng.uniform(0, 0.5),
                                      y_pos=rng.uniform(0, 0.7), color=tuple(rng.randint(0, 255) for _ in range(3)))
            if name == "emoji":
                return A.overlay_emoji(im, emoji_size=rng.uniform(0.15, 0.4), x_pos=rng.uniform(0, 0.6),
                                       y_pos=rng.uniform(0, 0.6), opacity=rng.uniform(0.7, 1.0))
            if name == "screenshot":
                return A.overlay_onto_screenshot(im, crop_src_to_fit=rng.random() < 0.5)
            if name == "stripes":
                return A.overlay_stripes(im, line_width=rng.uniform(0.1, 0.4), line_density=rng.uniform(0.1, 0.3),
                                         line_angle=rng.uniform(0, 180), line_opacity=rng.uniform(0.3, 0.7))
        except Exception:  # noqa: BLE001 - AugLy is pinned to old Pillow APIs; fall back per call
            return fallback(im, rng)
        return fallback(im, rng)
    return apply


TRANSFORMS: dict[str, Transform] = {
    "resize": _resize, "crop": _crop, "rotate": _rotate, "hflip": _hflip, "jpeg": _jpeg,
    "color_jitter": _jitter, "blur": _blur, "pad": _pad,
    "text": _augly_variant("text", _text), "emoji": _augly_variant("emoji", _emoji),
    "screenshot": _augly_variant("screenshot", _screenshot),
    "stripes": _augly_variant("stripes", _text),
    # AugLy's perspective_transform uses np.float (removed in NumPy 2): PIL version only
    "perspective": _perspective,
}
SINGLE = list(TRANSFORMS)


def make_copy(im: Image.Image, seed: int, n_transforms: int | None = None) -> tuple[Image.Image, list[str]]:
    """A transformed copy of ``im`` (RGB) and the names of the transforms applied, in order.

    ``n_transforms`` None draws 1-3 (DISC21 mixes single transforms and combinations)."""
    rng = random.Random(seed)
    n = n_transforms or rng.choice([1, 1, 2, 2, 3])
    names = rng.sample(SINGLE, n)
    out = im.convert("RGB")
    for name in names:
        out = TRANSFORMS[name](out, rng).convert("RGB")
    if out.width * out.height > 2_000_000:  # keep screenshots of big images bounded
        s = (2_000_000 / (out.width * out.height)) ** 0.5
        out = out.resize((int(out.width * s), int(out.height * s)), Image.BILINEAR)
    return out, names
