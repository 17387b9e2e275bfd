import pytest

from warehouse.readers import read_sql
from warehouse.registry import TrainingRun, recorded_training_run
from warehouse.writer import Lineage


def _run(name):
    return TrainingRun(training_run_id=name, kind="test", base_model="b", dataset_asset="d",
                       source_key="d", config={"x": 1})


def test_recorded_training_run_marks_success_and_keeps_metrics(warehouse):
    run = _run("ok")
    with recorded_training_run(warehouse, run, Lineage.adhoc("t")) as metrics:
        metrics += [(0, "train/loss", 2.0), (1, "train/loss", 1.5)]
        run.output_checkpoint = "/ckpt"
    row = read_sql("SELECT status, output_checkpoint, finished_at IS NOT NULL FROM training_runs").row(0)
    assert row == ("succeeded", "/ckpt", True)
    assert read_sql("SELECT step, value FROM training_metrics ORDER BY step").rows() == [(0, 2.0), (1, 1.5)]


def test_recorded_training_run_marks_failure_keeps_partial_metrics_and_reraises(warehouse):
    with pytest.raises(RuntimeError, match="boom"):
        with recorded_training_run(warehouse, _run("bad"), Lineage.adhoc("t")) as metrics:
            metrics.append((0, "train/loss", 3.0))
            raise RuntimeError("boom")
    assert read_sql("SELECT status FROM training_runs").item() == "failed"
    assert read_sql("SELECT count(*) FROM training_metrics").item() == 1
