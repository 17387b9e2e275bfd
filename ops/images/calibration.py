"""Threshold calibration for background-normalised scores (issue #14).

A normalised score (``cosine − β · s_k(query)``, ``kernels.similarity.background_normalize``) is a
margin over the background, not a cosine: a fixed 0.95 on it means nothing. The threshold is
chosen on a calibration split instead:

- copies: transformed copies (``ops.images.transforms.make_copy``) of a sample of the reference
  images, each with its source as the true match;
- distractors: transformed copies of background images that are *held out* of the normalisation
  (the background is split; the part used to normalise never contains a distractor's source);
- every calibration query is scored against the whole reference set exactly as the dedup scores
  (same descriptor, same normalisation), and the threshold is the lowest score at which the
  precision of the pairs at or above it still reaches ``target_precision`` (the largest recall
  with that precision). The record says how it was chosen: target, achieved precision with its
  Wilson interval, recall, and the split sizes."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ops.images.evaluation import micro_ap


@dataclasses.dataclass
class Calibration:
    threshold: float
    target_precision: float
    precision: float             # of the calibration pairs at or above the threshold
    precision_low: float         # Wilson 95 % interval of that precision
    precision_high: float
    recall: float                # calibration copies found at the threshold
    n_predicted: int
    n_copies: int
    n_distractors: int
    micro_ap: float              # µAP of the calibration split (how separable the scores are)
    method: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def choose_threshold(predictions: list[tuple[str, str, float]], ground_truth: dict[str, str],
                     target_precision: float = 0.99) -> tuple[float, float, float, int, float]:
    """(threshold, precision, recall, n_predicted, µAP): the lowest score whose pairs at or above
    it reach ``target_precision``; ties are cut only between different scores. When no score
    reaches the target, the threshold is just above the highest score (nothing passes)."""
    curve = micro_ap(predictions, ground_truth)
    if not len(curve.scores):
        return float("inf"), 1.0, 0.0, 0, curve.micro_ap
    scores = curve.scores
    ends = np.nonzero(np.append(scores[1:] != scores[:-1], True))[0]  # last index of each tie group
    ok = ends[curve.precision[ends] >= target_precision]
    if not len(ok):
        return float(np.nextafter(np.float32(scores[0]), np.float32(np.inf))), 1.0, 0.0, 0, curve.micro_ap
    i = int(ok.max())
    return float(scores[i]), float(curve.precision[i]), float(curve.recall[i]), i + 1, curve.micro_ap


def split_background(background: list[tuple[str, str]], fraction: float = 0.25,
                     max_held_out: int = 200) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(normalisation set, held-out calibration distractors): a deterministic, id-sorted split."""
    items = sorted(background)
    n = min(max_held_out, max(1, int(round(len(items) * fraction)))) if len(items) > 1 else 0
    order = np.random.default_rng(0).permutation(len(items))
    held = {int(i) for i in order[:n]}
    return [x for k, x in enumerate(items) if k not in held], [x for k, x in enumerate(items) if k in held]


def calibrate_normalised_threshold(descriptor, reference_dir: Path, reference: list[tuple[str, str]],
                                   held_out: list[tuple[str, str]], background_dir: Path, work_dir: Path,
                                   cfg, target_precision: float = 0.99, n_copies: int = 200,
                                   seed: int = 0) -> Calibration:
    """Calibrate ``cfg.threshold`` for background-normalised global scores (see module docstring).
    ``reference_dir``: the reference set's descriptor shards (already computed);
    ``background_dir``: the normalisation background's shards."""
    from ops.images.dedup import describe_set
    from ops.images.loading import BadImage, load_image
    from ops.images.matching import match_global
    from ops.images.transforms import make_copy
    from ops.report import wilson_ci

    q_dir = work_dir / "queries"
    q_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    picks = [reference[int(i)] for i in rng.permutation(len(reference))[:n_copies]]
    queries, truth = [], {}
    for k, (image_id, path) in enumerate(picks + list(held_out)):
        try:
            im = load_image(path).image
        except BadImage:
            continue
        copy, _ = make_copy(im, seed=seed * 1_000_003 + k)
        qid = f"cal{k:05d}"
        copy.save(q_dir / f"{qid}.png")
        queries.append((qid, str(q_dir / f"{qid}.png")))
        if k < len(picks):
            truth[qid] = image_id
    describe_set(queries, descriptor, work_dir / "query_desc", 64, mirrored=False)
    scored = match_global(work_dir / "query_desc", reference_dir,
                          dataclasses.replace(cfg, keep_below=-np.inf), background_dir=background_dir)
    preds = [(p.query_id, p.reference_id, p.score) for p in scored]
    threshold, precision, recall, n_pred, ap = choose_threshold(preds, truth, target_precision)
    tp = round(precision * n_pred)
    low, high = wilson_ci(tp, n_pred) if n_pred else (float("nan"), float("nan"))
    return Calibration(threshold, target_precision, precision, low, high, recall, n_pred, len(truth),
                       len(queries) - len(truth), ap,
                       f"lowest normalised score with precision ≥ {target_precision} on {len(truth)} transformed "
                       f"copies of reference images vs {len(queries) - len(truth)} transformed held-out background "
                       f"images (seed {seed})")
