"""A generated hard-negative image set for copy detection (issue #14): images that share a font, a
template or a layout but are not copies of each other — text pages of different random words,
screenshots of one application template with different content, slides of one layout — plus
transformed copies of some of them, which must still be found.

Drawn with Pillow's built-in scalable font (no system font needed), deterministic per seed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_SYLLABLES = ["ka", "lo", "mi", "tur", "sen", "va", "dor", "pel", "qui", "ra", "ne", "sto", "bal",
              "fen", "gri", "hu", "jo", "lex", "mon", "pra", "ti", "zu", "wer", "cas", "dim", "or"]


def _font(size: int):
    return ImageFont.load_default(size=size)


def _words(rng, n: int) -> list[str]:
    return ["".join(rng.choice(_SYLLABLES, rng.integers(1, 4))) for _ in range(n)]


def text_page(rng, size=(640, 820)) -> Image.Image:
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    font = _font(18)
    y = 40
    while y < size[1] - 50:
        d.text((40, y), " ".join(_words(rng, 9)), fill="black", font=font)
        y += 26
    return im


def screenshot(rng, size=(800, 520)) -> Image.Image:
    """One application template (title bar, sidebar, toolbar, buttons) with different content."""
    im = Image.new("RGB", size, (245, 245, 248))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, size[0], 36), fill=(40, 60, 110))
    d.text((14, 8), "Acme Console", fill="white", font=_font(18))
    d.rectangle((0, 36, 170, size[1]), fill=(225, 228, 235))
    for i, item in enumerate(["Home", "Projects", "Reports", "Settings", "Help"]):
        d.text((18, 56 + 34 * i), item, fill=(30, 30, 30), font=_font(16))
    d.rectangle((190, 50, 780, 86), outline=(150, 150, 160), fill="white")
    d.text((200, 58), " ".join(_words(rng, 4)), fill=(60, 60, 60), font=_font(16))
    for r in range(8):  # the varying part: table rows of random words and numbers
        y = 110 + 42 * r
        d.rectangle((190, y, 780, y + 34), outline=(210, 210, 215), fill="white")
        d.text((200, y + 8), " ".join(_words(rng, 3)), fill=(20, 20, 20), font=_font(16))
        d.text((560, y + 8), f"{rng.integers(0, 99999):>6}", fill=(20, 20, 20), font=_font(16))
    d.rectangle((640, 470, 780, 505), fill=(40, 110, 200))
    d.text((670, 478), "Save", fill="white", font=_font(16))
    return im


def slide(rng, size=(800, 600)) -> Image.Image:
    """One slide layout (header band, logo, title, bullets, footer) with different words."""
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, size[0], 90), fill=(200, 60, 40))
    d.ellipse((710, 15, 770, 75), fill="white")
    d.text((30, 28), " ".join(_words(rng, 3)).title(), fill="white", font=_font(32))
    for i in range(6):
        y = 130 + 62 * i
        d.ellipse((50, y + 8, 62, y + 20), fill=(200, 60, 40))
        d.text((80, y), " ".join(_words(rng, 5)), fill=(20, 20, 20), font=_font(24))
    d.line((30, 560, 770, 560), fill=(180, 180, 180), width=2)
    d.text((30, 568), "Company confidential", fill=(120, 120, 120), font=_font(14))
    return im


KINDS = {"text": text_page, "screen": screenshot, "slide": slide}


def write_hard_negatives(out_dir: Path, n_per_kind: int = 8, n_copies_per_kind: int = 2,
                         seed: int = 0) -> dict:
    """``out_dir/reference`` holds ``n_per_kind`` images of each kind; ``out_dir/benchmark`` holds
    ``n_per_kind`` other images of each kind (hard negatives: none is a copy) plus
    ``n_copies_per_kind`` transformed copies of reference images per kind. Returns
    {'reference': dir, 'benchmark': dir, 'negatives': [ids], 'copies': {bench id: ref id}}."""
    from ops.images.transforms import make_copy

    rng = np.random.default_rng(seed)
    ref_dir, bench_dir = out_dir / "reference", out_dir / "benchmark"
    for d in (ref_dir, bench_dir):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.png"):
            old.unlink()
    negatives, copies = [], {}
    for k, (kind, make) in enumerate(KINDS.items()):
        refs = []
        for i in range(n_per_kind):
            name = f"{kind}_{i:02d}.png"
            im = make(rng)
            im.save(ref_dir / name)
            refs.append((name, im))
        for i in range(n_per_kind):
            name = f"{kind}_other_{i:02d}.png"
            make(rng).save(bench_dir / name)
            negatives.append(name)
        for i, (ref_name, im) in enumerate(refs[:n_copies_per_kind]):
            copy, names = make_copy(im, seed=seed * 1000 + 100 * k + i)
            name = f"{kind}_copy_{i:02d}_{'+'.join(names)}.png"
            copy.save(bench_dir / name)
            copies[name] = ref_name
    return {"reference": ref_dir, "benchmark": bench_dir, "negatives": negatives, "copies": copies}
