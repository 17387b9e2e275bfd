"""Copy-detection evaluation on a DISC21-like set built from real photographs.

From ``sources`` (reference images) and ``distractors`` (images never in the reference set) it
writes ``copies_per_source`` transformed copies of each source and one of each distractor as
queries, describes everything, matches queries → references with every scored pair kept, and
computes ISC21 µAP plus precision/recall at the threshold. Candidates are generated as in the dedup
(``MatchConfig.candidates``: the VLAD shortlist beyond ``shortlist_k`` references)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from ops.images.descriptors import Descriptor
from ops.images.evaluation import PRCurve, micro_ap, precision_recall_at
from ops.images.matching import MatchConfig, Pair
from ops.images.transforms import make_copy


@dataclasses.dataclass
class CopyEval:
    curve: PRCurve
    precision_at: float
    recall_at: float
    n_predicted_at: int
    pairs: list[Pair]                   # every scored (query, reference) pair
    ground_truth: dict[str, str]        # query id → reference id
    transforms: dict[str, list[str]]    # query id → transforms applied
    n_references: int
    n_queries: int
    seconds_describe: float
    seconds_match: float
    # when candidates came from the shortlist: µAP of the same set with exhaustive candidates
    # (the quadratic matcher it replaces), the baseline beside the claim that µAP does not drop
    micro_ap_exhaustive: float | None = None

    def recall_by_transform(self, threshold: float) -> dict[str, tuple[int, int]]:
        """transform name → (copies found at the threshold, copies with that transform)."""
        found = {p.query_id for p in self.pairs
                 if p.score >= threshold and self.ground_truth.get(p.query_id) == p.reference_id}
        out: dict[str, list[int]] = {}
        for q, ref in self.ground_truth.items():
            for t in self.transforms.get(q, []):
                hit_total = out.setdefault(t, [0, 0])
                hit_total[0] += q in found; hit_total[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def build_eval_set(sources: dict[str, Image.Image], distractors: dict[str, Image.Image], out_dir: Path,
                   copies_per_source: int = 2, seed: int = 0):
    """Write ``out_dir/{references,queries}/*.png``; returns (reference list, query list,
    ground truth, transforms) with lists of (image_id, path)."""
    ref_dir, q_dir = out_dir / "references", out_dir / "queries"
    for d in (ref_dir, q_dir):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.png"):
            old.unlink()
    refs, queries, gt, transforms = [], [], {}, {}
    for i, (name, im) in enumerate(sorted(sources.items())):
        path = ref_dir / f"{name}.png"
        im.save(path)
        refs.append((name, str(path)))
        for k in range(copies_per_source):
            copy, names = make_copy(im, seed=seed * 100_000 + i * 10 + k)
            qid = f"q{len(queries):04d}"
            copy.save(q_dir / f"{qid}.png")
            queries.append((qid, str(q_dir / f"{qid}.png"))); gt[qid] = name; transforms[qid] = names
    for j, (name, im) in enumerate(sorted(distractors.items())):
        copy, names = make_copy(im, seed=seed * 100_000 + 50_000 + j)
        qid = f"q{len(queries):04d}"
        copy.save(q_dir / f"{qid}.png")
        queries.append((qid, str(q_dir / f"{qid}.png"))); transforms[qid] = names
    return refs, queries, gt, transforms


def evaluate_copy_detection(sources, distractors, descriptor: Descriptor, work_dir: Path,
                            cfg: MatchConfig | None = None, copies_per_source: int = 2,
                            seed: int = 0, shard_size: int = 64) -> CopyEval:
    import time

    from ops.images.dedup import describe_set, match_one_side

    cfg = dataclasses.replace(cfg or MatchConfig(), keep_below=1e-9)  # keep every scored pair
    refs, queries, gt, transforms = build_eval_set(sources, distractors, work_dir / "set",
                                                   copies_per_source, seed)
    t0 = time.perf_counter()
    local = descriptor.kind == "local"
    describe_set(refs, descriptor, work_dir / "ref_desc", shard_size, mirrored=False)
    describe_set(queries, descriptor, work_dir / "query_desc", shard_size, mirrored=local)
    t1 = time.perf_counter()
    pairs = match_one_side(descriptor, work_dir / "query_desc", work_dir / "ref_desc", cfg, len(refs))
    t2 = time.perf_counter()
    preds = [(p.query_id, p.reference_id, p.score) for p in pairs]
    curve = micro_ap(preds, gt)
    p_at, r_at, n_at = precision_recall_at(preds, gt, cfg.threshold)
    baseline = None
    if local and cfg.use_shortlist(len(refs)):
        exhaustive = match_one_side(descriptor, work_dir / "query_desc", work_dir / "ref_desc",
                                    dataclasses.replace(cfg, candidates="exhaustive"), len(refs))
        baseline = micro_ap([(p.query_id, p.reference_id, p.score) for p in exhaustive], gt).micro_ap
    return CopyEval(curve, p_at, r_at, n_at, pairs, gt, transforms, len(refs), len(queries),
                    t1 - t0, t2 - t1, baseline)


def split_sources(images: dict[str, Image.Image], distractor_fraction: float = 1 / 3, seed: int = 0):
    """Deterministically split a dict of images into (sources, distractors)."""
    names = sorted(images)
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    n_d = int(round(len(names) * distractor_fraction))
    return {n: images[n] for n in order[n_d:]}, {n: images[n] for n in order[:n_d]}
