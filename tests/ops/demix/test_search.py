"""Dirichlet pool, LightGBM regressor and the search loop on a synthetic objective with a known
optimum (no models involved, so the numbers are checkable)."""
import numpy as np
import pytest

from ops.demix.search import aggregate, cross_val_spearman, dirichlet_pool, run_search

TARGET = np.array([0.5, 0.3, 0.2])


def _score(w):
    # per-domain "losses" smallest at TARGET; aggregate = 1 + 2·|w - target|² exactly
    d = np.asarray(w) - TARGET
    return [1 + 2 * float(d @ d) + x for x in (0.01, -0.02, 0.01)]


def test_dirichlet_pool_rows_are_capped_mixtures():
    pool = dirichlet_pool(3, 500, max_weight=0.7, seed=4)
    assert pool.shape == (500, 3)
    assert np.allclose(pool.sum(axis=1), 1.0) and (pool >= 0).all() and pool.max() <= 0.7
    assert np.allclose(pool[0], 1 / 3)
    assert np.array_equal(pool, dirichlet_pool(3, 500, max_weight=0.7, seed=4))
    with pytest.raises(ValueError, match="max_weight"):
        dirichlet_pool(3, 10, max_weight=0.2)


def test_regressor_ranks_held_out_mixtures():
    pool = dirichlet_pool(3, 40, max_weight=0.9, seed=1)
    y = [aggregate(_score(w)) for w in pool]
    assert cross_val_spearman(pool, y) > 0.9


def test_search_finds_the_optimum_region():
    pool = dirichlet_pool(3, 2000, max_weight=0.9, seed=0)
    calls = []

    def score(w):
        calls.append(w)
        return _score(w)

    res = run_search(score, ["a", "b", "c"], pool, rounds=3, per_round=8, top_k=5)
    assert len(calls) == 24 == len(res.evaluated) == len({e["index"] for e in res.evaluated})
    assert [e["round"] for e in res.evaluated] == [0] * 8 + [1] * 8 + [2] * 8
    assert len(res.predictions) == 3 and all(p.shape == (2000,) for p in res.predictions)
    final = np.array(res.final_weights)
    assert final.sum() == pytest.approx(1.0)
    assert np.allclose(final, pool[res.top_k_indices].mean(axis=0))
    # the uniform mix is 0.0467 from the target in squared distance; the search must do better
    assert float(((final - TARGET) ** 2).sum()) < 0.03
    assert res.regressor_cv_spearman > 0.7


def test_pool_weight_floor_keeps_every_domain_present():
    pool = dirichlet_pool(3, 600, max_weight=0.8, seed=2, min_weight=0.1)
    assert np.allclose(pool.sum(axis=1), 1.0) and pool.min() >= 0.1 - 1e-12 and pool.max() <= 0.8
    # the floor is a shift of the unfloored draws, so the spread is still used up to the cap
    assert pool.min() < 0.11 and pool.max() > 0.7
    assert dirichlet_pool(3, 600, max_weight=0.8, seed=2).min() < 0.01
    with pytest.raises(ValueError, match="min_weight"):
        dirichlet_pool(3, 10, max_weight=0.8, min_weight=0.34)


def test_features_add_the_mixture_entropy():
    from ops.demix.search import features

    f = features([[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])
    assert f.shape == (2, 4)
    assert f[0, 3] == pytest.approx(np.log(3)) and f[1, 3] == pytest.approx(0.0, abs=1e-9)
    assert np.array_equal(f[:, :3], [[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])


def test_final_regressor_chosen_on_trained_mixtures_and_refit():
    """Proxies scored inside the floored pool, trained mixtures partly outside it: a linear trend
    continues there, so the setting with linear leaves ranks them best and is chosen; the
    refit redoes only the final prediction, top-k and chosen mixture."""
    from ops.demix.search import REGRESSORS, choose_regressor, refit_final

    slope = np.array([1.0, 0.4, -0.6])
    pool = dirichlet_pool(3, 400, max_weight=0.8, seed=3, min_weight=0.15)
    res = run_search(lambda w: [float(np.dot(w, slope)) + x for x in (0.0, 0.1, 0.2)], ["a", "b", "c"], pool,
                     rounds=2, per_round=12, top_k=4)
    X = np.stack([pool[e["index"]] for e in res.evaluated])
    Y = np.array([e["losses"] for e in res.evaluated])
    targets = dirichlet_pool(3, 40, max_weight=0.95, seed=9)  # many below the floor
    real = targets @ slope
    name, scores = choose_regressor(X, Y, targets, real, range(0, 40, 2))
    assert set(scores) == set(REGRESSORS) and name == max(scores, key=scores.get)
    assert name == "lgb_linear" and scores["lgb_linear"] > scores["lgb"]
    refit = refit_final(res, 4, REGRESSORS[name])
    assert len(refit.predictions) == len(res.predictions) and refit.evaluated == res.evaluated
    assert np.allclose(refit.final_weights, pool[refit.top_k_indices].mean(axis=0))
    assert float(np.dot(refit.final_weights, slope)) <= float(np.dot(res.final_weights, slope)) + 0.02
