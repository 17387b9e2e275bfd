import json
import math

from tests.conftest import materialize
from warehouse.readers import read_sql, scalar


def test_spine_slice_materialises_into_registry_and_rerun_does_not_duplicate(trainyard_home):
    from assets.corpus import SPINE_ASSETS

    result = materialize(SPINE_ASSETS)
    assert result.success
    docs = read_sql("SELECT origin, count(*) AS n FROM corpus_documents GROUP BY 1 ORDER BY 1").rows()
    assert docs[0][0] == "project_text" and docs[0][1] >= 6
    assert docs[1][0] == "stdlib" and docs[1][1] == 12  # tiny profile
    run = read_sql("SELECT training_run_id, kind, status, output_checkpoint, config_json FROM training_runs").row(0)
    assert run[1:3] == ("lm_pretrain", "succeeded")
    assert (trainyard_home / "artifacts" / "spine" / "corpus_lm" / "model.safetensors").exists()
    assert json.loads(run[4])["train"]["steps"] == 6
    n_loss = scalar("SELECT count(*) FROM training_metrics WHERE training_run_id = ? AND name = 'train/loss'", [run[0]])
    assert n_loss == 6
    report = read_sql("SELECT report_id, subject, html_path, summary_json FROM eval_reports").row(0)
    assert report[1] == run[0]
    html = open(report[2]).read()
    assert "Tiny LM loss" in html and "loss.png" in html
    val = scalar("SELECT value FROM eval_metrics WHERE metric = 'held_out_loss'")
    # A random-init model over a 512-token vocabulary starts near ln(512) = 6.24 nats.
    assert 0 < val < math.log(512) + 1.0

    # Lineage: the report row points at the training run, which names its dataset asset.
    assert scalar("SELECT dataset_asset FROM training_runs WHERE training_run_id = ?", [report[1]]) == "raw_corpus"

    before = {t: scalar(f"SELECT count(*) FROM {t}") for t in
              ("corpus_documents", "corpus_stats", "training_runs", "training_metrics", "eval_reports", "eval_metrics")}
    assert materialize(SPINE_ASSETS).success
    after = {t: scalar(f"SELECT count(*) FROM {t}") for t in before}
    assert after == before
    assert scalar("SELECT count(DISTINCT dagster_run_id) FROM corpus_documents") == 1
