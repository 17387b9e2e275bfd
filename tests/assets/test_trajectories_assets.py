"""The trajectories slice end to end through Dagster on the embedded demo repository: every row is
joined by lineage to the PRs it came from, re-runs never duplicate rows, the leak check runs and the
blocking contamination check stops the SFT run when contaminated rows are exported."""
import dagster as dg
import pytest

from tests.conftest import materialize


@pytest.fixture
def synced(trajectory_instance):
    from assets.github import GITHUB_ASSETS
    from assets.trajectories import TRAJECTORY_ASSETS, TRAJECTORY_CHECKS
    from ops.github.demo_repo import DEMO_REPO

    everything = GITHUB_ASSETS + TRAJECTORY_ASSETS + TRAJECTORY_CHECKS
    res = materialize(everything, selection=["github_repo_data", "github_pr_chains", "trajectory_tasks",
                                             "agent_trajectories"], partition_key=DEMO_REPO,
                      instance=trajectory_instance)
    assert res.success
    return everything, res


@pytest.fixture
def trajectory_instance():
    from ops.github.demo_repo import DEMO_REPO, create_demo_repo
    from ops.github.repo_list import RepoSpec
    from pipelines.github import register_repo
    from warehouse.paths import artifact_dir

    instance = dg.DagsterInstance.ephemeral()
    path = artifact_dir("github", "demo_repo")
    create_demo_repo(path)
    register_repo(instance, RepoSpec(repo=DEMO_REPO, source="local", path=str(path)))
    return instance


def _count(sql, params=()):
    from warehouse.readers import scalar

    return scalar(sql, params)


def test_slice_end_to_end_with_lineage(synced, trajectory_instance):
    everything, res = synced
    leak = [e for e in res.get_asset_check_evaluations() if e.check_name == "task_leak_check"]
    assert len(leak) == 1 and leak[0].passed and leak[0].metadata["tasks"].value == 17  # 11 PRs + 6 chains (#14: blame edge 2 -> 12)
    from pipelines.resources import WarehouseResource

    # one SFT step is enough here: tests/ops/trajectories/test_traj_export_sft.py checks the training itself
    res2 = dg.materialize(everything, selection=["trajectory_dataset", "trajectory_sft", "trajectory_eval_report"],
                          instance=trajectory_instance, resources={"warehouse": WarehouseResource()},
                          run_config={"ops": {"trajectory_sft": {"config": {"steps": 1}}}})
    assert res2.success
    contam = [e for e in res2.get_asset_check_evaluations() if e.check_name == "trajectory_contamination_check"]
    assert len(contam) == 1 and contam[0].passed
    # the embedded illustrative eval list names acme/widgets#14 and restates #10's issue
    assert _count("SELECT count(*) FROM trajectory_decisions WHERE gate = 'contamination' AND NOT keep") == 4
    assert _count("SELECT count(*) FROM trajectory_dataset") == 13  # 17 tasks - 4 contaminated
    # joins: report → run → the trajectories it trained on → the PRs they came from
    prs = _count("""
        SELECT count(DISTINCT p.number) FROM eval_reports r
        JOIN training_runs tr ON tr.training_run_id = r.subject
        JOIN trajectory_run_inputs i ON i.training_run_id = tr.training_run_id
        JOIN trajectories t ON t.trajectory_id = i.trajectory_id
        JOIN github_pull_requests p ON list_contains(t.pr_keys, p.repo || '#' || p.number)
        WHERE r.report_id = 'trajectory_eval_report/sft' AND tr.status = 'succeeded'""")
    assert prs >= 5
    assert _count("SELECT count(*) FROM trajectories WHERE source_key NOT LIKE 'acme/widgets#%'") == 0
    assert _count("SELECT count(*) FROM eval_metrics WHERE report_id = 'trajectory_eval_report/sft' "
                  "AND metric = 'reference_tool_call_validity' AND value = 1.0") == 1
    assert _count("SELECT count(*) FROM trajectory_tasks WHERE generator <> 'template'") == 0

    # re-running replaces rows instead of adding them
    before = {t: _count(f"SELECT count(*) FROM {t}") for t in
              ("trajectory_tasks", "trajectories", "trajectory_decisions", "quarantine")}
    from ops.github.demo_repo import DEMO_REPO

    assert materialize(everything, selection=["trajectory_tasks", "agent_trajectories"], partition_key=DEMO_REPO,
                       instance=trajectory_instance).success
    after = {t: _count(f"SELECT count(*) FROM {t}") for t in before}
    assert after == before


def test_blocking_contamination_check_stops_sft(synced, trajectory_instance, tmp_path):
    everything, _ = synced
    bench = tmp_path / "bench.jsonl"
    bench.write_text('{"instance_id": "acme__widgets-6"}\n')
    from pipelines.resources import WarehouseResource

    res = dg.materialize(everything, selection=["trajectory_dataset", "trajectory_sft"], instance=trajectory_instance,
                         resources={"warehouse": WarehouseResource()}, raise_on_error=False,
                         run_config={"ops": {"trajectory_dataset": {"config": {"eval_sets": [str(bench)],
                                                                               "drop_contaminated": False}}}})
    assert not res.success
    check = [e for e in res.get_asset_check_evaluations() if e.check_name == "trajectory_contamination_check"][0]
    assert not check.passed and check.metadata["contaminated"].value >= 1
    assert _count("SELECT count(*) FROM training_runs WHERE kind = 'sft'") == 0


def test_unreachable_endpoint_fails_the_run_without_partial_rows(synced, trajectory_instance):
    import socket

    from ops.github.demo_repo import DEMO_REPO
    from pipelines.resources import WarehouseResource

    everything, _ = synced
    tasks_before = _count("SELECT count(*) FROM trajectory_tasks")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cfg = {"llm_kind": "openai", "llm_model": "m", "llm_base_url": f"http://127.0.0.1:{port}/v1",
           "llm_max_retries": 1, "llm_timeout_s": 2.0}
    res = dg.materialize(everything, selection=["trajectory_tasks"], partition_key=DEMO_REPO,
                         instance=trajectory_instance, resources={"warehouse": WarehouseResource()},
                         raise_on_error=False, run_config={"ops": {"trajectory_tasks": {"config": cfg}}})
    assert not res.success
    failure = [e for e in res.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "unreachable after 2 attempt" in str(failure.event_specific_data.error)
    assert _count("SELECT count(*) FROM trajectory_tasks") == tasks_before  # earlier rows untouched, none added
    assert _count("SELECT count(*) FROM llm_cache") == 0
