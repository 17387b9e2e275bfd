"""Trajectories branch wiring (#4): per-repository task + trajectory job, the cross-repository
dataset → SFT → report job, the demo plan and ``trainyard trajectories``."""

from pathlib import Path

import dagster as dg

from assets.github import github_repos
from assets.task_verification import VERIFICATION_ASSETS, VERIFICATION_CHECKS, verified_tasks
from assets.trajectories import (TRAJECTORY_ASSETS, TRAJECTORY_CHECKS, agent_trajectories, trajectory_dataset,
                                 trajectory_eval_report, trajectory_sft, trajectory_tasks)

ASSETS = VERIFICATION_ASSETS + TRAJECTORY_ASSETS
ASSET_CHECKS = VERIFICATION_CHECKS + TRAJECTORY_CHECKS

trajectories_repo_job = dg.define_asset_job(
    "trajectories_repo_job", selection=dg.AssetSelection.assets(verified_tasks, trajectory_tasks, agent_trajectories),
    description="Execution-verified tasks, task statements and agent trajectories for one repository partition.")
trajectories_dataset_job = dg.define_asset_job(
    "trajectories_dataset_job",
    selection=dg.AssetSelection.assets(trajectory_dataset, trajectory_sft, trajectory_eval_report),
    description="Dedup + decontamination + export (blocking contamination check), SFT run, report.")
trajectories_verify_job = dg.define_asset_job(
    "trajectories_verify_job", selection=dg.AssetSelection.assets(verified_tasks),
    description="Execution verification only: each filtered-in PR's tests before/after in the sandbox.")
JOBS = [trajectories_repo_job, trajectories_dataset_job, trajectories_verify_job]
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
    verify = {"max_prs": args.max_prs, "runs": args.runs, "workers": args.workers, "wall_s": args.wall_s}
    job = "trajectories_verify_job" if args.trajectories_command == "verify" else "trajectories_repo_job"
    with dg.DagsterInstance.get() as instance:
        repos = args.repo or instance.get_dynamic_partitions(github_repos.name)
        failed = 0
        for repo in repos:
            r = defs.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=repo, raise_on_error=False,
                run_config={"ops": {"verified_tasks": {"config": verify}}})
            print(f"{job} [{repo}]: {'ok' if r.success else 'FAILED'}")
            failed += not r.success
        if args.trajectories_command == "verify":
            print(read_sql("SELECT repo, status, count(*) AS n FROM task_validations GROUP BY 1, 2 ORDER BY 1, 2"))
            return 1 if failed else 0
        dataset = {} if args.eval_set is None else {"eval_sets": [str(Path(p).resolve()) for p in args.eval_set]}
        r = defs.resolve_job_def("trajectories_dataset_job").execute_in_process(
            instance=instance, raise_on_error=False, run_config={"ops": {"trajectory_dataset": {"config": dataset}}})
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
    b = sub.add_parser("build", help="verified tasks → trajectories → dataset → SFT → report",
                       description="Example: trainyard trajectories build --repo acme/widgets --max-prs 50 "
                                   "--eval-set swe_bench_verified.jsonl")
    v = sub.add_parser("verify", help="only run each PR's tests in the sandbox (task_validations)",
                       description="Example: trainyard trajectories verify --repo owner/name --max-prs 100")
    for x in (b, v):
        x.add_argument("--repo", nargs="*", default=None, help="owner/name partitions (default: all synced)")
        x.add_argument("--max-prs", type=int, default=0, help="validate the newest N filtered-in PRs (0: all)")
        x.add_argument("--runs", type=int, default=2, help="runs per phase that must agree (default 2)")
        x.add_argument("--workers", type=int, default=1, help="PRs validated at once")
        x.add_argument("--wall-s", type=float, default=300.0, help="wall-clock limit of one test run, seconds")
    b.add_argument("--eval-set", action="append", default=None, metavar="PATH",
                   help="JSONL evaluation set to decontaminate against (repo + pr, pr_key or SWE-bench "
                        "instance_id, problem_statement, patch); repeatable. Default: the embedded list")
    return {"trajectories": _cmd_trajectories}
