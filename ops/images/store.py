"""Descriptor artifacts: Parquet shards of (image_id, view, kp, x, y, vector) rows, computed
``shard_size`` images at a time so memory follows one shard, not the corpus.

``view`` is 'orig' or 'hflip' (queries are also described mirrored so flipped copies match)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import ImageOps

from ops.images.descriptors import Descriptor
from ops.images.loading import BadImage, load_image
from ops.progress import report_progress


@dataclasses.dataclass
class DescriptorBlock:
    """One shard read back: row-aligned arrays."""
    image_ids: np.ndarray        # (n,) object
    views: np.ndarray            # (n,) object
    xy: np.ndarray               # (n, 2) float32
    vectors: np.ndarray          # (n, d) float32


def compute_shards(images: Iterable[tuple[str, str]], descriptor: Descriptor, out_dir: Path,
                   shard_size: int = 64, mirrored: bool = False,
                   prefix: str = "", workers: int = 1) -> tuple[list[dict], list[tuple[str, str, dict]]]:
    """Describe ``(image_id, path)`` pairs into ``out_dir/shard-{prefix}NNNNN.parquet`` (and
    ``thumbs-…`` for descriptors with thumbnails). Only this prefix's old files are replaced, so
    partitions (prefix = partition key) write side by side. ``mirrored`` adds an 'hflip' view of
    every image: derived from the original's features when the descriptor can
    (``RootSift.mirrored``), so each image is described once. ``workers`` > 1 describes shards in
    that many forked processes.

    Returns (per-image rows: image_id, path, width, height, original_mode, notes, n_vectors;
    quarantine records (path, reason, detail) for files that could not be used)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob(f"shard-{prefix}*.parquet"), *out_dir.glob(f"thumbs-{prefix}*.parquet")]:
        old.unlink()  # a re-run replaces the artifact instead of mixing old shards in
    images = list(images)
    jobs = [(images[start:start + shard_size], descriptor, out_dir, mirrored, f"{prefix}{shard_no:05d}")
            for shard_no, start in enumerate(range(0, len(images), shard_size))]
    results, done = [], 0

    def collect(result, job) -> None:
        nonlocal done
        results.append(result)
        done += len(job[0])
        report_progress("images described", done, len(images))

    if workers > 1 and len(jobs) > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
            for result, job in zip(pool.imap(_describe_shard, jobs, chunksize=1), jobs):
                collect(result, job)
    else:
        for job in jobs:
            collect(_describe_shard(job), job)
    infos = [i for shard_infos, _ in results for i in shard_infos]
    bad = [b for _, shard_bad in results for b in shard_bad]
    return infos, bad


def _describe_shard(job) -> tuple[list[dict], list[tuple[str, str, dict]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    items, descriptor, out_dir, mirrored, name = job
    derive = mirrored and hasattr(descriptor, "mirrored")
    ids, views, pils, shard_infos, bad = [], [], [], [], []
    for image_id, path in items:
        try:
            loaded = load_image(path)
        except BadImage as exc:
            bad.append((str(path), exc.reason, {"image_id": image_id, "detail": exc.detail}))
            continue
        shard_infos.append({"image_id": image_id, "path": str(path), "width": loaded.image.width,
                            "height": loaded.image.height, "original_mode": loaded.original_mode,
                            "notes": ",".join(loaded.notes)})
        ids.append(image_id); views.append("orig"); pils.append(loaded.image)
        if mirrored and not derive:
            ids.append(image_id); views.append("hflip"); pils.append(ImageOps.mirror(loaded.image))
    feats = descriptor.describe(pils) if pils else []
    if derive:  # each image described once: its mirrored view is derived from those features
        ids = [i for i in ids for _ in (0, 1)]
        views = ["orig", "hflip"] * len(feats)
        feats = [g for f in feats for g in (f, descriptor.mirrored(f))]
    n_by_id: dict[str, int] = {}
    cols = {"image_id": [], "view": [], "kp": [], "x": [], "y": []}
    vecs = []
    thumbs = [(i, v, f.thumb) for i, v, f in zip(ids, views, feats) if f.thumb is not None]
    if thumbs:
        t = np.stack([th for _, _, th in thumbs]).astype(np.float32)
        pq.write_table(pa.table({
            "image_id": [i for i, _, _ in thumbs], "view": [v for _, v, _ in thumbs],
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(t.ravel(), pa.float32()), t.shape[1])}),
            out_dir / f"thumbs-{name}.parquet")
    for image_id, view, f in zip(ids, views, feats):
        n = len(f.vectors)
        n_by_id[image_id] = n_by_id.get(image_id, 0) + n
        cols["image_id"] += [image_id] * n; cols["view"] += [view] * n
        cols["kp"] += list(range(n)); cols["x"] += f.xy[:, 0].tolist(); cols["y"] += f.xy[:, 1].tolist()
        vecs.append(f.vectors)
    for info in shard_infos:
        info["n_vectors"] = n_by_id.get(info["image_id"], 0)
    dim = next((v.shape[1] for v in vecs if v.ndim == 2 and v.shape[1]), 0)
    flat = np.concatenate(vecs).astype(np.float32) if vecs else np.zeros((0, dim), np.float32)
    table = pa.table({**{k: v for k, v in cols.items()},
                      "vector": pa.FixedSizeListArray.from_arrays(pa.array(flat.ravel(), pa.float32()), max(dim, 1))
                      if dim else pa.array([], pa.list_(pa.float32()))})
    pq.write_table(table, out_dir / f"shard-{name}.parquet")
    return shard_infos, bad


def read_blocks(out_dir: Path, kind: str = "shard", paths: list[Path] | None = None) -> Iterator[DescriptorBlock]:
    """Yield the ``kind`` ('shard' or 'thumbs') files of ``out_dir`` (or just ``paths``) one at a
    time (memory: one file)."""
    import pyarrow.parquet as pq

    for path in (paths if paths is not None else sorted(Path(out_dir).glob(f"{kind}-*.parquet"))):
        t = pq.read_table(path)
        if t.num_rows == 0:
            continue
        vec = t.column("vector").combine_chunks()
        dim = vec.type.list_size
        vectors = vec.values.to_numpy(zero_copy_only=False).reshape(-1, dim).astype(np.float32)
        if "x" in t.column_names:
            xy = np.stack([t.column("x").to_numpy(), t.column("y").to_numpy()], axis=1).astype(np.float32)
        else:
            xy = np.zeros((t.num_rows, 2), np.float32)
        yield DescriptorBlock(np.array(t.column("image_id").to_pylist(), dtype=object),
                              np.array(t.column("view").to_pylist(), dtype=object), xy, vectors)


def read_all(out_dir: Path, kind: str = "shard") -> DescriptorBlock:
    """Every shard concatenated (for query sets, which are small by construction)."""
    blocks = list(read_blocks(out_dir, kind))
    if not blocks:
        return DescriptorBlock(np.array([], dtype=object), np.array([], dtype=object),
                               np.zeros((0, 2), np.float32), np.zeros((0, 0), np.float32))
    return DescriptorBlock(np.concatenate([b.image_ids for b in blocks]),
                           np.concatenate([b.views for b in blocks]),
                           np.concatenate([b.xy for b in blocks]), np.concatenate([b.vectors for b in blocks]))
