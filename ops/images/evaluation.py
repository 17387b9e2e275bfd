"""ISC21 copy-detection metrics: micro-average precision (µAP) over all (query, reference, score)
predictions pooled across queries, and precision/recall at a threshold.

µAP (Douze et al., 2021, "The 2021 Image Similarity Dataset and Challenge"): sort every
prediction by score, walk down the list; AP = Σ precision(k) · Δrecall(k), where recall's
denominator is the number of queries that have a true reference (queries without one only add
false positives). Duplicate (query, reference) predictions keep their highest score."""
from __future__ import annotations

import dataclasses
from typing import Iterable

import numpy as np


@dataclasses.dataclass
class PRCurve:
    scores: np.ndarray      # descending thresholds
    precision: np.ndarray
    recall: np.ndarray
    micro_ap: float
    n_gt: int               # queries that have a true reference


def _dedup(predictions: Iterable[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    best: dict[tuple[str, str], float] = {}
    for q, r, s in predictions:
        key = (q, r)
        if key not in best or s > best[key]:
            best[key] = float(s)
    return [(q, r, s) for (q, r), s in best.items()]


def micro_ap(predictions: Iterable[tuple[str, str, float]], ground_truth: dict[str, str]) -> PRCurve:
    """``predictions``: (query id, reference id, score), higher = more likely a copy.
    ``ground_truth``: query id → its true reference id (queries absent here have none)."""
    preds = _dedup(predictions)
    n_gt = len(ground_truth)
    if not preds or n_gt == 0:
        return PRCurve(np.array([]), np.array([]), np.array([]), 0.0, n_gt)
    # Ties: sort by score desc, then put false positives first (pessimistic, as ISC21's code does).
    correct = np.array([ground_truth.get(q) == r for q, r, _ in preds], dtype=bool)
    scores = np.array([s for _, _, s in preds], dtype=np.float64)
    order = np.lexsort((correct, -scores))
    correct, scores = correct[order], scores[order]
    tp = np.cumsum(correct)
    precision = tp / np.arange(1, len(correct) + 1)
    recall = tp / n_gt
    ap = float(np.sum(precision * correct) / n_gt)  # Δrecall is 1/n_gt at each correct prediction
    return PRCurve(scores, precision, recall, ap, n_gt)


def precision_recall_at(predictions: Iterable[tuple[str, str, float]], ground_truth: dict[str, str],
                        threshold: float) -> tuple[float, float, int]:
    """(precision, recall, n_predicted) of the predictions with score ≥ threshold."""
    preds = [p for p in _dedup(predictions) if p[2] >= threshold]
    tp = sum(ground_truth.get(q) == r for q, r, _ in preds)
    precision = tp / len(preds) if preds else 1.0
    recall = tp / len(ground_truth) if ground_truth else 0.0
    return precision, recall, len(preds)
