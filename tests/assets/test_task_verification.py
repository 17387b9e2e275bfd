"""The embedded demo repository through Dagster with execution verification: ≥ 2 verified tasks,
the check re-derives their labels from stored outcomes, verified trajectories carry no synthetic
observation, and filtered or unexecuted PRs never reach the kept trajectories."""
import json

import dagster as dg
import pytest


@pytest.fixture
def verified_run():
    from assets.github import GITHUB_ASSETS
    from assets.task_verification import VERIFICATION_ASSETS, VERIFICATION_CHECKS
    from assets.trajectories import TRAJECTORY_ASSETS, TRAJECTORY_CHECKS
    from ops.execution.sandbox import SandboxUnavailable, bwrap_path
    from ops.github.demo_repo import DEMO_REPO, create_demo_repo
    from ops.github.repo_list import RepoSpec
    from pipelines.github import register_repo
    from pipelines.resources import WarehouseResource
    from warehouse.paths import artifact_dir

    try:
        bwrap_path()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    instance = dg.DagsterInstance.ephemeral()
    path = artifact_dir("github", "demo_repo")
    create_demo_repo(path)
    register_repo(instance, RepoSpec(repo=DEMO_REPO, source="local", path=str(path)))
    everything = GITHUB_ASSETS + VERIFICATION_ASSETS + TRAJECTORY_ASSETS + VERIFICATION_CHECKS + TRAJECTORY_CHECKS
    res = dg.materialize(everything, selection=["github_repo_data", "github_pr_chains", "verified_tasks",
                                                "trajectory_tasks", "agent_trajectories"],
                         partition_key=DEMO_REPO, instance=instance, resources={"warehouse": WarehouseResource()})
    assert res.success
    return res


def test_demo_yields_verified_tasks_and_real_observations(verified_run):
    from warehouse.readers import read_sql, scalar

    check = [e for e in verified_run.get_asset_check_evaluations() if e.check_name == "verified_tasks_check"]
    assert len(check) == 1 and check[0].passed and check[0].metadata["verified_tasks"].value >= 2
    v = read_sql("SELECT task_id, status, n_fail_to_pass, fail_to_pass, final_output FROM task_validations "
                 "WHERE status = 'verified'").to_dicts()
    assert len(v) >= 2 and all(r["n_fail_to_pass"] >= 1 and "passed" in r["final_output"] for r in v)
    # a filtered PR (the release) never becomes a task
    assert scalar("SELECT status FROM task_validations WHERE task_id = 'acme/widgets#9'") == "filtered"
    assert scalar("SELECT count(*) FROM trajectory_tasks WHERE list_contains(pr_keys, 'acme/widgets#9')") == 0
    kept = read_sql("SELECT task_id, pr_keys, n_synthetic_observations, messages_json, observation_kinds_json "
                    "FROM trajectories").to_dicts()
    verified = {r["task_id"] for r in v}
    assert kept and all(set(r["pr_keys"]) <= verified for r in kept)  # unexecuted tasks fail the score
    for r in kept:
        assert r["n_synthetic_observations"] == 0
        msgs = json.loads(r["messages_json"])
        calls = [c for m in msgs for c in m.get("tool_calls") or []]
        assert calls[-2]["function"]["name"] == "run_tests"  # the FAIL_TO_PASS tests, then submit
        last_test_output = [m for m in msgs if m["role"] == "tool"][-2]["content"]
        assert "passed" in last_test_output and "synthetic" not in last_test_output
    # every gate records what it rejected and why
    gates = read_sql("SELECT gate, keep, count(*) AS n FROM trajectory_decisions GROUP BY 1, 2").to_dicts()
    assert {("task_filter", False), ("execution", True), ("execution", False)} <= {(g["gate"], g["keep"]) for g in gates}
