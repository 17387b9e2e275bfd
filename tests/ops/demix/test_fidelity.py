"""Rank statistics and the two trivial baselines against hand-computed values."""
import math

import pytest

from ops.demix.fidelity import (
    baseline_predictors, fidelity_table, neg_entropy, spearman, spearman_ci, weighted_component_loss,
)


def test_spearman_hand_computed():
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(0.8207826816681233)  # ties averaged
    # 1 - 6 Σd² / (n(n²-1)) with ranks (1,2,3,4) vs (2,1,4,3): Σd² = 4 → 1 - 24/60 = 0.6
    assert spearman([10, 20, 30, 40], [0.2, 0.1, 0.4, 0.3]) == pytest.approx(0.6)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_spearman_ci_brackets_point_and_narrows_with_agreement():
    a = list(range(12))
    b = [x + (0.5 if x % 3 == 0 else 0) for x in a]
    p, lo, hi = spearman_ci(a, b)
    assert p == 1.0 and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    noisy = [3, 1, 2, 5, 4, 0, 8, 6, 11, 7, 10, 9]
    p, lo, hi = spearman_ci(a, noisy)
    assert lo < p < hi and hi - lo > 0.1


def test_baselines_hand_computed():
    assert neg_entropy([0.5, 0.5]) == pytest.approx(-math.log(2))
    assert neg_entropy([2, 0, 0]) == 0.0  # normalised; zero weights contribute nothing
    comps = [[1.0, 3.0], [2.0, 5.0]]  # component i's loss on domain d
    assert weighted_component_loss([0.25, 0.75], comps) == pytest.approx([1.75, 4.5])
    preds = baseline_predictors([[0.25, 0.75]], comps)
    assert preds["weighted_component_loss"] == [pytest.approx([1.75, 4.5])]
    assert preds["neg_entropy"][0] == [pytest.approx(0.25 * math.log(0.25) + 0.75 * math.log(0.75))] * 3


def test_fidelity_table_rows_per_domain_and_aggregate():
    real = [[1.0, 4.0], [2.0, 3.0], [3.0, 2.5], [4.0, 1.0]]
    perfect = [[r[0] * 2, r[1] + 1] for r in real]
    reversed_ = [[-r[0], -r[1]] for r in real]
    rows = fidelity_table(["a", "b"], real, {"good": perfect, "bad": reversed_}, n_boot=50)
    got = {(r["method"], r["domain"]): r["spearman"] for r in rows}
    assert got[("good", "a")] == 1.0 and got[("good", "b")] == 1.0 and got[("bad", "a")] == -1.0
    # aggregate = mean over domains: real (2.5, 2.5, 2.75, 2.5) ties; good (3.5, 4.5, 5.25, 5.5)
    assert got[("good", "aggregate")] == pytest.approx(spearman([2.5, 2.5, 2.75, 2.5], [3.5, 4.5, 5.25, 5.5]))
    assert {r["k"] for r in rows} == {4}
    with pytest.raises(ValueError, match="3 predictions for 4"):
        fidelity_table(["a", "b"], real, {"short": perfect[:3]})
