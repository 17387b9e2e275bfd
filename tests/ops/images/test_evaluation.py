"""ISC21 µAP and precision/recall on hand-computed examples."""
import pytest

from ops.images.evaluation import micro_ap, precision_recall_at

GT = {"q1": "r1", "q2": "r2", "q3": "r3"}
PREDS = [("q1", "r1", 0.9), ("q4", "r1", 0.8), ("q2", "r2", 0.7), ("q3", "r9", 0.6),
         ("q1", "r1", 0.1)]  # duplicate of the first with a lower score: ignored


def test_micro_ap_by_hand():
    # ranked: correct, wrong, correct, wrong; AP = (1/1 + 2/3) / 3 ground-truth pairs
    curve = micro_ap(PREDS, GT)
    assert curve.micro_ap == pytest.approx((1 + 2 / 3) / 3)
    assert curve.n_gt == 3
    assert list(curve.precision) == pytest.approx([1, 0.5, 2 / 3, 0.5])
    assert list(curve.recall) == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3])


def test_micro_ap_perfect_and_ties_are_pessimistic():
    assert micro_ap([("q1", "r1", 1.0), ("q2", "r2", 0.5), ("q3", "r3", 0.2)], GT).micro_ap == pytest.approx(1.0)
    # a wrong prediction tied with a correct one ranks first: precision 1/2 at the only hit
    tie = micro_ap([("q1", "r1", 0.5), ("q9", "r1", 0.5)], {"q1": "r1"})
    assert tie.micro_ap == pytest.approx(0.5)


def test_precision_recall_at_threshold():
    p, r, n = precision_recall_at(PREDS, GT, 0.75)
    assert (p, r, n) == (pytest.approx(0.5), pytest.approx(1 / 3), 2)
    p, r, n = precision_recall_at(PREDS, GT, 0.95)
    assert (p, r, n) == (1.0, 0.0, 0)


def test_empty_inputs():
    assert micro_ap([], GT).micro_ap == 0.0
    assert micro_ap(PREDS, {}).micro_ap == 0.0
