"""GitHub branch wiring: dynamic partitions per repository, sync + chains jobs, a daily schedule,
a sensor that adds repositories from the list and one that notices new/updated PRs, the demo
plan and the ``trainyard github`` subcommands."""

import dagster as dg

from assets.github import (
    GITHUB_ASSETS, github_chain_report, github_pr_chains, github_repo_data, github_repos,
)

ASSETS = GITHUB_ASSETS
ASSET_CHECKS: list = []

github_sync_job = dg.define_asset_job(
    "github_sync_job", selection=dg.AssetSelection.assets(github_repo_data, github_pr_chains),
    description="Sync one repository partition and rebuild its PR chains.")
github_report_job = dg.define_asset_job(
    "github_report_job", selection=dg.AssetSelection.assets(github_chain_report),
    description="PR-chain evaluation report over all repositories.")
JOBS = [github_sync_job, github_report_job]


@dg.schedule(job=github_sync_job, cron_schedule="0 4 * * *", name="github_daily_sync")
def github_daily_sync(context: dg.ScheduleEvaluationContext):
    """Incremental sync of every repository partition once a day."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    keys = context.instance.get_dynamic_partitions(github_repos.name)
    return [dg.RunRequest(run_key=f"{key}:{day}", partition_key=key) for key in keys]


@dg.sensor(job=github_sync_job, minimum_interval_seconds=300, name="github_repo_list_sensor")
def github_repo_list_sensor(context: dg.SensorEvaluationContext):
    """Adds a partition for every repository in the repository list and syncs new ones."""
    from ops.github.repo_list import read_repo_list

    known = set(context.instance.get_dynamic_partitions(github_repos.name))
    new = [s.repo for s in read_repo_list() if s.repo not in known]
    if not new:
        return dg.SkipReason("no new repositories in the list")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"{r}:added", partition_key=r) for r in new],
        dynamic_partitions_requests=[github_repos.build_add_request(new)],
    )


@dg.sensor(job=github_sync_job, minimum_interval_seconds=900, name="github_activity_sensor")
def github_activity_sensor(context: dg.SensorEvaluationContext):
    """Requests a sync for repositories with new or updated PRs since their cursor (local: HEAD
    moved; API: newest PR's updated_at, asked with a conditional request)."""
    from ops.github.activity import activity_marker
    from ops.github.repo_list import read_repo_list
    from ops.github.store import read_cursor

    keys = set(context.instance.get_dynamic_partitions(github_repos.name))
    requests = []
    for spec in read_repo_list():
        if spec.repo not in keys:
            continue
        try:
            marker = activity_marker(spec, read_cursor(spec.repo))
        except Exception as exc:  # one unreachable repository must not stop the others
            context.log.warning(f"{spec.repo}: activity check failed: {type(exc).__name__}")
            continue
        if marker:
            requests.append(dg.RunRequest(run_key=f"{spec.repo}:{marker}", partition_key=spec.repo))
    return requests or dg.SkipReason("no repository has new pull request activity")


SCHEDULES = [github_daily_sync]
SENSORS = [github_repo_list_sensor, github_activity_sensor]


def register_repo(instance: dg.DagsterInstance, spec) -> None:
    """Put ``spec`` in the repository list and its partition in the instance."""
    from ops.github.repo_list import add_repo

    add_repo(spec)
    if not instance.has_dynamic_partition(github_repos.name, spec.repo):
        instance.add_dynamic_partitions(github_repos.name, [spec.repo])


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """Builds the embedded demo repository (once) and syncs it as a local clone."""
    from ops.github.demo_repo import DEMO_REPO, create_demo_repo
    from ops.github.repo_list import RepoSpec
    from warehouse.paths import artifact_dir

    path = artifact_dir("github", "demo_repo")
    if not (path / ".git").exists():
        create_demo_repo(path)
    register_repo(instance, RepoSpec(repo=DEMO_REPO, source="local", path=str(path)))
    return [("github_sync_job", DEMO_REPO), ("github_report_job", None)]


def _run_jobs(plan) -> int:
    from pipelines.definitions import defs

    failed = 0
    for job_name, key, instance in plan:
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False)
        print(f"{job_name}{f' [{key}]' if key else ''}: {'ok' if result.success else 'FAILED'}")
        failed += not result.success
    return 1 if failed else 0


def check_local_clone(path) -> "Path":
    """The clone's resolved path, or a one-line ``TrainyardError`` (see ``check_clone``)."""
    from ops.github.local_clone import check_clone
    from warehouse.errors import TrainyardError

    try:
        return check_clone(path)
    except ValueError as exc:
        raise TrainyardError(str(exc)) from None


def _cmd_github(args) -> int:
    from pipelines.instance import prepare_dagster_home
    from warehouse.errors import TrainyardError
    from warehouse.writer import Warehouse

    prepare_dagster_home()
    Warehouse().ensure_schema()
    try:
        return _sync_or_ingest(args)
    except ValueError as exc:
        if "owner/name" in str(exc):  # RepoSpec's validation: a one-line user error
            raise TrainyardError(f"{exc}; give a GitHub-style owner/name") from exc
        raise


def _sync_or_ingest(args) -> int:
    import os
    import sys
    from pathlib import Path

    from ops.github.repo_list import RepoSpec
    from warehouse.readers import read_sql

    if args.github_command == "sync":
        if not os.environ.get(args.token_env):
            print(f"note: ${args.token_env} is not set: unauthenticated requests (60/hour on github.com)",
                  file=sys.stderr)
        spec = RepoSpec(repo=args.repo, source="api", base_url=args.base_url)
    else:
        # checked before anything registers it: a bad path never reaches repos.json
        path = check_local_clone(Path(args.path).expanduser())
        spec = RepoSpec(repo=args.repo or f"local/{path.name}", source="local", path=str(path))
    run_config = {"ops": {"github_repo_data": {"config": {"token_env": args.token_env}}}} \
        if args.github_command == "sync" else None
    with dg.DagsterInstance.get() as instance:
        register_repo(instance, spec)
        from pipelines.definitions import defs

        result = defs.resolve_job_def("github_sync_job").execute_in_process(
            instance=instance, partition_key=spec.repo, raise_on_error=False, run_config=run_config)
        print(f"github_sync_job [{spec.repo}]: {'ok' if result.success else 'FAILED'}")
        code = _run_jobs([("github_report_job", None, instance)]) if result.success else 1
    print(read_sql("SELECT repo, count(*) AS prs, count(*) FILTER (WHERE task_candidate) AS task_candidates "
                   "FROM github_pull_requests WHERE repo = ? GROUP BY repo", [spec.repo]))
    print(read_sql("SELECT chain_id, length, span_days, reasons FROM github_pr_chains WHERE repo = ? "
                   "ORDER BY length DESC, chain_id LIMIT 10", [spec.repo]))
    return code


def add_cli(subparsers) -> dict:
    """``trainyard github sync OWNER/NAME`` and ``trainyard github ingest PATH``."""
    from pipelines.cli_grammar import add_branch, add_verb

    sub = add_branch(subparsers, "github", help="sync GitHub repositories or ingest local clones",
                     dest="github_command")
    sync = add_verb(sub, "sync", help="sync a repository through the GitHub API (token: $GITHUB_TOKEN)",
                    example="GITHUB_TOKEN=... trainyard github sync pallets/click\n"
                            "trainyard github sync acme/widgets --base-url https://github.example.com/api/v3")
    sync.add_argument("repo", help="owner/name")
    sync.add_argument("--base-url", default="https://api.github.com",
                      help="API root, e.g. https://github.example.com/api/v3 for GitHub Enterprise")
    sync.add_argument("--token-env", default="GITHUB_TOKEN",
                      help="environment variable holding the token (never pass the token itself)")
    ingest = add_verb(sub, "ingest", help="ingest a local git clone (offline)",
                      example="trainyard github ingest ~/src/some-repo --repo owner/some-repo")
    ingest.add_argument("path")
    ingest.add_argument("--repo", default=None, help="owner/name to record (default local/<dirname>)")
    ingest.set_defaults(token_env="GITHUB_TOKEN")
    return {"github": _cmd_github}
