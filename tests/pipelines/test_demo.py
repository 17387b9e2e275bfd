"""`trainyard demo` end to end on the tiny profile: every branch's plan runs through Dagster into
the test's home, and the warehouse answers the README's query."""
from pipelines.cli import main
from warehouse.readers import read_sql, scalar


def test_demo_runs_every_branch_and_fills_the_registry(trainyard_home, capsys):
    assert main(["demo"]) == 0, capsys.readouterr().err[-3000:]
    out = capsys.readouterr().out
    assert "FAILED" not in out
    assert scalar("select count(*) from eval_reports") > 0
    runs = read_sql("select status, count(*) from training_runs group by 1").rows()
    assert runs and all(status == "succeeded" for status, _ in runs), runs
    # Runs are recorded in the project's Dagster instance, so the UI shows them.
    import dagster as dg

    with dg.DagsterInstance.from_config(str(trainyard_home / "dagster_home")) as instance:
        records = instance.get_run_records()
        assert records and all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
