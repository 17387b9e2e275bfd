"""Do rubric totals track human preference? Metrics over (preferred score, rejected score) pairs.

- preference accuracy: share of pairs whose preferred answer has the higher total (a tie counts ½);
- AUC: probability that a preferred answer's total beats a rejected answer's total over all
  (preferred, rejected) combinations, pooled across pairs (Mann–Whitney, ties ½);
- paired Cohen's d (d_z): mean(preferred − rejected) / sample std of the differences.
Accuracy is a proportion (wins out of pairs, a tie counting ½): it gets a Wilson interval
(``ops.report.wilson_ci``), so 0 of 8 reads [0, 0.32] rather than a bootstrap's [0, 0]. AUC and d
come with a percentile-bootstrap interval over pairs (``ops.report.bootstrap_ci``).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np


def preference_accuracy(preferred: Sequence[float], rejected: Sequence[float]) -> float:
    p, r = np.asarray(preferred, float), np.asarray(rejected, float)
    if p.size == 0:
        return float("nan")
    return float(np.mean((p > r) + 0.5 * (p == r)))


def auc(preferred: Sequence[float], rejected: Sequence[float]) -> float:
    """P(score of a preferred answer > score of a rejected answer), ties ½ (rank formula)."""
    p, r = np.asarray(preferred, float), np.asarray(rejected, float)
    if p.size == 0 or r.size == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([p, r]))  # average ranks over ties
    u = ranks[: p.size].sum() - p.size * (p.size + 1) / 2.0
    return float(u / (p.size * r.size))


def cohens_d_paired(preferred: Sequence[float], rejected: Sequence[float]) -> float:
    """d_z = mean(diff) / std(diff, ddof=1); nan with < 2 pairs, ±inf when every diff is equal."""
    d = np.asarray(preferred, float) - np.asarray(rejected, float)
    if d.size < 2:
        return float("nan")
    sd = float(np.std(d, ddof=1))
    mean = float(np.mean(d))
    if sd == 0.0:
        return 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    return mean / sd


METRICS = {"accuracy": preference_accuracy, "auc": auc, "cohens_d": cohens_d_paired}


@dataclasses.dataclass(frozen=True)
class MetricValue:
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int


def metrics_with_ci(preferred: Sequence[float], rejected: Sequence[float], n_boot: int = 1000,
                    seed: int = 0) -> list[MetricValue]:
    """Accuracy (95 % Wilson interval), AUC and paired Cohen's d (95 % bootstrap intervals,
    resampling pairs)."""
    from ops.report import bootstrap_ci, wilson_ci

    arr = np.column_stack([np.asarray(preferred, float), np.asarray(rejected, float)])
    out = []
    for name, fn in METRICS.items():
        if arr.shape[0] == 0:
            out.append(MetricValue(name, float("nan"), float("nan"), float("nan"), 0))
            continue

        def stat(a, fn=fn):
            return fn(a[:, 0], a[:, 1])

        if name == "accuracy":
            point = stat(arr)
            lo, hi = wilson_ci(point * arr.shape[0], int(arr.shape[0]))
        else:
            with np.errstate(all="ignore"):
                point, lo, hi = bootstrap_ci(arr, stat, n_boot=n_boot, seed=seed)
        out.append(MetricValue(name, point, lo, hi, int(arr.shape[0])))
    return out
