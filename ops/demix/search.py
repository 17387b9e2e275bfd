"""Mixture search: a Dirichlet candidate pool, rounds of (score a batch of proxies → fit one
LightGBM regressor per metric with native ``lgb.train`` → predict the pool → pick the next
batch), final mixture = mean of the top-k predicted by the aggregate objective (mean loss)."""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

Scorer = Callable[[Sequence[float]], list[float]]

# tuned for tens of rows: few leaves, small leaves, slow learning rate with many rounds
# (out-of-fold Spearman at 18 proxies: 0.85 -> 0.86 embedded, 0.33 -> 0.62 public corpora)
LGB_PARAMS = {"objective": "regression", "learning_rate": 0.05, "num_leaves": 4,
              "min_data_in_leaf": 2, "min_data_in_bin": 1, "min_sum_hessian_in_leaf": 0.0,
              "verbose": -1, "num_threads": 1, "deterministic": True,
              "force_col_wise": True}
NUM_ROUNDS = 300
# the final regressor's settings tried on the selection half of the trained fidelity mixtures
# (``choose_regressor``): the search rounds use ``lgb``; ``lgb_linear`` fits a linear model in
# each leaf, so it extrapolates beyond the pool (mixtures under the floor) along a slope
# instead of flat; ``lgb_leaves8`` allows more interactions
REGRESSORS = {"lgb": {}, "lgb_linear": {"linear_tree": True, "linear_lambda": 1e-3},
              "lgb_leaves8": {"num_leaves": 8}}


def features(X):
    """Regressor inputs: the mixture weights plus their entropy (the balance of the mix)."""
    import numpy as np

    X = np.atleast_2d(np.asarray(X, dtype=float))
    H = -(X * np.log(np.clip(X, 1e-12, None))).sum(axis=1, keepdims=True)
    return np.hstack([X, H])


class Regressor:
    """A fitted booster that featurises mixture weights before predicting."""

    def __init__(self, booster):
        self.booster = booster

    def predict(self, X):
        return self.booster.predict(features(X))


def dirichlet_pool(n_domains: int, size: int, max_weight: float, seed: int = 0,
                   concentrations: Sequence[float] = (0.3, 1.0, 3.0), min_weight: float = 0.0):
    """``size`` mixtures (rows sum to 1) from Dirichlet(α·1) for each α in turn; rows with a
    weight above ``max_weight`` are redrawn. With ``min_weight`` > 0 every draw is shifted onto
    the floored simplex ``min_weight + (1 - D·min_weight)·g`` so no domain drops below the floor
    (keeps the search where proxies were checked). Row 0 is the uniform mixture."""
    import numpy as np

    if not 1 / n_domains <= max_weight <= 1:
        raise ValueError(f"max_weight {max_weight} must lie in [1/{n_domains}, 1]")
    if not 0 <= min_weight < 1 / n_domains:
        raise ValueError(f"min_weight {min_weight} must lie in [0, 1/{n_domains})")
    rng = np.random.default_rng(seed)
    rows = [np.full(n_domains, 1 / n_domains)]
    i = 0
    while len(rows) < size:
        w = rng.dirichlet(np.full(n_domains, concentrations[i % len(concentrations)]))
        w = min_weight + (1 - n_domains * min_weight) * w
        i += 1
        if w.max() <= max_weight:
            rows.append(w)
    return np.stack(rows)


def fit_regressor(X, y, seed: int = 0, params: dict | None = None):
    """One LightGBM booster (native API) predicting ``y`` from mixture weights ``X`` (and
    their entropy, see ``features``); ``params`` override ``LGB_PARAMS`` (see ``REGRESSORS``)."""
    import lightgbm as lgb
    import numpy as np

    data = lgb.Dataset(features(X), label=np.asarray(y, dtype=float),
                       params={"min_data_in_bin": 1, "verbose": -1, **(params or {})})
    return Regressor(lgb.train({**LGB_PARAMS, "seed": seed, **(params or {})}, data, num_boost_round=NUM_ROUNDS))


def cross_val_spearman(X, y, folds: int = 4, seed: int = 0) -> float:
    """Spearman between out-of-fold predictions and ``y``: the regressor's held-out ranking."""
    import numpy as np

    from ops.demix.fidelity import spearman

    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    order = np.random.default_rng(seed).permutation(len(y))
    pred = np.empty(len(y))
    for f in range(folds):
        test = order[f::folds]
        train = np.setdiff1d(order, test)
        pred[test] = fit_regressor(X[train], y[train], seed).predict(X[test])
    return spearman(pred, y)


@dataclasses.dataclass
class SearchResult:
    domains: list[str]
    pool: object                 # (P, D) candidate weights
    evaluated: list[dict]        # {"index", "round", "losses"} per scored proxy, in order
    predictions: list[object]    # per round: (P,) predicted aggregate over the pool
    final_weights: list[float]
    top_k_indices: list[int]
    regressor_cv_spearman: float


def aggregate(losses: Sequence[float]) -> float:
    """The search objective: mean held-out loss over domains (equal domain weighting)."""
    return float(sum(losses) / len(losses))


def run_search(score: Scorer, domains: Sequence[str], pool, rounds: int, per_round: int,
               top_k: int, seed: int = 0, log=lambda msg: None) -> SearchResult:
    """Score ``per_round`` proxies per round; round 0 draws from the pool at random (row 0, the
    uniform mix, always included), later rounds take half the best-predicted unscored
    candidates and half random ones (exploration)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    P = len(pool)
    scored: dict[int, list[float]] = {}
    evaluated: list[dict] = []
    predictions = []

    def score_batch(indices, rnd):
        for i in indices:
            losses = score(list(map(float, pool[i])))
            scored[int(i)] = losses
            evaluated.append({"index": int(i), "round": rnd, "losses": losses})

    first = [0, *rng.choice(np.arange(1, P), size=min(per_round - 1, P - 1), replace=False)]
    score_batch(first, 0)
    for rnd in range(1, rounds):
        pred = _predict_aggregate(pool, scored, seed)
        predictions.append(pred)
        unscored = [i for i in np.argsort(pred) if int(i) not in scored]
        greedy = unscored[: per_round // 2 + per_round % 2]
        rest = [i for i in unscored if i not in set(greedy)]
        explore = list(rng.choice(rest, size=min(per_round // 2, len(rest)), replace=False)) if rest else []
        score_batch([*greedy, *explore], rnd)
        log(f"round {rnd}: best scored aggregate {min(aggregate(v) for v in scored.values()):.4f}")
    pred = _predict_aggregate(pool, scored, seed)
    predictions.append(pred)
    top = [int(i) for i in np.argsort(pred)[:top_k]]
    final = pool[top].mean(axis=0)
    X = np.stack([pool[i] for i in scored])
    y = np.array([aggregate(v) for v in scored.values()])
    return SearchResult(list(domains), pool, evaluated, predictions, [float(x) for x in final], top,
                        cross_val_spearman(X, y, seed=seed))


def predict_aggregate(X, Y, targets, seed: int = 0, params: dict | None = None):
    """Fit one booster per domain loss and one for the aggregate on mixtures ``X`` with losses
    ``Y`` (rows × domains); the predicted aggregate for ``targets`` is the mean of the two
    estimates (per-domain models see more structure per target)."""
    import numpy as np

    X, Y, T = (np.asarray(v, dtype=float) for v in (X, Y, targets))
    per_domain = np.stack([fit_regressor(X, Y[:, d], seed, params).predict(T) for d in range(Y.shape[1])], 1)
    direct = fit_regressor(X, Y.mean(axis=1), seed, params).predict(T)
    return 0.5 * (per_domain.mean(axis=1) + direct)


def choose_regressor(X, Y, weights, real, idx, seed: int = 0) -> tuple[str, dict[str, float]]:
    """The ``REGRESSORS`` setting whose predictions (fitted on the scored proxies ``X``, ``Y``)
    rank the trained mixtures ``weights[idx]`` best by their mean loss ``real[idx]`` (Spearman;
    ties: the first listed, the search's own ``lgb``); returns (name, Spearman per setting).
    ``idx`` must be the selection half: the evaluation half then stays held out."""
    import numpy as np

    from ops.demix.fidelity import spearman

    T = np.asarray(weights, dtype=float)[list(idx)]
    y = np.asarray(real, dtype=float)[list(idx)]
    scores = {}
    for name, params in REGRESSORS.items():
        r = spearman(predict_aggregate(X, Y, T, seed, params), y)
        scores[name] = -1.0 if r != r else r
    best = max(scores.values())
    return next(n for n in REGRESSORS if scores[n] >= best - 1e-9), scores


def refit_final(result: "SearchResult", top_k: int, params: dict, seed: int = 0) -> "SearchResult":
    """``result`` with its last prediction, top-k and chosen mixture redone by the final
    regressor ``params`` (fitted on every scored proxy); earlier rounds are kept as run."""
    import numpy as np

    pool = result.pool
    X = np.stack([pool[e["index"]] for e in result.evaluated])
    Y = np.array([e["losses"] for e in result.evaluated])
    pred = predict_aggregate(X, Y, pool, seed, params)
    top = [int(i) for i in np.argsort(pred)[:top_k]]
    return dataclasses.replace(result, predictions=[*result.predictions[:-1], pred],
                               final_weights=[float(x) for x in pool[top].mean(axis=0)], top_k_indices=top)


def _predict_aggregate(pool, scored: dict[int, list[float]], seed: int):
    import numpy as np

    X = np.stack([pool[i] for i in scored])
    return predict_aggregate(X, np.array(list(scored.values())), pool, seed)
