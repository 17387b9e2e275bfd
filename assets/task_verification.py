"""Execution-verified tasks: the repository's own tests run in a sandbox before and after each PR.

Per repository (partition of ``github_repos``): task filters, a cached test environment per
dependency recipe, sandboxed before/after runs, FAIL_TO_PASS / PASS_TO_PASS labels
(``ops.execution``). Writes ``task_validations``, ``task_test_results``, ``task_environments`` and
the filter/execution decisions in ``trajectory_decisions``. The check re-derives every verified
task's labels from the stored per-test outcomes.
"""

import warnings

import dagster as dg

from assets.github import github_pr_chains, github_repos
from assets.lineage import content_version, lineage_of, with_data_version
from pipelines.resources import WarehouseResource

GROUP = "trajectories"


class TaskVerificationConfig(dg.Config):
    """Which PRs to validate and the sandbox's limits."""

    max_prs: int = 0  # newest filtered-in PRs validated; 0 = all of them
    runs: int = 2  # runs per phase (before/after) that must agree
    workers: int = 1  # PRs validated at once
    wall_s: float = 300.0  # per test run
    memory_mb: int = 4096
    max_procs: int = 256
    max_output_kb: int = 1000
    envs_dir: str = ""  # "" → <trainyard home>/envs
    drop_bots: bool = True
    drop_releases: bool = True
    drop_raw_merge_titles: bool = True
    drop_housekeeping_only: bool = True
    require_source_change: bool = True
    reuse_results: bool = True  # reuse a PR's stored validation when commit, environment and limits match


def verification_config(config: TaskVerificationConfig, repo: str):
    from pathlib import Path

    from ops.execution.sandbox import SandboxLimits
    from ops.execution.verify_repo import VerificationConfig
    from ops.trajectories.task_filters import TaskFilterConfig
    from warehouse.paths import artifact_dir, trainyard_home

    return VerificationConfig(
        envs_dir=Path(config.envs_dir) if config.envs_dir else trainyard_home() / "envs",
        results_dir=artifact_dir("trajectories", "validations", repo) if config.reuse_results else None,
        max_prs=config.max_prs, runs=config.runs, workers=config.workers,
        limits=SandboxLimits(wall_s=config.wall_s, memory_mb=config.memory_mb, max_procs=config.max_procs,
                             max_output_bytes=config.max_output_kb * 1000),
        filters=TaskFilterConfig(config.drop_bots, config.drop_releases, config.drop_raw_merge_titles,
                                 config.drop_housekeeping_only, config.require_source_change))


@dg.asset(group_name=GROUP, code_version="1", partitions_def=github_repos, deps=[github_pr_chains],
          description="Task filters, then each remaining PR's touched tests run in a bubblewrap sandbox "
                      "(no network, read-only host) twice at the base with the PR's tests and twice at the "
                      "merge: FAIL_TO_PASS / PASS_TO_PASS per test. task_validations: one row per PR "
                      "(status, reason, FAIL_TO_PASS tests, outputs); task_test_results: one row per (test, "
                      "phase, run) outcome; task_environments: one row per built test environment; "
                      "trajectory_decisions: the verification gate per PR; PRs that cannot be checked go "
                      "to quarantine.")
def verified_tasks(context: dg.AssetExecutionContext, config: TaskVerificationConfig,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.execution.verify_repo import decision_rows, quarantine_rows, verify_repository
    from ops.github.store import load_snapshot
    from ops.trajectories.sources import clone_path
    from warehouse.registry import quarantine

    wh = warehouse.get()
    repo = context.partition_key
    lineage = lineage_of(context)
    snapshot = load_snapshot(repo, path=wh.path)
    path = clone_path(snapshot)
    if path is None:
        raise dg.Failure(f"no local clone of {repo}: tests run from git history "
                         "(`trainyard github ingest PATH --repo {repo}`)")
    res = verify_repository(snapshot, path, verification_config(config, repo), progress=context.log.info)
    lineage = with_data_version(lineage, content_version(sorted((r["task_id"], r["status"], r["fail_to_pass"])
                                                                for r in res.validations)))
    # compute ran without the warehouse; the writes are short transactions
    wh.write("task_environments", res.environments, lineage, mode="upsert", key=["env_id"])
    wh.write("task_validations", res.validations, lineage)
    wh.write("task_test_results", res.test_results, lineage)
    wh.write("trajectory_decisions", decision_rows(res.validations), lineage)
    quarantine(wh, quarantine_rows(res.validations), lineage)
    verified = [r for r in res.validations if r["status"] == "verified"]
    return dg.MaterializeResult(data_version=dg.DataVersion(lineage.data_version), metadata={
        **{f"status/{k}": v for k, v in sorted(res.counts.items())},
        "verified": len(verified),
        "fail_to_pass_tests": sum(r["n_fail_to_pass"] for r in verified),
        "env_cache_hit_rate": round(res.env_cache_hits / res.env_lookups, 3) if res.env_lookups else 0.0,
        "reused_validations": res.reused,
        "seconds_validating": round(res.seconds_validating, 1),
        "example": dg.MetadataValue.md(
            f"**{verified[0]['task_id']}** {verified[0]['title']}\n\nFAIL_TO_PASS: "
            + ", ".join(f"`{t}`" for t in verified[0]["fail_to_pass"][:10]) if verified else "(none verified)"),
    })


def _verified_tasks_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from ops.trajectories.checks import verification_check

    passed, meta = verification_check(warehouse.get().path,
                                      context.partition_key if context.has_partition_key else None)
    return dg.AssetCheckResult(passed=passed, metadata=meta, severity=dg.AssetCheckSeverity.ERROR)


with warnings.catch_warnings():  # partitioned asset checks are a Dagster preview feature
    warnings.simplefilter("ignore", dg.PreviewWarning)
    verified_tasks_check = dg.asset_check(
        asset=verified_tasks, partitions_def=github_repos, name="verified_tasks_check",
        description="Re-derives labels from task_test_results: every FAIL_TO_PASS test of a verified task "
                    "failed at the base and passed at the merge in each run, and no verified task has a "
                    "PASS_TO_PASS regression.")(_verified_tasks_check)

VERIFICATION_ASSETS = [verified_tasks]
VERIFICATION_CHECKS = [verified_tasks_check]
