"""Does a merged proxy rank mixtures like real training? Spearman correlations (bootstrap CI
over mixtures) between really-trained mixtures' held-out losses and each predictor's, per
domain and for the aggregate (mean loss), next to free baselines: ``neg_entropy`` (−H(w): a
more balanced mix predicts lower loss), ``weighted_component_loss`` (Σᵢ wᵢ·Lᵢ with Lᵢ the
components' own held-out losses) and ``neg_own_weight`` (−w_d, per domain); ``spearman_diff_ci``
gives proxy − baseline with a paired bootstrap interval."""
from __future__ import annotations

import math
from typing import Sequence

AGGREGATE = "aggregate"


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either side is constant."""
    import numpy as np
    from scipy.stats import rankdata

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) != len(b):
        raise ValueError(f"spearman needs equal lengths, got {len(a)} and {len(b)}")
    ra, rb = rankdata(a), rankdata(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def spearman_ci(a: Sequence[float], b: Sequence[float], n_boot: int = 1000, seed: int = 0):
    """(point, low, high): 95 % percentile bootstrap over the paired mixtures (vectorised:
    all resamples ranked at once; a resample with a constant side counts as 0)."""
    import numpy as np
    from scipy.stats import rankdata

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    point = spearman(a, b)
    if len(a) < 3:
        return point, float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, len(a), size=(n_boot, len(a)))
    ra, rb = rankdata(a[idx], axis=1), rankdata(b[idx], axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    rho = np.divide((ra * rb).sum(axis=1), denom, out=np.zeros(n_boot), where=denom > 0)
    lo, hi = np.quantile(rho, [0.025, 0.975])
    return point, float(lo), float(hi)


def neg_entropy(weights: Sequence[float]) -> float:
    """Σ wᵢ log wᵢ (nats) of the normalised mixture."""
    total = sum(weights)
    return sum((w / total) * math.log(w / total) for w in weights if w > 0)


def weighted_component_loss(weights: Sequence[float], component_losses: Sequence[Sequence[float]]) -> list[float]:
    """Per domain d: Σᵢ wᵢ·Lᵢ(d), with ``component_losses[i][d]`` component i's loss on domain d."""
    total = sum(weights)
    n = len(component_losses[0])
    return [sum(w / total * comp[d] for w, comp in zip(weights, component_losses)) for d in range(n)]


def with_aggregate(losses: Sequence[float]) -> list[float]:
    return [*losses, sum(losses) / len(losses)]


def fidelity_table(domains: Sequence[str], real: Sequence[Sequence[float]],
                   predictors: dict[str, Sequence[Sequence[float]]], n_boot: int = 1000) -> list[dict]:
    """Rows {method, domain, spearman, ci_low, ci_high, k}: for each predictor (K rows of
    per-domain predicted losses, aggregate appended here) and each domain plus ``aggregate``."""
    real_full = [with_aggregate(r) for r in real]
    rows = []
    for method, pred in predictors.items():
        if len(pred) != len(real):
            raise ValueError(f"{method}: {len(pred)} predictions for {len(real)} mixtures")
        pred_full = [with_aggregate(p) if len(p) == len(domains) else list(p) for p in pred]
        for j, dom in enumerate([*domains, AGGREGATE]):
            x = [p[j] for p in pred_full]
            if any(v != v for v in x):  # no prediction for this cell (e.g. −w_d on the aggregate)
                continue
            y = [r[j] for r in real_full]
            rho, lo, hi = spearman_ci(x, y, n_boot=n_boot)
            rows.append({"method": method, "domain": dom, "spearman": rho, "ci_low": lo, "ci_high": hi,
                         "k": len(real)})
    return rows


def baseline_predictors(mixtures: Sequence[Sequence[float]], component_losses) -> dict[str, list[list[float]]]:
    """The free baselines as per-domain predicted losses: neg_entropy (the same for every
    domain), weighted_component_loss, and neg_own_weight (per domain only)."""
    n = len(component_losses[0])
    return {
        "neg_entropy": [[neg_entropy(w)] * (n + 1) for w in mixtures],
        "weighted_component_loss": [weighted_component_loss(w, component_losses) for w in mixtures],
        "neg_own_weight": neg_own_weight(mixtures),
    }


def neg_own_weight(mixtures: Sequence[Sequence[float]]) -> list[list[float]]:
    """Per domain d: −w_d (more of a domain's own data predicts a lower loss on it). There is no
    aggregate form: the last column is NaN and ``fidelity_table`` leaves that cell out."""
    out = []
    for w in mixtures:
        total = sum(w)
        out.append([-x / total for x in w] + [float("nan")])
    return out


def spearman_diff_ci(pred_a, pred_b, real, n_boot: int = 1000, seed: int = 0):
    """(point, low, high) of Spearman(pred_a, real) − Spearman(pred_b, real), 95 % paired
    bootstrap over mixtures (both predictors see the same resampled mixtures)."""
    import numpy as np
    from scipy.stats import rankdata

    a, b, y = (np.asarray(v, dtype=float) for v in (pred_a, pred_b, real))
    point = spearman(a, y) - spearman(b, y)
    if len(y) < 3:
        return point, float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, len(y), size=(n_boot, len(y)))

    def rho(x):
        rx, ry = rankdata(x[idx], axis=1), rankdata(y[idx], axis=1)
        rx -= rx.mean(axis=1, keepdims=True)
        ry -= ry.mean(axis=1, keepdims=True)
        den = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
        return np.divide((rx * ry).sum(axis=1), den, out=np.zeros(n_boot), where=den > 0)

    lo, hi = np.quantile(rho(a) - rho(b), [0.025, 0.975])
    return point, float(lo), float(hi)


def prior_terms(mixtures: Sequence[Sequence[float]]):
    """The free prior per cell, as a predicted loss (lower = better): −w_d for each domain d
    and Σ wᵢ log wᵢ (−entropy) for the aggregate; a (K, D + 1) array."""
    import numpy as np

    W = np.asarray(mixtures, dtype=float)
    W = W / W.sum(axis=1, keepdims=True)
    negent = (W * np.log(np.clip(W, 1e-300, None))).sum(axis=1, keepdims=True)
    return np.hstack([-W, negent])


def prior_scales(proxy_full, prior) -> list[float]:
    """Per cell, sd(proxy) / sd(prior) over the given mixtures (weights and proxy losses only,
    never trained losses): the prior term then spreads the mixtures as much as the proxy does."""
    import numpy as np

    sp, sq = np.asarray(proxy_full, dtype=float).std(axis=0), np.asarray(prior, dtype=float).std(axis=0)
    return [float(a / b) if b > 0 else 0.0 for a, b in zip(sp, sq)]


def with_prior(proxy_full, prior, scales: Sequence[float], alpha: float = 1.0) -> list[list[float]]:
    """Proxy + prior: per cell ``proxy + alpha · scale · prior`` (``proxy_full``: per-domain
    proxy losses with the aggregate appended). The merged proxy then only has to order mixtures
    the prior leaves close (a domain's loss falls with its own weight; the mean loss with balance):
    the part a free baseline cannot see."""
    import numpy as np

    return (np.asarray(proxy_full, dtype=float)
            + alpha * np.asarray(scales, dtype=float) * np.asarray(prior, dtype=float)).tolist()
