"""Dedup a benchmark image set against a reference corpus, end to end, outside Dagster:
describe both (sharded), match benchmark→reference and benchmark→benchmark, cluster, decide.
Used by the Dagster assets and by ``trainyard images dedup``."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ops.images.calibration import Calibration
from ops.images.clusters import Decision, decide
from ops.images.descriptors import Descriptor
from ops.images.matching import MatchConfig, Pair, match_global, match_local
from ops.images.store import compute_shards


class EmptyReferenceSet(ValueError):
    """The reference set has no readable image: a dedup against it would keep everything."""


@dataclasses.dataclass
class DedupResult:
    pairs: list[Pair]               # benchmark → reference, score ≥ threshold
    self_pairs: list[Pair]          # benchmark → benchmark (other image), score ≥ threshold
    decisions: list[Decision]
    images: list[dict]              # per readable image: image_id, role, path, width, height, ...
    quarantined: list[tuple[str, str, dict]]  # (path, reason, detail)
    # with ``MatchConfig.keep_below``: every scored pair ≥ keep_below (above and below the
    # threshold), as (kind 'against_reference' | 'within_benchmark', pair), for score exports
    scored: list[tuple[str, Pair]] = dataclasses.field(default_factory=list)
    # background-normalised runs: how the threshold was chosen (``ops.images.calibration``)
    calibration: Calibration | None = None


def describe_set(images: list[tuple[str, str]], descriptor: Descriptor, out_dir: Path, shard_size: int,
                 mirrored: bool, prefix: str = "", workers: int = 1) -> tuple[list[dict], list[tuple[str, str, dict]]]:
    return compute_shards(images, descriptor, out_dir, shard_size=shard_size, mirrored=mirrored, prefix=prefix,
                          workers=workers)


def copy_view(src_dir: Path, dst_dir: Path, view: str, prefix: str = "") -> None:
    """Write ``src_dir``'s shard and thumbnail files of ``prefix`` to ``dst_dir`` keeping only the
    rows of one ``view`` (each image is described once; its views are rows of that description)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    dst_dir.mkdir(parents=True, exist_ok=True)
    for old in [*dst_dir.glob(f"shard-{prefix}*.parquet"), *dst_dir.glob(f"thumbs-{prefix}*.parquet")]:
        old.unlink()
    for path in sorted([*src_dir.glob(f"shard-{prefix}*.parquet"), *src_dir.glob(f"thumbs-{prefix}*.parquet")]):
        table = pq.read_table(path)
        if table.num_rows:
            table = table.filter(pc.equal(table.column("view"), view))
        pq.write_table(table, dst_dir / path.name)


def stable_shard(image_id: str, n_shards: int) -> int:
    """Which of ``n_shards`` partitions an image belongs to (stable across runs and processes)."""
    import zlib

    return zlib.crc32(image_id.encode("utf-8")) % n_shards


def match(descriptor: Descriptor, query_dir: Path, ref_dir: Path, cfg: MatchConfig,
          background_dir: Path | None = None, exclude_self: bool = False) -> list[Pair]:
    if descriptor.kind == "local":
        return match_local(query_dir, ref_dir, cfg, exclude_self=exclude_self)
    return match_global(query_dir, ref_dir, cfg, background_dir=background_dir, exclude_self=exclude_self)


def match_one_side(descriptor: Descriptor, query_dir: Path, ref_dir: Path, cfg: MatchConfig,
                   n_references: int) -> list[Pair]:
    """Query → reference pairs with the candidate generation ``cfg`` asks for (shortlist or
    exhaustive for local descriptors, see ``MatchConfig.use_shortlist``)."""
    if descriptor.kind == "local" and cfg.use_shortlist(n_references):
        from ops.images.shortlist import ShortlistIndex, match_shortlisted, query_globals

        index = ShortlistIndex.build(ref_dir, codebook_k=cfg.codebook_k)
        return match_shortlisted(query_dir, ref_dir, index, query_globals(query_dir, index.centroids), cfg)
    return match(descriptor, query_dir, ref_dir, cfg)


def describe_all(benchmark: list[tuple[str, str]], reference: list[tuple[str, str]], descriptor: Descriptor,
                 work_dir: Path, shard_size: int = 64, prefix: str = "", workers: int = 1):
    """Descriptor shards under ``work_dir``: ``benchmark`` (queries; mirrored too for local
    descriptors), ``benchmark_ref`` (benchmark as a reference side, local only) and ``reference``.
    Returns (image rows with role, quarantine records (path, reason, detail))."""
    local = descriptor.kind == "local"
    b_info, b_bad = describe_set(benchmark, descriptor, work_dir / "benchmark", shard_size, local, prefix, workers)
    r_info, r_bad = describe_set(reference, descriptor, work_dir / "reference", shard_size, False, prefix, workers)
    if local:  # the benchmark as a reference side: its unmirrored rows, not a second description
        copy_view(work_dir / "benchmark", work_dir / "benchmark_ref", "orig", prefix)
    images = [{**i, "role": "benchmark"} for i in b_info] + [{**i, "role": "reference"} for i in r_info]
    bad = [(path, reason, {**rec, "role": "benchmark"}) for path, reason, rec in b_bad] + \
          [(path, reason, {**rec, "role": "reference"}) for path, reason, rec in r_bad]
    return images, bad


def match_all(descriptor: Descriptor, work_dir: Path, benchmark_ids: list[str], images: list[dict],
              bad: list[tuple[str, str, dict]], cfg: MatchConfig | None = None,
              background_dir: Path | None = None, with_scored: bool = False, timings: dict | None = None,
              workers: int = 1):
    """(pairs against the reference, pairs within the benchmark, decisions) from ``describe_all``'s
    shards; ``with_scored`` adds a fourth item: every (kind, pair) scoring ≥ ``cfg.keep_below``.
    Local descriptors use the shortlist (``ops.images.shortlist``) when ``cfg.use_shortlist``
    says so for that side (verified in ``workers`` processes). ``timings`` (a dict) collects
    seconds per stage."""
    import time

    from ops.progress import cpu_seconds

    cfg = cfg or MatchConfig()
    local = descriptor.kind == "local"
    self_ref = work_dir / ("benchmark_ref" if local else "benchmark")
    n_ref = sum(i["role"] == "reference" for i in images)
    n_bench = sum(i["role"] == "benchmark" for i in images)
    t0, c0 = time.perf_counter(), cpu_seconds()
    if local and (cfg.use_shortlist(n_ref) or cfg.use_shortlist(n_bench)):
        from ops.images.shortlist import ShortlistIndex, match_shortlisted, query_globals

        ref_index = ShortlistIndex.build(work_dir / "reference", codebook_k=cfg.codebook_k)
        q_global = query_globals(work_dir / "benchmark", ref_index.centroids)
        if timings is not None:
            timings["global_describe_s"] = time.perf_counter() - t0
            timings["global_describe_cpu_s"] = cpu_seconds() - c0
        if cfg.use_shortlist(n_ref):
            pairs = match_shortlisted(work_dir / "benchmark", work_dir / "reference", ref_index, q_global, cfg,
                                      timings=timings, workers=workers)
        else:
            pairs = match(descriptor, work_dir / "benchmark", work_dir / "reference", cfg, background_dir)
        if cfg.use_shortlist(n_bench):
            t1, c1 = time.perf_counter(), cpu_seconds()
            self_index = ShortlistIndex.build(self_ref, centroids=ref_index.centroids)
            if timings is not None:
                timings["global_describe_s"] += time.perf_counter() - t1
                timings["global_describe_cpu_s"] += cpu_seconds() - c1
            self_pairs = match_shortlisted(work_dir / "benchmark", self_ref, self_index, q_global, cfg,
                                           exclude_self=True, timings=timings, workers=workers)
        else:
            self_pairs = match(descriptor, work_dir / "benchmark", self_ref, cfg, background_dir, exclude_self=True)
    else:
        pairs = match(descriptor, work_dir / "benchmark", work_dir / "reference", cfg, background_dir)
        self_pairs = match(descriptor, work_dir / "benchmark", self_ref, cfg, background_dir, exclude_self=True)
    t_match, c_match = time.perf_counter(), cpu_seconds()
    if timings is not None:
        timings["match_s"] = t_match - t0
        timings["match_cpu_s"] = c_match - c0
    scored = [("against_reference", p) for p in pairs] + [("within_benchmark", p) for p in self_pairs]
    pairs = [p for p in pairs if p.score >= cfg.threshold]
    self_pairs = [p for p in self_pairs if p.score >= cfg.threshold]
    rejected: list[tuple[str, Pair]] = []
    if local and cfg.appearance_min > 0:
        from ops.images.verify import appearance_filter

        bench_paths = {i["image_id"]: i["path"] for i in images if i["role"] == "benchmark"}
        ref_paths = {i["image_id"]: i["path"] for i in images if i["role"] == "reference"}
        pairs, bad_pairs = appearance_filter(pairs, bench_paths, ref_paths, work_dir / "reference", cfg,
                                             sift=descriptor)
        # within the benchmark a pair without inliers links nothing (see ``linked``): not checked
        self_pairs, bad_self = appearance_filter(self_pairs, bench_paths, bench_paths, self_ref, cfg,
                                                 sift=descriptor, skip_unverified=True)
        rejected = [("against_reference", p) for p in bad_pairs] + [("within_benchmark", p) for p in bad_self]
    if cfg.verify and not local:
        from ops.images.verify import verify_pairs

        bench_paths = {i["image_id"]: i["path"] for i in images if i["role"] == "benchmark"}
        ref_paths = {i["image_id"]: i["path"] for i in images if i["role"] == "reference"}
        pairs = verify_pairs(pairs, bench_paths, cfg, ref_paths)
        self_pairs = verify_pairs(self_pairs, bench_paths, cfg)
        if cfg.require_verified:
            pairs = [p for p in pairs if p.verified]
            self_pairs = [p for p in self_pairs if p.verified]
    pixels = {i["image_id"]: i["width"] * i["height"] for i in images if i["role"] == "benchmark"}
    bad_by_id = {rec["image_id"]: reason for _, reason, rec in bad if rec.get("role") == "benchmark"}
    # a local-descriptor pair with no RANSAC inliers (grey-thumbnail route only) is not verified: it
    # may mark a direct copy of a reference but never links images into a cluster
    linked = lambda p: p.verified or not local or p.n_inliers > 0  # noqa: E731
    if timings is not None:
        timings["appearance_verify_s"] = time.perf_counter() - t_match
        timings["appearance_verify_cpu_s"] = cpu_seconds() - c_match
    decisions = decide(benchmark_ids, pixels,
                       [(p.query_id, p.reference_id, p.score, "reference", linked(p)) for p in pairs]
                       + [(p.query_id, p.reference_id, p.score, "benchmark", linked(p)) for p in self_pairs],
                       quarantined=bad_by_id)
    if with_scored:  # below the threshold as scored; at or above it as kept (verified when asked)
        floor = cfg.keep_below or cfg.threshold
        below = [(k, p) for k, p in scored if floor <= p.score < cfg.threshold]
        if not cfg.keep_below:
            rejected = []  # exported only when scores are asked for
        return pairs, self_pairs, decisions, [("against_reference", p) for p in pairs] + \
            [("within_benchmark", p) for p in self_pairs] + rejected + below
    return pairs, self_pairs, decisions


def run_dedup(benchmark: list[tuple[str, str]], reference: list[tuple[str, str]], descriptor: Descriptor,
              work_dir: Path, cfg: MatchConfig | None = None, shard_size: int = 64,
              background: list[tuple[str, str]] | None = None, workers: int = 1,
              timings: dict | None = None, calibrate: float | None = None) -> DedupResult:
    """Full dedup; descriptor shards land in ``work_dir``. ``background`` (global descriptors
    only) switches on ISC21 score normalisation; with ``calibrate`` (a target precision) the
    threshold is then chosen on a calibration split (``ops.images.calibration``: part of the
    background is held out as distractors) instead of ``cfg.threshold``. ``workers``: processes
    describing shards; ``timings`` (a dict) collects seconds per stage."""
    import time

    from ops.progress import cpu_seconds

    t0, c0 = time.perf_counter(), cpu_seconds()
    if not reference:
        raise EmptyReferenceSet("the reference set is empty: nothing to dedup against")
    images, bad = describe_all(benchmark, reference, descriptor, work_dir, shard_size, workers=workers)
    if timings is not None:
        timings["describe_s"] = time.perf_counter() - t0
        timings["describe_cpu_s"] = cpu_seconds() - c0
    if not any(i["role"] == "reference" for i in images):
        raise EmptyReferenceSet(f"none of the {len(reference)} reference files could be read "
                                f"(first: {bad[-1][0] if bad else '?'}: {bad[-1][1] if bad else '?'})")
    bg_dir = None
    cfg = cfg or MatchConfig()
    calibration = None
    if background and descriptor.kind != "local":
        held_out: list[tuple[str, str]] = []
        if calibrate is not None:
            from ops.images.calibration import split_background

            background, held_out = split_background(background)
        describe_set(background, descriptor, work_dir / "background", shard_size, mirrored=False)
        bg_dir = work_dir / "background"
        if calibrate is not None:
            from ops.images.calibration import calibrate_normalised_threshold

            ref_images = [(i["image_id"], i["path"]) for i in images if i["role"] == "reference"]
            calibration = calibrate_normalised_threshold(descriptor, work_dir / "reference", ref_images, held_out,
                                                         bg_dir, work_dir / "calibration", cfg, calibrate)
            cfg = dataclasses.replace(cfg, threshold=calibration.threshold)
    pairs, self_pairs, decisions, scored = match_all(descriptor, work_dir, [i for i, _ in benchmark], images,
                                                     bad, cfg, bg_dir, with_scored=True, timings=timings,
                                                     workers=workers)
    return DedupResult(pairs, self_pairs, decisions, images, bad, scored, calibration)
