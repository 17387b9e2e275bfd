"""Issue #14: background-normalised scores get a threshold chosen on a calibration split (target
precision on transformed copies vs held-out distractors), not a fixed 0.95."""
import math

import numpy as np
import pytest
from PIL import Image

from ops.images.calibration import choose_threshold, split_background


def test_choose_threshold_lowest_score_reaching_the_target():
    truth = {"q1": "a", "q2": "b", "q3": "c"}
    preds = [("q1", "a", 0.9), ("q2", "b", 0.8), ("x", "a", 0.7), ("q3", "c", 0.6), ("y", "b", 0.5)]
    t, p, r, n, _ = choose_threshold(preds, truth, target_precision=1.0)
    assert (t, p, r, n) == (0.8, 1.0, 2 / 3, 2)          # 0.7 is a distractor: stop above it
    t, p, r, n, _ = choose_threshold(preds, truth, target_precision=0.75)
    assert (t, p, n) == (0.6, 0.75, 4) and r == 1.0       # 3 of 4 pairs ≥ 0.6 are copies
    # a tie between a copy and a distractor is cut as a whole: both in or both out
    t, *_ = choose_threshold([("q1", "a", 0.9), ("x", "a", 0.9)], {"q1": "a"}, 1.0)
    assert t > 0.9
    # nothing reaches the target: the threshold sits above every score (nothing passes)
    t, p, r, n, _ = choose_threshold([("x", "a", 0.4)], {"q1": "a"}, 0.99)
    assert t > 0.4 and n == 0 and r == 0.0


def test_split_background_is_deterministic_and_disjoint():
    bg = [(f"b{i}", f"/p/{i}.png") for i in range(20)]
    norm, held = split_background(bg)
    assert len(held) == 5 and len(norm) == 15 and not set(norm) & set(held)
    assert split_background(list(reversed(bg))) == (norm, held)


def test_dedup_with_background_calibrates_and_records_how(tmp_path, tiny_model):
    from ops.images.dedup import run_dedup
    from ops.images.descriptors import make_descriptor
    from ops.images.matching import MatchConfig
    from ops.images.scale_set import _base_photos, generated_image

    rng = np.random.default_rng(0)
    photos = _base_photos()
    dirs = {n: tmp_path / n for n in ("ref", "bench", "bg")}
    for d in dirs.values():
        d.mkdir()
    for i in range(12):
        generated_image(photos, rng, 96).save(dirs["ref"] / f"r{i}.png")
        generated_image(photos, rng, 96).save(dirs["bg"] / f"g{i}.png")
    Image.open(dirs["ref"] / "r0.png").save(dirs["bench"] / "copy.png")
    generated_image(photos, rng, 96).save(dirs["bench"] / "new.png")
    listing = lambda d: [(p.name, str(p)) for p in sorted(d.iterdir())]  # noqa: E731
    res = run_dedup(listing(dirs["bench"]), listing(dirs["ref"]),
                    make_descriptor("torchscript", path=str(tiny_model), size=64), tmp_path / "work",
                    MatchConfig(), background=listing(dirs["bg"]), calibrate=0.9)
    cal = res.calibration
    assert cal is not None and cal.target_precision == 0.9
    assert cal.n_copies == 12 and cal.n_distractors == 3       # a quarter of the background held out
    assert cal.threshold != 0.95 and math.isfinite(cal.threshold)
    assert cal.precision >= 0.9 or cal.n_predicted == 0
    assert "precision ≥ 0.9" in cal.method
    # the decisions use the calibrated threshold
    kept = {p.query_id for p in res.pairs}
    assert all(p.score >= cal.threshold for p in res.pairs)
    assert ("copy.png" in kept) == (max((p.score for k, p in res.scored if p.query_id == "copy.png"),
                                        default=-1) >= cal.threshold)


def test_no_background_no_calibration(tmp_path, tiny_model):
    from ops.images.dedup import run_dedup
    from ops.images.descriptors import make_descriptor

    for i in range(2):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    res = run_dedup([("0.png", str(tmp_path / "0.png"))], [("1.png", str(tmp_path / "1.png"))],
                    make_descriptor("torchscript", path=str(tiny_model), size=32), tmp_path / "w",
                    calibrate=0.99)
    assert res.calibration is None
