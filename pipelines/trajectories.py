"""Trajectories branch wiring (#4): per-repository task + trajectory job, the cross-repository
dataset → SFT → report job, the demo plan and ``trainyard trajectories``."""

import dagster as dg

from assets.github import github_repos
from assets.trajectories import (TRAJECTORY_ASSETS, TRAJECTORY_CHECKS, agent_trajectories, trajectory_dataset,
                                 trajectory_eval_report, trajectory_sft, trajectory_tasks)

ASSETS = TRAJECTORY_ASSETS
ASSET_CHECKS = TRAJECTORY_CHECKS

trajectories_repo_job = dg.define_asset_job(
    "trajectories_repo_job", selection=dg.AssetSelection.assets(trajectory_tasks, agent_trajectories),
    description="Task statements and agent trajectories for one repository partition.")
trajectories_dataset_job = dg.define_asset_job(
    "trajectories_dataset_job",
    selection=dg.AssetSelection.assets(trajectory_dataset, trajectory_sft, trajectory_eval_report),
    description="Dedup + decontamination + export (blocking contamination check), SFT run, report.")
JOBS = [trajectories_repo_job, trajectories_dataset_job]
SCHEDULES: list = []
SENSORS: list = []


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """The embedded demo repository's partition (registered by the GitHub branch's plan), then the
    cross-repository dataset job."""
    from ops.github.demo_repo import DEMO_REPO

    return [("trajectories_repo_job", DEMO_REPO), ("trajectories_dataset_job", None)]


def _cmd_trajectories(args) -> int:
    from pipelines.definitions import defs
    from pipelines.instance import prepare_dagster_home
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    prepare_dagster_home()
    Warehouse().ensure_schema()
    with dg.DagsterInstance.get() as instance:
        repos = args.repo or instance.get_dynamic_partitions(github_repos.name)
        failed = 0
        for repo in repos:
            r = defs.resolve_job_def("trajectories_repo_job").execute_in_process(
                instance=instance, partition_key=repo, raise_on_error=False)
            print(f"trajectories_repo_job [{repo}]: {'ok' if r.success else 'FAILED'}")
            failed += not r.success
        r = defs.resolve_job_def("trajectories_dataset_job").execute_in_process(instance=instance,
                                                                                raise_on_error=False)
        print(f"trajectories_dataset_job: {'ok' if r.success else 'FAILED'}")
        failed += not r.success
    print(read_sql("SELECT gate, keep, count(*) AS n FROM trajectory_decisions GROUP BY 1, 2 ORDER BY 1, 2"))
    print(read_sql("SELECT split, count(*) AS n, any_value(export_dir) AS export_dir FROM trajectory_dataset "
                   "GROUP BY split"))
    return 1 if failed else 0


def add_cli(subparsers) -> dict:
    """``trainyard trajectories build [--repo OWNER/NAME ...]`` (repositories already synced)."""
    p = subparsers.add_parser("trajectories", help="build agent trajectories + SFT from synced repositories")
    sub = p.add_subparsers(dest="trajectories_command", required=True)
    b = sub.add_parser("build", help="tasks → trajectories → dataset → SFT → report")
    b.add_argument("--repo", nargs="*", default=None, help="owner/name partitions (default: all synced)")
    return {"trajectories": _cmd_trajectories}
