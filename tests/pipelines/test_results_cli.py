"""``trainyard results`` and ``trainyard results --schema`` from the command line."""
from pipelines.cli import main
from warehouse.registry import EvalMetric, record_eval_report
from warehouse.writer import Lineage


def test_results_command_renders_from_a_given_warehouse_file(warehouse, tmp_path, capsys):
    record_eval_report(warehouse, report_id="corpus_report/corpus", subject_kind="dataset", subject="lm",
                       suite="corpus_lm", summary={}, html_path="", source_key="lm",
                       lineage=Lineage(dagster_run_id="r1", asset_key="corpus_report"),
                       metrics=[EvalMetric("held_out_loss", 5.25, n=40, ci_low=5.0, ci_high=5.5)])
    out = tmp_path / "docs"
    assert main(["results", "--out", str(out), "--warehouse", str(warehouse.path)]) == 0
    md = (out / "results.md").read_text()
    assert "## spine" in md and "| held_out_loss | 5.25 | [5, 5.5] | 40 |" in md  # corpus_report is in group spine
    assert (out / "results" / "corpus-report-corpus.png").is_file()
    assert "1 evaluation metrics" in capsys.readouterr().out


def test_results_errors_are_one_line(tmp_path, capsys):
    assert main(["results", "--out", str(tmp_path), "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --warehouse") and "no such warehouse file" in err and "\n" not in err
    assert main(["results", "--out", str(tmp_path)]) == 2  # the test's home has no warehouse yet
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no warehouse at") and "trainyard demo" in err
    assert not (tmp_path / "results.md").exists()


def test_results_schema_writes_the_schema_page(tmp_path):
    assert main(["results", "--schema", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "schema.md").read_text()
    assert "### `eval_metrics`" in page and "| `git_commit` | VARCHAR |" in page


def test_labelled_warehouses_keep_reports_of_the_same_id_apart():
    from pipelines.results import labelled, parse_source

    assert parse_source("hh-rlhf=/tmp/a/warehouse.duckdb")[0] == "hh-rlhf"
    assert parse_source("/tmp/a=b/warehouse.duckdb")[0] == ""  # a path with '=' is not a label
    rows = [{"report_id": "demix_fidelity/fidelity", "metric": "m"}]
    assert labelled(rows, "public", "report_id")[0]["report_id"] == "public: demix_fidelity/fidelity"
    assert labelled(rows, "", "report_id") == rows
