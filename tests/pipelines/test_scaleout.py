"""Scale-out on Celery workers over Redis: a partitioned backfill spread across two worker
processes gives the rows and artifacts of the single-process run; a worker killed mid-step is
retried without duplicates; a dead broker fails fast naming its URL.

One Redis + two workers (concurrency 2 each: four step slots) serve the whole module."""
import os
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import materialize
from tests.redis_server import celery_cluster, log_tail

COMPARED = ["shard", "doc_id", "n_chars", "n_lines", "n_tokens", "sha256", "minhash", "source_key",
            "asset_key", "partition_key", "code_version", "data_version"]


def _rows(home: Path) -> pl.DataFrame:
    from warehouse.readers import read_sql

    return read_sql(f"SELECT {', '.join(COMPARED)} FROM scaleout_doc_signatures ORDER BY shard, doc_id",
                    path=home / "warehouse.duckdb")


def _artifacts(home: Path) -> dict:
    root = home / "artifacts" / "scaleout" / "doc_signatures"
    return {p.name: p.read_bytes() for p in sorted(root.glob("*.parquet"))}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    home = tmp_path_factory.mktemp("scaleout_cluster_home")
    with celery_cluster(home, workers=2, concurrency=2) as c:
        c.home = home
        yield c


@pytest.fixture
def on_cluster(cluster, monkeypatch):
    """Point this test's process at the cluster's home (the workers write there)."""
    monkeypatch.setenv("TRAINYARD_HOME", str(cluster.home))
    monkeypatch.setenv("DAGSTER_HOME", str(cluster.home / "dagster_home"))
    monkeypatch.setenv("TRAINYARD_CELERY_BROKER", cluster.broker_url)
    monkeypatch.setenv("TRAINYARD_CELERY_BACKEND", cluster.broker_url)
    return cluster


def _max_overlap(instance, run_ids) -> int:
    """Most steps in flight at once, from STEP_START/STEP_SUCCESS|FAILURE event times."""
    marks = []
    for run_id in run_ids:
        for rec in instance.all_logs(run_id):
            ev = rec.dagster_event
            if ev is None:
                continue
            if ev.event_type_value == "STEP_START":
                marks.append((rec.timestamp, 1))
            elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                marks.append((rec.timestamp, -1))
    depth = best = 0
    for _, d in sorted(marks):
        depth += d
        best = max(best, depth)
    return best


def test_backfill_across_two_workers_matches_single_process(trainyard_home, on_cluster):
    import dagster as dg

    from assets.scaleout import LATENCY_TAG, SCALEOUT_ASSETS, shard_partitions
    from pipelines.scaleout import run_backfill, step_workers

    # Four of the eight shards keep the test near a minute on two cores; the bench and
    # `trainyard scaleout local` backfill all eight.
    keys = shard_partitions.get_partition_keys()[:4]
    # Single-process reference in this test's own home.
    os.environ["TRAINYARD_HOME"] = str(trainyard_home)
    for key in keys:
        assert materialize(SCALEOUT_ASSETS, partition_key=key).success
    expected, expected_files = _rows(trainyard_home), _artifacts(trainyard_home)
    assert expected.height > len(keys) and expected["shard"].n_unique() == len(keys)

    os.environ["TRAINYARD_HOME"] = str(on_cluster.home)
    # 6 s of simulated source latency per step (before its warehouse write) keeps the four
    # steps in flight together, so their writes contend for the warehouse.
    runs = run_backfill("scaleout_job", keys, max_concurrent_runs=4, tags={LATENCY_TAG: "6"})
    assert all(r.success for r in runs), [r.error for r in runs if not r.success] + [log_tail(on_cluster)]
    with dg.DagsterInstance.get() as instance:
        workers = {w for r in runs for w in step_workers(instance, r.run_id)}
        overlap = _max_overlap(instance, [r.run_id for r in runs])
    assert workers == set(on_cluster.worker_names), workers  # both worker processes took steps
    got = _rows(on_cluster.home)
    assert got.equals(expected), (got, expected)
    assert got.select("shard", "doc_id").is_duplicated().sum() == 0
    assert _artifacts(on_cluster.home) == expected_files
    # Four step slots, four runs at once: all four steps (and their warehouse writes) overlapped.
    assert overlap >= 4, overlap


def _pool_child_running_step(cluster, timeout_s=60.0):
    """(worker name, pid) of the Celery pool process executing a task, once one is."""
    from pipelines.executors import worker_app

    app = worker_app()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            active = app.control.inspect(timeout=1.0).active() or {}
            for name, tasks in active.items():
                for t in tasks:
                    if t.get("worker_pid"):
                        return name, t["worker_pid"]
            time.sleep(0.2)
    finally:
        app.close()
    raise TimeoutError("no worker picked up the step")


def test_worker_sigkilled_mid_step_is_retried_without_duplicates(on_cluster):
    import signal

    import dagster as dg

    from assets.scaleout import LATENCY_TAG
    from pipelines.scaleout import run_backfill, step_workers
    from warehouse.readers import read_sql

    key = "shard-05"
    result = {}
    # 6 s of simulated latency inside the step leaves time to kill its process mid-step.
    driver = threading.Thread(target=lambda: result.update(
        runs=run_backfill("scaleout_job", [key], tags={LATENCY_TAG: "6"})))
    driver.start()
    name, pid = _pool_child_running_step(on_cluster)
    os.kill(pid, signal.SIGKILL)
    driver.join(timeout=150)
    assert not driver.is_alive(), "backfill hung after the worker process was killed\n" + log_tail(on_cluster)
    (run,) = result["runs"]
    assert run.success, run.error + "\n" + log_tail(on_cluster)
    with dg.DagsterInstance.get() as instance:
        executions = step_workers(instance, run.run_id)
    assert len(executions) == 2, executions  # the killed attempt and the redelivered one
    rows = read_sql("SELECT doc_id, count(*) AS n FROM scaleout_doc_signatures WHERE shard = ? "
                    "GROUP BY doc_id", [key], path=on_cluster.home / "warehouse.duckdb")
    assert rows.height > 0 and rows["n"].max() == 1
    # Re-running the partition replaces its rows: still exactly one row per document.
    (again,) = run_backfill("scaleout_job", [key])
    assert again.success
    rows2 = read_sql("SELECT doc_id, count(*) AS n FROM scaleout_doc_signatures WHERE shard = ? "
                     "GROUP BY doc_id", [key], path=on_cluster.home / "warehouse.duckdb")
    assert rows2.height == rows.height and rows2["n"].max() == 1


def test_redis_unavailable_fails_fast_naming_the_broker(trainyard_home, monkeypatch):
    from pipelines.executors import BrokerUnavailable, check_broker
    from pipelines.instance import prepare_dagster_home
    from pipelines.scaleout import _run_partition
    from tests.server_process import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("TRAINYARD_CELERY_BROKER", dead)
    monkeypatch.setenv("TRAINYARD_CELERY_BACKEND", dead)
    monkeypatch.setenv("DAGSTER_HOME", str(trainyard_home))  # restored after the test
    prepare_dagster_home()
    with pytest.raises(BrokerUnavailable, match=dead.replace("/", r"\/")):
        check_broker(dead, timeout_s=1)
    t0 = time.perf_counter()
    run = _run_partition("scaleout_job", "celery", "shard-00", {})  # the driver's code, in this process
    assert not run.success
    assert dead in run.error and "unavailable" in run.error, run.error
    assert time.perf_counter() - t0 < 30  # no hang: the broker is checked before submitting
