"""GitHub wiring: the repository-list sensor adds partitions, the activity sensor notices new
commits, the daily schedule covers every partition, and the CLI ingests a local clone."""
import datetime as dt
import subprocess

import dagster as dg
import pytest

from ops.github.repo_list import RepoSpec, add_repo, read_repo_list


def _commit(path, message):
    (path / "new.txt").write_text(message)
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(path), "add", "new.txt"], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", message], check=True, env=env)


def test_repo_list_sensor_schedule_and_activity(warehouse, tmp_path):
    from ops.github.demo_repo import create_demo_repo
    from pipelines.definitions import defs
    from pipelines.github import github_activity_sensor, github_daily_sync, github_repo_list_sensor

    path = create_demo_repo(tmp_path / "widgets")
    add_repo(RepoSpec("acme/widgets", "local", path=str(path)))
    add_repo(RepoSpec("octo/api-repo", "api", base_url="http://127.0.0.1:9/api/v3"))
    assert [s.repo for s in read_repo_list()] == ["acme/widgets", "octo/api-repo"]
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        result = github_repo_list_sensor(dg.build_sensor_context(instance=instance))
        assert sorted(r.partition_key for r in result.run_requests) == ["acme/widgets", "octo/api-repo"]
        assert list(result.dynamic_partitions_requests[0].partition_keys) == ["acme/widgets", "octo/api-repo"]
        instance.add_dynamic_partitions("github_repos", ["acme/widgets", "octo/api-repo"])
        skip = github_repo_list_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(skip, dg.SkipReason)

        when = dt.datetime(2025, 1, 2, 4, 0, tzinfo=dt.timezone.utc)
        daily = github_daily_sync(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert sorted((r.partition_key, r.run_key) for r in daily) == [
            ("acme/widgets", "acme/widgets:2025-01-02"), ("octo/api-repo", "octo/api-repo:2025-01-02")]

        # never synced: the local repo has activity; the unreachable API repo is skipped, not fatal
        runs = github_activity_sensor(dg.build_sensor_context(instance=instance))
        assert [r.partition_key for r in runs] == ["acme/widgets"]
        job = defs.resolve_job_def("github_sync_job")
        assert job.execute_in_process(instance=instance, partition_key="acme/widgets").success
        assert isinstance(github_activity_sensor(dg.build_sensor_context(instance=instance)), dg.SkipReason)
        _commit(path, "Add a note (#15)")
        runs = github_activity_sensor(dg.build_sensor_context(instance=instance))
        assert [r.partition_key for r in runs] == ["acme/widgets"]
        assert job.execute_in_process(instance=instance, partition_key="acme/widgets").success
    from warehouse.readers import read_sql

    assert read_sql("SELECT max(number) AS n, count(*) AS c FROM github_pull_requests").row(0) == (15, 12)


@pytest.mark.heavy  # ~15 s: same jobs as the demo test, through argparse and the project instance
def test_cli_ingest_local_clone(warehouse, tmp_path, capsys):
    from ops.github.demo_repo import create_demo_repo
    from pipelines.cli import main
    from warehouse.readers import read_sql

    path = create_demo_repo(tmp_path / "clone")
    assert main(["github", "ingest", str(path), "--repo", "acme/widgets"]) == 0
    out = capsys.readouterr().out
    assert "github_sync_job [acme/widgets]: ok" in out and "6-7-8-14" in out
    assert read_sql("SELECT count(*) AS n FROM github_pull_requests")["n"][0] == 11
    assert read_repo_list()[0] == RepoSpec("acme/widgets", "local", path=str(path.resolve()))


def test_repo_spec_rejects_bad_names():
    for bad in ["../etc", "owner", "a/b/c", "a/.."]:
        with pytest.raises(ValueError):
            RepoSpec(bad, "api")


@pytest.mark.heavy  # ~15 s: a full sync job + report through the CLI
def test_cli_sync_against_local_server(warehouse, monkeypatch, capsys):
    from pipelines.cli import main
    from tests.github_server import FakeGitHub, make_fake_repo
    from warehouse.readers import read_sql

    token = "ghp_cli_token_123"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    with FakeGitHub(token=token) as srv:
        srv.add(make_fake_repo("octo/cli", n_prs=5, specials=False))
        assert main(["github", "sync", "octo/cli", "--base-url", srv.base_url]) == 0
    out = capsys.readouterr().out
    assert "github_sync_job [octo/cli]: ok" in out and token not in out
    assert read_sql("SELECT count(*) AS n FROM github_pull_requests WHERE repo = 'octo/cli'")["n"][0] == 5
