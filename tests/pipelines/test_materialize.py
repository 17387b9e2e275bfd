"""``trainyard materialize`` runs in the project's Dagster instance (so the UI shows the run), and a
dynamically partitioned asset with no partition is never reported healthy."""
import dagster as dg

from pipelines.cli import main
from warehouse.readers import scalar


def _instance(trainyard_home):
    return dg.DagsterInstance.from_config(str(trainyard_home / "dagster_home"))


def test_materialize_records_the_run_in_the_project_instance(trainyard_home, capfd):
    assert main(["materialize", "--select", "key:raw_corpus"]) == 0
    out = capfd.readouterr().out
    assert "    started  raw_corpus" in out and "    finished raw_corpus  " in out
    assert f"DAGSTER_HOME={trainyard_home / 'dagster_home'}" in out
    assert scalar("select count(*) from corpus_documents") > 0
    with _instance(trainyard_home) as instance:
        [record] = instance.get_run_records()
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert record.dagster_run.tags["trainyard/launched_by"] == "trainyard materialize"
        assert instance.get_latest_materialization_event(dg.AssetKey("raw_corpus")) is not None


def test_partitioned_selection_without_partitions_names_the_command_that_adds_one(trainyard_home, capsys):
    assert main(["materialize", "--select", "key:github_repo_data"]) == 2
    err = capsys.readouterr().err
    assert "no partitions registered in 'github_repos'" in err and "trainyard github ingest PATH" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["materialize", "--list-partitions"]) == 0
    out = capsys.readouterr().out
    assert "github_repos (0): no partitions registered" in out
    assert "static shard-00..shard-03 (4): shard-00, shard-01, shard-02, shard-03\n    assets: image_descriptors" in out


def test_partition_errors_are_one_line(trainyard_home, capsys):
    with _prepared(trainyard_home) as instance:
        instance.add_dynamic_partitions("github_repos", ["acme/widgets"])
    assert main(["materialize", "--select", "key:github_repo_data"]) == 2
    assert "pass --partition KEY (one of acme/widgets)" in capsys.readouterr().err
    assert main(["materialize", "--select", "key:github_repo_data", "--partition", "acme/nope"]) == 2
    assert "partition 'acme/nope' is not in 'github_repos'" in capsys.readouterr().err
    assert main(["materialize", "--select", "key:github_repo_data or key:doc_signatures", "--partition", "x"]) == 2
    assert "mixes partition sets" in capsys.readouterr().err
    # two static shard sets of different sizes are different sets too
    assert main(["materialize", "--select", "key:doc_signatures or key:image_descriptors", "--partition",
                 "shard-00"]) == 2
    assert "mixes partition sets (static shard-00..shard-03" in capsys.readouterr().err
    assert main(["materialize", "--select", "key:raw_corpus", "--partition", "x"]) == 2
    assert "no selected asset is partitioned" in capsys.readouterr().err
    assert main(["materialize", "--select", "key:no_such_asset"]) == 2
    assert "matches no asset" in capsys.readouterr().err


def _prepared(trainyard_home):
    from pipelines.instance import prepare_dagster_home

    prepare_dagster_home()
    return _instance(trainyard_home)


def test_dynamic_partitioned_assets_warn_until_a_partition_exists(trainyard_home):
    from pipelines.definitions import HEALTH_CHECKS, defs
    from pipelines.health import record_partition_health

    graph = defs.resolve_asset_graph()
    dynamic = {k for k in graph.get_all_asset_keys()
               if isinstance(graph.get(k).partitions_def, dg.DynamicPartitionsDefinition)}
    assert {"github_repo_data", "github_pr_chains", "verified_tasks"} <= {k.to_user_string() for k in dynamic}
    assert {next(iter(c.check_keys)).asset_key for c in HEALTH_CHECKS} == dynamic
    with _prepared(trainyard_home) as instance:
        problems = record_partition_health(instance)
        assert len(problems) == len(dynamic)
        assert all("no partitions registered in 'github_repos'" in p for p in problems)
        key = dg.AssetCheckKey(dg.AssetKey("github_repo_data"), "partitions_registered")
        state = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        evaluation = state.event.dagster_event.asset_check_evaluation_data  # what the UI shows
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
        instance.add_dynamic_partitions("github_repos", ["acme/widgets"])
        assert record_partition_health(instance) == []
