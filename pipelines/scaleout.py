"""Scale-out branch: the partitioned demonstration workload, a backfill driver that runs one
Dagster run per partition concurrently (steps go wherever the executor sends them — celery
workers under ``TRAINYARD_EXECUTOR=celery``), and ``trainyard scaleout ...`` commands that start
Redis and workers on this machine (docs/scaleout.md)."""
import dataclasses
import os
import time
from typing import Optional

import dagster as dg

from assets.scaleout import SCALEOUT_ASSETS, shard_partitions

ASSETS = SCALEOUT_ASSETS
ASSET_CHECKS: list = []
scaleout_job = dg.define_asset_job("scaleout_job", selection=dg.AssetSelection.groups("scaleout"))
JOBS = [scaleout_job]
SCHEDULES: list = []
SENSORS: list = []


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    # The in-process demo materialises two shards; the distributed backfill is
    # `trainyard scaleout local` (needs redis-server), not part of `make demo`.
    return [("scaleout_job", "shard-00"), ("scaleout_job", "shard-01")]


@dataclasses.dataclass
class PartitionRun:
    partition_key: str
    run_id: str
    success: bool
    seconds: float
    error: str = ""


def reconstructable_job(job_name: str, executor: str = "celery"):
    """The job as workers rebuild it: by module + attribute, not by object. ``executor``:
    "celery" (``pipelines.executors:celery_definitions``) or "default" (``pipelines.definitions``,
    whatever ``TRAINYARD_EXECUTOR`` chose)."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from warehouse.paths import PROJECT_ROOT

    module, attr = (("pipelines.executors", "celery_definitions") if executor == "celery"
                    else ("pipelines.definitions", "defs"))
    repo = ReconstructableRepository.for_module(module, attr, working_directory=str(PROJECT_ROOT))
    return repo.get_reconstructable_job(job_name)


def _failure_text(event) -> str:
    """A failure event's message plus the error it carries (e.g. the unreachable broker URL)."""
    error = getattr(event.event_specific_data, "error", None)
    return f"{event.message} {error.message.strip()}" if error is not None else str(event.message)


def materialized_in(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """``asset[partition]`` for every materialisation the run recorded."""
    out = []
    for rec in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        mat = rec.dagster_event.event_specific_data.materialization
        out.append(mat.asset_key.to_user_string() + (f"[{mat.partition}]" if mat.partition else ""))
    return out


def failure_summary(instance: dg.DagsterInstance, run_id: str, events, executor: str) -> str:
    """Why a run failed, one paragraph: a broker outage named as such, and the materialisations
    it wrote before failing (so they are never left behind silently)."""
    text = "; ".join(_failure_text(e) for e in events if e.is_failure)
    if executor == "celery" and "broker outage" not in text and (
            "ConnectionError" in text or "Connection refused" in text or "Error 111" in text):
        from pipelines.executors import BrokerUnavailable, backend_url, broker_url, check_broker

        try:
            check_broker(broker_url(), timeout_s=2.0)
            check_broker(backend_url(), timeout_s=2.0)
        except BrokerUnavailable as exc:
            text = f"broker outage: {exc} Raw error: {text}"
    written = materialized_in(instance, run_id)
    if written:
        text += (f" | failed AFTER writing {len(written)} materialisation(s): {', '.join(written)}; "
                 "re-run the partition to replace them (no duplicates)")
    return text[:4000]


def _run_partition(job_name: str, executor: str, key: str, tags: dict) -> PartitionRun:
    """One partition's run, in a driver process of its own (Dagster's logging and SQLite storage
    are not safe for concurrent runs on threads of one process)."""
    t0 = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        with dg.execute_job(reconstructable_job(job_name, executor), instance,
                            tags={"dagster/partition": key, **tags}, raise_on_error=False) as result:
            error = "" if result.success else failure_summary(instance, result.run_id,
                                                               result.all_events, executor)
            return PartitionRun(key, result.run_id, result.success, time.perf_counter() - t0, error)


def _warm_driver(executor: str) -> int:
    reconstructable_job("scaleout_job", executor).get_definition()  # imports every branch once
    time.sleep(0.5)  # hold this process so the pool starts the next task in another one
    return os.getpid()


def driver_pool(n: int, executor: str = "celery"):
    """``n`` spawned driver processes with the definitions already imported, for repeated
    backfills (``run_backfill(..., pool=...)``); shut it down with ``.shutdown()``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    [f.result() for f in [pool.submit(_warm_driver, executor) for _ in range(n)]]
    return pool


def run_backfill(job_name: str, partition_keys: list, max_concurrent_runs: Optional[int] = None,
                 tags: Optional[dict] = None, executor: str = "celery", pool=None) -> list:
    """One Dagster run per partition, up to ``max_concurrent_runs`` at a time (default: all).

    Each run's orchestration loop lives in a spawned driver process (it mostly waits on the
    broker); its steps execute wherever the job's executor puts them — Celery workers for
    ``executor="celery"``. Uses the instance at ``$DAGSTER_HOME``. Returns one ``PartitionRun``
    per key, in order. ``pool``: reuse warm driver processes (``driver_pool``); its size then
    bounds the runs in flight.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Create the instance's storage once, here: SQLite storages initialised by several processes
    # at the same moment race on their alembic stamp ("more than one head").
    with dg.DagsterInstance.get() as instance:
        instance.get_runs(limit=1)
    if pool is not None:
        futures = [pool.submit(_run_partition, job_name, executor, k, dict(tags or {}))
                   for k in partition_keys]
        return [f.result() for f in futures]
    n = max(1, min(max_concurrent_runs or len(partition_keys), len(partition_keys)))
    own = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    try:
        runs = run_backfill(job_name, partition_keys, tags=tags, executor=executor, pool=own)
    except BaseException:
        # interrupted (SIGINT/SIGTERM) or failed: the drivers must not outlive this call
        kill_pool(own)
        raise
    own.shutdown(wait=True)
    return runs


def kill_pool(pool) -> None:
    """SIGKILL a ProcessPoolExecutor's driver processes (by PID) and stop taking work."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except Exception:
            pass
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.join(timeout=10)
        except Exception:
            pass
    pool.shutdown(wait=False, cancel_futures=True)


class Interrupted(Exception):
    """SIGINT/SIGTERM/SIGHUP received by ``trainyard scaleout local``."""


def _fail_unfinished_runs(instance: dg.DagsterInstance, tag: str, value: str, why: str) -> list:
    """Mark the runs this command started and that did not finish as failed, naming what they
    had already written. Returns [(run_id, partition, written)]."""
    out = []
    records = instance.get_runs(filters=dg.RunsFilter(tags={tag: value}))
    for run in records:
        if run.is_finished:
            continue
        written = materialized_in(instance, run.run_id)
        msg = why + (f"; it had written {', '.join(written)} (re-run the partition: rows are "
                     "replaced, not duplicated)" if written else "; nothing was written")
        instance.report_run_failed(run, message=msg)
        out.append((run.run_id, run.tags.get("dagster/partition", ""), written))
    return out


def step_workers(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The Celery worker names that executed this run's steps (from dagster-celery's events)."""
    names = []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not event.is_engine_event:
            continue
        md = event.engine_event_data.metadata or {}
        if "Celery worker" in md:
            names.append(md["Celery worker"].value)
    return names


def cmd_local(args) -> int:
    """Start Redis + N workers on 127.0.0.1, backfill the job across them, stop everything —
    also on SIGINT, SIGTERM (what ``timeout`` sends) and SIGHUP: redis, workers and driver
    processes are stopped by PID and the runs left unfinished are marked failed."""
    import signal
    import sys
    import uuid

    from pipelines.executors import LocalCluster
    from pipelines.instance import prepare_dagster_home
    from warehouse.errors import TrainyardError
    from warehouse.writer import Warehouse

    prepare_dagster_home()
    Warehouse().ensure_schema()
    keys = args.partitions or shard_partitions.get_partition_keys()
    args.max_concurrent_runs = args.max_concurrent_runs or args.workers * args.concurrency
    extra = {}
    for item in args.tag or []:
        k, sep, v = item.partition("=")
        if not sep:
            raise TrainyardError(f"--tag {item!r}: expected KEY=VALUE")
        extra[k] = v
    batch = uuid.uuid4().hex[:12]
    tags = {"trainyard/scaleout_local": batch, **extra}

    def on_signal(signum, frame):
        for s in handled:  # a second signal must not interrupt the clean-up
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signal.Signals(signum).name)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, on_signal) for s in handled}
    try:
        with LocalCluster(workers=args.workers, concurrency=args.concurrency, port=args.port) as cluster:
            print(f"redis {cluster.broker_url}; {args.workers} worker(s): {', '.join(cluster.worker_names)}",
                  flush=True)
            with dg.DagsterInstance.get() as instance:
                t0 = time.perf_counter()
                runs = run_backfill(args.job, keys, max_concurrent_runs=args.max_concurrent_runs, tags=tags)
                total = time.perf_counter() - t0
                for r in runs:
                    where = ", ".join(step_workers(instance, r.run_id)) or "?"
                    print(f"  {r.partition_key}: {'ok' if r.success else 'FAILED'} {r.seconds:5.1f}s on {where}"
                          + (f"  {r.error}" if r.error else ""))
    except Interrupted as stop:
        with dg.DagsterInstance.get() as instance:
            failed = _fail_unfinished_runs(
                instance, "trainyard/scaleout_local", batch,
                f"stopped: trainyard scaleout local received {stop} before this run finished")
        wrote = sum(1 for _, _, w in failed if w)
        print(f"error: stopped by {stop}: redis, workers and drivers stopped; {len(failed)} unfinished "
              f"run(s) marked failed ({wrote} after writing some assets); re-run to complete the backfill",
              file=sys.stderr)
        return 130 if str(stop) == "SIGINT" else 143
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    print(f"{sum(r.success for r in runs)}/{len(runs)} partitions in {total:.1f}s")
    return 0 if all(r.success for r in runs) else 1


def add_cli(subparsers) -> dict:
    from pipelines.cli_grammar import add_branch, add_verb

    sub = add_branch(subparsers, "scaleout", help="distributed execution on this machine (Redis + Celery)",
                     dest="scaleout_command")
    local = add_verb(sub, "local", help="start redis-server and Celery workers on 127.0.0.1, backfill a "
                                        "partitioned job across them, then stop them",
                     example="trainyard scaleout local --workers 2 --concurrency 1\n"
                             "trainyard scaleout local --partitions shard-00 shard-01 "
                             "--tag trainyard/simulated_latency_s=5")
    local.add_argument("--job", default="scaleout_job")
    local.add_argument("--workers", type=int, default=2)
    local.add_argument("--concurrency", type=int, default=1, help="steps per worker at once")
    local.add_argument("--port", type=int, default=0, help="redis port (0: a free one)")
    local.add_argument("--partitions", nargs="*", default=None)
    local.add_argument("--max-concurrent-runs", type=int, default=None,
                       help="driver processes (default: workers x concurrency)")
    local.add_argument("--tag", action="append", default=None, metavar="KEY=VALUE",
                       help="run tag for every partition's run (repeatable), e.g. "
                            "trainyard/simulated_latency_s=5")

    def handle(args) -> int:
        return {"local": cmd_local}[args.scaleout_command](args)

    return {"scaleout": handle}
