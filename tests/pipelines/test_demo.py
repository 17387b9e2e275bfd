"""`trainyard demo` end to end on the tiny profile: every branch's plan runs through Dagster into
the test's home, the warehouse answers the README's query, and the terminal shows the demo's own
lines (one per asset, a summary) while library chatter goes to the run's log."""
import re

from pipelines.cli import main
from pipelines.demo import HEADLINE_METRICS
from warehouse.readers import read_sql, scalar


def test_demo_runs_every_branch_and_fills_the_registry(trainyard_home, capfd):
    code = main(["demo"])
    out, err = capfd.readouterr()
    assert code == 0, (out + err)[-3000:]
    assert "FAILED" not in out
    assert scalar("select count(*) from eval_reports") > 0
    runs = read_sql("select status, count(*) from training_runs group by 1").rows()
    assert runs and all(status == "succeeded" for status, _ in runs), runs
    # The terminal: a start and a finish line per asset, nothing from the libraries.
    lines = out.splitlines()
    for asset in ("raw_corpus", "corpus_lm", "demix_fidelity", "rubric_grpo", "trajectory_sft"):
        assert f"    started  {asset}" in lines
        assert any(re.match(rf"    finished {asset}  [\d,]+ rows in \d+ tables?  \d+\.\ds", line) for line in lines)
    assert not [line for line in lines if line.startswith("{'loss") or "Warning" in line or "…" in line]
    assert err == ""
    # The summary: total time, every headline metric read back from eval_metrics, the index.
    assert re.search(r"runs succeeded in \d+\.\ds \(\d+ min \d\d s\)", out)
    recorded = [line for line in lines if any(h.label in line for h in HEADLINE_METRICS)]
    assert len(recorded) >= 7 and not [line for line in recorded if "not recorded" in line], recorded
    assert f"Report index:  {trainyard_home}" in out
    # What the libraries and Dagster printed is in the run's log instead.
    log = next((trainyard_home / "logs").glob("demo-*.log")).read_text()
    assert "RUN_SUCCESS" in log and "RUN_SUCCESS" not in out
    # Every table an asset filled in this demo is named in that asset's description (the UI's text).
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    descriptions = {k.to_user_string(): graph.get(k).description for k in graph.get_all_asset_keys()}
    tables = read_sql("select table_name from information_schema.columns where column_name = 'asset_key' "
                      "and table_name in (select table_name from information_schema.tables "
                      "where table_type = 'BASE TABLE')")["table_name"].to_list()
    filled = 0
    for table in tables:
        for asset in read_sql(f"select distinct asset_key from {table}")["asset_key"]:
            if asset in descriptions:
                filled += 1
                assert table in descriptions[asset], f"{asset} fills {table} but its description does not say so"
    assert filled >= 40
    # Runs are recorded in the project's Dagster instance, so the UI shows them.
    import dagster as dg

    with dg.DagsterInstance.from_config(str(trainyard_home / "dagster_home")) as instance:
        records = instance.get_run_records()
        assert records and all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
