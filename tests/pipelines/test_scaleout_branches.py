"""Other branches' partitioned work on Celery workers. GitHub: the per-repository sync against the
local GitHub-compatible test server, backfilled across two workers, gives the single-process rows.
Images: the four descriptor shards likewise; that asset is two steps — describe and write — and the
test shows, from Dagster's step events, that the describe steps of different shards overlap in time
(the write transactions themselves queue on the warehouse writer lock, warehouse/db.py).
Heavy (~3 min on two cores): run with ``pytest -m heavy -s tests/pipelines/test_scaleout_branches.py``."""
import itertools
import os
import time

import dagster as dg
import pytest

from tests.github_server import FakeGitHub, make_fake_repo
from tests.redis_server import celery_cluster, log_tail

TOKEN = "ghp_scaleout_test_token_000000000000000"
REPOS = [f"octo/repo{i}" for i in range(4)]
PR_COLUMNS = "repo, number, title, state, source_key"
LATENCY_S = 0.2  # simulated API round trip for the distributed run (api.github.com: ~0.1-0.5 s)


def step_windows(instance, runs, step_key: str) -> dict:
    """partition → (start, end) of ``step_key`` in that partition's run, from the STEP_START and
    STEP_SUCCESS events the workers recorded (epoch seconds, one machine's clock)."""
    windows = {}
    for r in runs:
        times = {}
        for kind in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS):
            for rec in instance.all_logs(r.run_id, of_type=kind):
                if rec.dagster_event.step_key == step_key:
                    times[kind] = rec.timestamp
        assert len(times) == 2, (r.partition_key, step_key, times)
        windows[r.partition_key] = (times[dg.DagsterEventType.STEP_START], times[dg.DagsterEventType.STEP_SUCCESS])
    return windows


def overlaps(windows: dict) -> dict:
    """(partition a, partition b) → seconds their windows overlap, for every pair that does."""
    out = {}
    for (a, (s1, e1)), (b, (s2, e2)) in itertools.combinations(sorted(windows.items()), 2):
        if min(e1, e2) - max(s1, s2) > 0:
            out[(a, b)] = round(min(e1, e2) - max(s1, s2), 2)
    return out


def union_seconds(windows: dict) -> float:
    total, end = 0.0, float("-inf")
    for s, e in sorted(windows.values()):
        total += max(0.0, e - max(s, end))
        end = max(end, e)
    return total


def check_spread(instance, runs, compute_step: str, write_step: str, label: str) -> None:
    """Compute steps of ≥ 2 partitions overlap (writes queue on the warehouse writer lock, which
    covers only their transactions, so write steps may overlap too)."""
    compute, write = step_windows(instance, runs, compute_step), step_windows(instance, runs, write_step)
    busy = sum(e - s for s, e in compute.values())
    print(f"{label}: compute steps {busy:.1f} s in total over {union_seconds(compute):.1f} s of wall time "
          f"(concurrency {busy / union_seconds(compute):.2f}); overlapping pairs {overlaps(compute)}; "
          f"writes {sum(e - s for s, e in write.values()):.2f} s in total, overlapping pairs {overlaps(write)}")
    assert overlaps(compute), f"no two {compute_step} steps ran at the same time: {compute}"


def _sync_all(server, home, backfill: bool, cluster=None):
    from ops.github.repo_list import RepoSpec
    from pipelines.github import register_repo
    from pipelines.instance import prepare_dagster_home
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    os.environ["TRAINYARD_HOME"] = str(home)
    prepare_dagster_home()
    Warehouse().ensure_schema()
    with dg.DagsterInstance.get() as instance:
        for repo in REPOS:
            register_repo(instance, RepoSpec(repo, "api", base_url=server.base_url))
        if backfill:
            from pipelines.scaleout import run_backfill, step_workers

            t0 = time.perf_counter()
            runs = run_backfill("github_sync_job", REPOS, max_concurrent_runs=4)
            print(f"github backfill of {len(REPOS)} repositories on 2 workers: {time.perf_counter() - t0:.1f} s")
            assert all(r.success for r in runs), [r.error for r in runs] + [log_tail(cluster)]
            workers = {w for r in runs for w in step_workers(instance, r.run_id)}
            # The GitHub sync commits batch by batch so a killed sync resumes (issue #3); each batch
            # takes the warehouse writer lock only for its transaction.
        else:
            from pipelines.definitions import defs

            job = defs.resolve_job_def("github_sync_job")
            for repo in REPOS:
                assert job.execute_in_process(instance=instance, partition_key=repo).success
            workers = set()
    rows = read_sql(f"SELECT {PR_COLUMNS} FROM github_pull_requests ORDER BY repo, number")
    chains = read_sql("SELECT repo, chain_id, length FROM github_pr_chains ORDER BY repo, chain_id")
    return rows, chains, workers


@pytest.mark.heavy
def test_github_sync_backfill_across_workers_matches_single_process(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)  # workers inherit it from the cluster's environment
    with FakeGitHub(token=TOKEN) as server:
        for i, repo in enumerate(REPOS):
            server.add(make_fake_repo(repo, n_prs=8, seed=i))
        expected_rows, expected_chains, _ = _sync_all(server, tmp_path / "single", backfill=False)
        # Requests one full sync of a repository costs: the input of the 100-worker estimate.
        print(f"github requests per repository (8 PRs): {server.stats.requests / len(REPOS):.1f}")
        assert expected_rows.height == 8 * len(REPOS)
        # Every request of the distributed run waits LATENCY_S, like a real API round trip.
        server.slow_s = LATENCY_S
        server.fail(r"^/api/v3/", "timeout", times=10**9)
        home = tmp_path / "cluster"
        home.mkdir()
        with celery_cluster(home, workers=2, concurrency=1) as cluster:
            monkeypatch.setenv("TRAINYARD_CELERY_BROKER", cluster.broker_url)
            monkeypatch.setenv("TRAINYARD_CELERY_BACKEND", cluster.broker_url)
            rows, chains, workers = _sync_all(server, home, backfill=True, cluster=cluster)
    assert workers == set(cluster.worker_names), workers
    assert rows.equals(expected_rows)
    assert chains.equals(expected_chains)


def _describe_all(home, backfill: bool, cluster=None):
    from assets.images import SHARDS
    from pipelines.definitions import defs
    from pipelines.instance import prepare_dagster_home
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    os.environ["TRAINYARD_HOME"] = str(home)
    prepare_dagster_home()
    Warehouse().ensure_schema()
    keys = SHARDS.get_partition_keys()
    with dg.DagsterInstance.get() as instance:
        assert defs.resolve_job_def("images_sources_job").execute_in_process(instance=instance).success
        if backfill:
            from pipelines.scaleout import run_backfill, step_workers

            t0 = time.perf_counter()
            runs = run_backfill("images_descriptors_job", keys, max_concurrent_runs=4)
            print(f"image descriptor backfill of {len(keys)} shards on 2 workers: {time.perf_counter() - t0:.1f} s")
            assert all(r.success for r in runs), [r.error for r in runs] + [log_tail(cluster)]
            workers = {w for r in runs for w in step_workers(instance, r.run_id)}
            check_spread(instance, runs, "image_descriptors.image_descriptors_describe",
                         "image_descriptors.image_descriptors_write", "images")
        else:
            job = defs.resolve_job_def("images_descriptors_job")
            for key in keys:
                assert job.execute_in_process(instance=instance, partition_key=key).success
            workers = set()
    # Paths differ only by the home they live in; so does data_version, which the images branch
    # hashes from rows holding absolute paths (asked of #6: hash home-relative paths).
    files = read_sql("SELECT * EXCLUDE (dagster_run_id, materialized_at, path, data_version), "
                     "replace(path, ?, '') AS rel_path FROM image_files ORDER BY role, image_id", [str(home)])
    return files, workers


@pytest.mark.heavy
def test_image_descriptor_shards_across_workers_match_single_process(tmp_path, monkeypatch):
    expected, _ = _describe_all(tmp_path / "single", backfill=False)
    assert expected.height > 0
    home = tmp_path / "cluster"
    home.mkdir()
    with celery_cluster(home, workers=2, concurrency=1) as cluster:
        monkeypatch.setenv("TRAINYARD_CELERY_BROKER", cluster.broker_url)
        monkeypatch.setenv("TRAINYARD_CELERY_BACKEND", cluster.broker_url)
        got, workers = _describe_all(home, backfill=True, cluster=cluster)
    assert workers == set(cluster.worker_names), workers
    differing = [c for c in expected.columns if not got[c].equals(expected[c])]
    assert differing == [], {c: (got[c].to_list()[:3], expected[c].to_list()[:3]) for c in differing}
