"""Image sources: a folder (recursive), a glob, or a Parquet/JSONL file of paths; and the embedded
default built from scikit-image's installed sample images plus planted transformed copies.

A source becomes a list of (image_id, path); a folder lists every visible file (unreadable ones are
quarantined when loaded, never skipped silently). Ids are paths relative to the folder (or the glob's
fixed prefix), or the ``image_id`` column/field when a Parquet/JSONL listing provides one."""
from __future__ import annotations

import glob as globlib
import json
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
# scikit-image samples that load offline and are photographs or photo-like scans. 'chelsea' is left
# out: it is the same photo as 'cat'.
SKIMAGE_PHOTOS = ["astronaut", "camera", "cat", "coffee", "coins", "hubble_deep_field",
                  "immunohistochemistry", "moon", "page", "retina", "rocket", "clock", "brick",
                  "grass", "gravel", "text", "cell", "colorwheel", "logo", "microaneurysms"]


def list_images(spec: str | Path) -> list[tuple[str, str]]:
    """(image_id, path) for a folder, glob, ``.parquet`` (column ``path``) or ``.jsonl`` listing."""
    spec = str(spec)
    p = Path(spec).expanduser()
    if p.is_dir():
        # every visible file, whatever its extension: extensionless or unusual images (.avif, .heic)
        # are read by content, and what cannot be read becomes a quarantine row with its reason
        # instead of vanishing silently
        files = sorted(f for f in p.rglob("*") if f.is_file()
                       and not any(part.startswith(".") for part in f.relative_to(p).parts))
        return [(f.relative_to(p).as_posix(), str(f)) for f in files]
    if p.suffix.lower() == ".parquet" and p.is_file():
        import polars as pl

        frame = pl.read_parquet(p)
        return _from_records(frame.to_dicts(), p.parent, spec)
    if p.suffix.lower() in (".jsonl", ".ndjson") and p.is_file():
        lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
        return _from_records([json.loads(ln) for ln in lines], p.parent, spec)
    if any(ch in spec for ch in "*?["):
        prefix = Path(spec.split("*")[0].split("?")[0].split("[")[0]).expanduser()
        root = prefix if prefix.is_dir() else prefix.parent
        files = sorted(Path(f) for f in globlib.glob(str(Path(spec).expanduser()), recursive=True)
                       if Path(f).is_file())
        return [(f.relative_to(root).as_posix() if f.is_relative_to(root) else f.as_posix(), str(f))
                for f in files]
    raise ValueError(f"image source {spec!r} is not a folder, a glob, a .parquet or a .jsonl listing")


def _from_records(records: list[dict], base: Path, spec: str) -> list[tuple[str, str]]:
    out = []
    for rec in records:
        if "path" not in rec:
            raise ValueError(f"{spec}: every record needs a 'path' field, got {sorted(rec)}")
        path = Path(rec["path"])
        path = path if path.is_absolute() else base / path
        out.append((str(rec.get("image_id") or rec["path"]), str(path)))
    return out


def skimage_photos(names: list[str] | None = None) -> dict[str, "Image.Image"]:  # noqa: F821
    """The named scikit-image samples as RGB PIL images; samples that fail to load (they need a
    download) are skipped."""
    from PIL import Image
    from skimage import data

    out = {}
    for name in names or SKIMAGE_PHOTOS:
        try:
            arr = getattr(data, name)()
        except Exception:  # noqa: BLE001 - sample needs a download: skip it
            continue
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        out[f"sk_{name}"] = Image.fromarray(arr).convert("RGB")
    return out


def write_embedded(out_dir: Path, n_reference: int, n_planted: int, n_novel: int, seed: int = 0,
                   roles: tuple[str, ...] = ("reference", "benchmark")) -> dict:
    """Write the embedded default under ``out_dir``: ``reference/`` (skimage samples) and
    ``benchmark/`` (``n_planted`` transformed copies of reference images, ``n_novel`` images absent
    from the reference, and one transformed copy of a novel image, i.e. a within-benchmark
    duplicate). Returns {'reference': dir, 'benchmark': dir, 'planted': {bench id: ref id}}.
    ``roles`` limits which folder is (re)written: the split is deterministic, so the two source
    assets can each write their own folder without racing on the other's."""
    from ops.images.transforms import make_copy

    photos = skimage_photos()
    names = sorted(photos)
    rng = np.random.default_rng(seed)
    order = [names[i] for i in rng.permutation(len(names))]
    refs, novel = order[:n_reference], order[n_reference:n_reference + n_novel]
    ref_dir, bench_dir = out_dir / "reference", out_dir / "benchmark"
    for role, d in (("reference", ref_dir), ("benchmark", bench_dir)):
        d.mkdir(parents=True, exist_ok=True)
        if role in roles:
            for old in d.glob("*.png"):
                old.unlink()
    if "reference" in roles:
        for name in refs:
            photos[name].save(ref_dir / f"{name}.png")
    planted = {}
    for i, name in enumerate(refs[:n_planted]):
        copy, transforms = make_copy(photos[name], seed=seed * 1000 + i)
        bench_id = f"planted_{i:02d}_{'+'.join(transforms)}.png"
        if "benchmark" in roles:
            copy.save(bench_dir / bench_id)
        planted[bench_id] = f"{name}.png"
    if "benchmark" in roles:
        for name in novel:
            photos[name].save(bench_dir / f"{name}.png")
        if novel:
            copy, _ = make_copy(photos[novel[0]], seed=seed * 1000 + 999, n_transforms=1)
            copy.save(bench_dir / f"{novel[0]}_repost.png")
    return {"reference": ref_dir, "benchmark": bench_dir, "planted": planted,
            "within_benchmark": {f"{novel[0]}_repost.png": f"{novel[0]}.png"} if novel else {}}
