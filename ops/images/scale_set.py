"""A large generated copy-detection set for the dedup benchmark (issue #14): ``n_reference``
distinct reference images and ``n_benchmark`` benchmark images (transformed copies of references
and transformed distractors that have no reference), all derived from the embedded scikit-image
photographs.

Distinct content from 20 photographs: each generated image is a mosaic of 8×8 small random crops
of the photographs with a dozen random opaque shapes drawn over it (``generated_image``), so two
generated images share at most a few small tiles, never a copy's worth of keypoints. Copies are made with ``ops.images.transforms.make_copy`` (the evaluation's DISC21-like
recipe). Deterministic per seed; written as PNG."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def _base_photos() -> list[Image.Image]:
    from ops.images.sources import skimage_photos

    return [im for _, im in sorted(skimage_photos().items())]


def generated_image(photos: list[Image.Image], rng: np.random.Generator, side: int = 256, grid: int = 8) -> Image.Image:
    """One distinct image: a ``grid``×``grid`` mosaic of small tiles, each a random crop of a random
    photograph (random position, size, quarter-turn, mirror, channel gains), with random shapes
    drawn over it. A tile holds a handful of keypoints, so two generated images that happen to
    share a tile's region stay far below the 10 consistent matches a copy needs."""
    tile = side // grid
    im = Image.new("RGB", (tile * grid, tile * grid))
    for gy in range(grid):
        for gx in range(grid):
            src = photos[int(rng.integers(len(photos)))]
            w, h = src.size
            s = int(min(w, h) * rng.uniform(0.1, 0.5))
            x, y = int(rng.integers(0, w - s + 1)), int(rng.integers(0, h - s + 1))
            t = src.crop((x, y, x + s, y + s)).resize((tile, tile), Image.BILINEAR).rotate(90 * int(rng.integers(4)))
            if rng.random() < 0.5:
                t = t.transpose(Image.FLIP_LEFT_RIGHT)
            arr = np.asarray(t, np.float32) * rng.uniform(0.7, 1.3, size=3)
            im.paste(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), (gx * tile, gy * tile))
    d = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(8, 16))):
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        cx, cy = rng.uniform(0, side, 2)
        r = side * rng.uniform(0.03, 0.12)
        kind = rng.integers(3)
        if kind == 0:
            d.ellipse((cx - r, cy - r, cx + r, cy + r * rng.uniform(0.4, 1.6)), fill=color)
        elif kind == 1:
            pts = [(float(cx + r * np.cos(a)), float(cy + r * np.sin(a)))
                   for a in np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 7))))]
            d.polygon(pts, fill=color)
        else:
            d.line((cx, cy, *rng.uniform(0, side, 2)), fill=color, width=int(rng.integers(2, 6)))
    return im


_PHOTOS: list[Image.Image] = []


def _write_one(job: tuple) -> list[str]:
    """Write one generated image: ('ref', i) a reference; ('copy', j, i) benchmark j as a
    transformed copy of reference i; ('new', j) benchmark j as a transformed distractor. Every
    image has its own seed, so the set does not depend on how the work is split."""
    from ops.images.transforms import make_copy

    kind, out_dir, side, seed, j = job[:5]
    if job[-1] == "keep" and (Path(out_dir) / ("reference" if kind == "ref" else "benchmark")
                              / (f"r{j:05d}.png" if kind == "ref" else f"b{j:05d}.png")).is_file():
        return []  # written by an earlier call with the same seed (transform names not kept)
    if not _PHOTOS:
        _PHOTOS.extend(_base_photos())
    if kind == "ref":
        generated_image(_PHOTOS, np.random.default_rng([seed, 0, j]), side).save(
            Path(out_dir) / "reference" / f"r{j:05d}.png", compress_level=1)
        return []
    if kind == "copy":
        src = generated_image(_PHOTOS, np.random.default_rng([seed, 0, job[5]]), side)
    else:
        src = generated_image(_PHOTOS, np.random.default_rng([seed, 1, j]), side)
    copy, names = make_copy(src, seed=seed * 1_000_003 + j)
    copy.save(Path(out_dir) / "benchmark" / f"b{j:05d}.png", compress_level=1)
    return names


def write_scale_set(out_dir: Path, n_reference: int, n_benchmark: int, copy_fraction: float = 0.5,
                    side: int = 256, seed: int = 0, workers: int = 1, keep_existing: bool = False) -> dict:
    """Write ``out_dir/reference/r{i}.png`` and ``out_dir/benchmark/b{i}.png``; a fraction
    ``copy_fraction`` of the benchmark are transformed copies of distinct random references, the
    rest transformed distractors (``workers`` processes). ``keep_existing``: files already there
    (from an earlier call with the same arguments) are kept, not drawn again. Returns {'reference': [(id, path)],
    'benchmark': [(id, path)], 'truth': {benchmark id: reference id}, 'transforms': {benchmark id:
    [names]}}."""
    out_dir = Path(out_dir)
    (out_dir / "reference").mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmark").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 2])
    n_copies = min(n_reference, int(round(n_benchmark * copy_fraction)))
    sources = sorted(int(i) for i in rng.choice(n_reference, n_copies, replace=False)) if n_copies else []
    slots = rng.permutation(n_benchmark)
    keep = "keep" if keep_existing else "draw"
    jobs = [("ref", str(out_dir), side, seed, i, keep) for i in range(n_reference)]
    jobs += [("copy", str(out_dir), side, seed, j, sources[int(slots[j])], keep) if slots[j] < len(sources)
             else ("new", str(out_dir), side, seed, j, keep) for j in range(n_benchmark)]
    if workers > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            names = pool.map(_write_one, jobs, chunksize=64)
    else:
        names = [_write_one(job) for job in jobs]
    refs = [(f"r{i:05d}.png", str(out_dir / "reference" / f"r{i:05d}.png")) for i in range(n_reference)]
    bench = [(f"b{j:05d}.png", str(out_dir / "benchmark" / f"b{j:05d}.png")) for j in range(n_benchmark)]
    truth = {bench[job[4]][0]: refs[job[5]][0] for job in jobs if job[0] == "copy"}
    transforms = {bench[job[4]][0]: n for job, n in zip(jobs, names) if job[0] != "ref"}
    return {"reference": refs, "benchmark": bench, "truth": truth, "transforms": transforms}
