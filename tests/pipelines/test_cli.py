import subprocess
import sys

from pipelines.cli import main
from warehouse.paths import PROJECT_ROOT
from warehouse.readers import scalar
from warehouse.registry import EvalMetric, record_eval_report
from warehouse.writer import Lineage


def test_query_prints_result_and_refuses_writes(warehouse, capsys):
    record_eval_report(warehouse, report_id="r1", subject_kind="dataset", subject="d", suite="s",
                       summary={"a": 1}, html_path="x.html", metrics=[EvalMetric("acc", 0.5, n=10)],
                       lineage=Lineage.adhoc("test"), source_key="d")
    assert main(["query", "select count(*) as n from eval_reports"]) == 0
    out = capsys.readouterr().out
    assert "n" in out and "│ 1   │" in out
    assert main(["query", "delete from eval_reports"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert scalar("select count(*) from eval_reports") == 1


def test_query_subprocess_uses_the_same_home_from_any_directory(warehouse, tmp_path, trainyard_home):
    record_eval_report(warehouse, report_id="r2", subject_kind="dataset", subject="d", suite="s",
                       summary={}, html_path="x.html", metrics=[], lineage=Lineage.adhoc("test"), source_key="d")
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "query", "select 40 + count(*) as n from eval_reports"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={"TRAINYARD_HOME": str(trainyard_home), "PATH": "/usr/bin:/bin",
                              "PYTHONPATH": str(PROJECT_ROOT)})
    assert out.returncode == 0, out.stderr
    assert "41" in out.stdout


def test_doctor_reports_checks(capsys):
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert "import dagster" in out and "warehouse migrations: up to date" in out
    assert code == 0
