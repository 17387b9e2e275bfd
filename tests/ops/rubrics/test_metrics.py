"""Metrics against hand-computed values."""
import math

import pytest

from ops.rubrics.metrics import auc, cohens_d_paired, metrics_with_ci, preference_accuracy

PREF = [3.0, 2.0, 1.0, 5.0]
REJ = [2.0, 2.0, 0.0, 6.0]


def test_preference_accuracy_counts_ties_as_half():
    # wins: 3>2, tie 2=2, 1>0, loss 5<6 → (1 + 0.5 + 1 + 0) / 4
    assert preference_accuracy(PREF, REJ) == pytest.approx(2.5 / 4)


def test_auc_over_all_preferred_rejected_combinations():
    # preferred 3: beats 2,2,0, loses 6 → 3; 2: ties 2,2 (1), beats 0 → 2; 1: beats 0 → 1; 5: beats 2,2,0 → 3
    assert auc(PREF, REJ) == pytest.approx(9 / 16)
    assert auc([1.0], [1.0]) == 0.5
    assert auc([2.0, 3.0], [0.0, 1.0]) == 1.0


def test_paired_cohens_d():
    # diffs 1, 0, 1, -1: mean 0.25; sample var = (0.5625+0.0625+0.5625+1.5625)/3 = 0.91667
    assert cohens_d_paired(PREF, REJ) == pytest.approx(0.25 / math.sqrt(2.75 / 3))
    assert cohens_d_paired([1.0, 2.0], [0.0, 1.0]) == math.inf
    assert math.isnan(cohens_d_paired([1.0], [0.0]))


def test_metrics_with_ci_brackets_point_and_counts_pairs():
    pref = [0.9, 0.8, 0.7, 0.2, 0.6, 0.5, 0.9, 0.4]
    rej = [0.1, 0.9, 0.3, 0.1, 0.2, 0.6, 0.5, 0.3]
    got = {m.metric: m for m in metrics_with_ci(pref, rej, n_boot=300)}
    assert got["accuracy"].value == pytest.approx(6 / 8)
    assert got["accuracy"].n == 8
    for m in got.values():
        assert m.ci_low <= m.value <= m.ci_high


def test_accuracy_interval_is_binomial_not_a_degenerate_bootstrap():
    # 0 of 8 preferred answers win: a bootstrap says [0, 0]; the Wilson interval does not.
    got = {m.metric: m for m in metrics_with_ci([0.0] * 8, [1.0] * 8, n_boot=200)}
    assert got["accuracy"].value == 0.0
    assert got["accuracy"].ci_low == 0.0 and got["accuracy"].ci_high == pytest.approx(0.3244, abs=1e-4)
