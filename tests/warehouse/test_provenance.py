"""Machine and commit stamps recorded with every evaluation report and benchmark row."""
import subprocess

from warehouse import provenance
from warehouse.paths import PROJECT_ROOT


def test_git_commit_names_the_checkout_or_the_environment(monkeypatch):
    provenance.git_commit.cache_clear()
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True)
    got = provenance.git_commit()
    if head.returncode == 0:
        assert got.split("+")[0] == head.stdout.strip() and got.removeprefix(head.stdout.strip()) in ("", "+dirty")
    else:
        assert got == "unknown"
    provenance.git_commit.cache_clear()
    monkeypatch.setenv("TRAINYARD_GIT_COMMIT", "deadbeef1234")
    assert provenance.git_commit() == "deadbeef1234"
    provenance.git_commit.cache_clear()


def test_machine_description_names_cores_and_python():
    import os
    import platform

    text = provenance.machine_description()
    assert f"{os.cpu_count()} cores" in text and f"Python {platform.python_version()}" in text


def test_record_eval_report_stamps_machine_and_commit(warehouse):
    from warehouse.readers import read_sql
    from warehouse.registry import EvalMetric, record_eval_report
    from warehouse.writer import Lineage

    record_eval_report(warehouse, report_id="r", subject_kind="dataset", subject="s", suite="x", summary={},
                       html_path="", metrics=[EvalMetric("m", 1.0)], lineage=Lineage.adhoc("t"), source_key="s")
    row = read_sql("SELECT machine, git_commit FROM eval_reports").row(0)
    assert row == (provenance.machine_description(), provenance.git_commit())
