"""Reading image files safely: every file becomes a normalised RGB ``PIL.Image`` or a rejection
with a reason (the DataTrove habit: every dropped record says why).

Normalisation: EXIF orientation applied; CMYK / 16-bit / palette / LA / alpha converted to 8-bit
RGB (alpha composited on white); animated images use their first frame.
Rejections: zero-byte, not an image, truncated/corrupt, decompression bomb (pixel limit),
too small."""
from __future__ import annotations

import dataclasses
import hashlib
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 64_000_000  # decompression-bomb limit; PIL's own default warns at ~89M
MIN_SIDE = 16            # below this a copy-detection descriptor carries no signal


class BadImage(ValueError):
    """An image that cannot be used; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclasses.dataclass
class LoadedImage:
    image: Image.Image          # RGB, 8 bits per channel
    original_mode: str          # PIL mode before normalisation, e.g. 'CMYK', 'I;16', 'P'
    notes: list[str]            # normalisations applied, e.g. ['exif_rotated', 'alpha_on_white']


def _to_rgb(im: Image.Image, notes: list[str]) -> Image.Image:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit / float grey: rescale the real range to 8 bits instead of PIL's clipping.
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
        notes.append(f"rescaled_{mode}")
        return Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    if mode == "P":
        notes.append("palette")
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append("alpha_on_white")
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "CMYK":
        notes.append("cmyk")
    if mode != "RGB":
        return im.convert("RGB")
    return im


def load_image(path: str | Path, max_pixels: int = MAX_PIXELS, min_side: int = MIN_SIDE) -> LoadedImage:
    """Open ``path`` and return it as normalised RGB, or raise ``BadImage(reason)``.

    Reasons: ``missing``, ``zero_byte``, ``not_an_image``, ``decompression_bomb``, ``corrupt``,
    ``too_small``."""
    path = Path(path)
    if not path.is_file():
        raise BadImage("missing", str(path))
    if path.stat().st_size == 0:
        raise BadImage("zero_byte", str(path))
    try:
        with Image.open(path) as probe:
            # The header gives the size before any pixel is decoded: refuse bombs here.
            w, h = probe.size
            if w * h > max_pixels:
                raise BadImage("decompression_bomb", f"{w}x{h} > {max_pixels} pixels")
            n_frames = getattr(probe, "n_frames", 1)
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                probe.seek(0)
                probe.load()  # decodes fully: truncated files fail here
                original_mode = probe.mode
                notes = ["first_frame"] if n_frames > 1 else []
                exif_orientation = probe.getexif().get(0x0112, 1)
                im = ImageOps.exif_transpose(probe) if exif_orientation not in (1, None) else probe.copy()
                if exif_orientation not in (1, None):
                    notes.append(f"exif_rotated_{exif_orientation}")
    except BadImage:
        raise
    except UnidentifiedImageError as exc:
        raise BadImage("not_an_image", str(exc)) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadImage("decompression_bomb", str(exc)) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadImage("corrupt", f"{type(exc).__name__}: {exc}") from exc
    if min(im.size) < min_side:
        raise BadImage("too_small", f"{im.size[0]}x{im.size[1]} < {min_side}px side")
    return LoadedImage(_to_rgb(im, notes), original_mode, notes)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
