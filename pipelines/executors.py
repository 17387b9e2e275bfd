"""Execution profiles beyond in-process/multiprocess: steps on ``dagster-celery`` workers with a
Redis broker and result backend.

Selected without code changes: ``TRAINYARD_EXECUTOR=celery`` (see ``pipelines.definitions``), broker
``$TRAINYARD_CELERY_BROKER`` (default ``redis://127.0.0.1:6379/0``), backend
``$TRAINYARD_CELERY_BACKEND`` (default: the broker URL). Workers: ``celery -A
pipelines.celery_worker worker -Q dagster`` with the same environment (docs/scaleout.md).

Only imported when the celery profile is chosen: it pulls in celery/kombu/redis.
"""
import os
import warnings

# dagster-celery 0.29.27 is the newest release and pins dagster 1.13.27; it is installed with
# --no-deps next to dagster 1.13.28 (same API). Silence the library-version nag it triggers.
warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")

import dagster as dg  # noqa: E402
from dagster._core.execution.retries import RetryMode  # noqa: E402
from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor  # noqa: E402

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"

def visibility_timeout_s() -> int:
    """Seconds after which a step whose worker stopped renewing its lease is redelivered
    (``$TRAINYARD_CELERY_VISIBILITY_TIMEOUT``, default 60)."""
    return int(os.environ.get("TRAINYARD_CELERY_VISIBILITY_TIMEOUT", "60"))


# Celery settings every trainyard worker and driver share. acks_late + reject_on_worker_lost:
# a step whose pool process dies (SIGKILL, OOM) is put back on the queue at once and re-run by
# another worker instead of being lost; the warehouse's replace-by-partition writes make the re-run
# idempotent. prefetch 1: a worker holds at most one queued step, so steps spread evenly.
# A whole worker lost (main process killed, node gone): its pool processes die with it
# (PR_SET_PDEATHSIG, pipelines/celery_worker.py) and its unacked steps are redelivered by Redis
# after the visibility timeout (60 s, scanned every 5 s). A live worker renews the lease of the
# steps it runs (``LeaseRenewal``), so a step longer than the timeout is never run twice.
def celery_settings() -> dict:
    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "result_expires": 24 * 3600,
        "broker_transport_options": {
            "max_retries": 3, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
            "visibility_timeout": visibility_timeout_s(), "unacked_restore_interval": 5,
            "unacked_restore_throttle": 1},
    }


CELERY_SETTINGS = celery_settings()


class BrokerUnavailable(RuntimeError):
    """The Celery broker (Redis) did not answer."""


def broker_url() -> str:
    return os.environ.get("TRAINYARD_CELERY_BROKER", DEFAULT_BROKER)


def backend_url() -> str:
    return os.environ.get("TRAINYARD_CELERY_BACKEND", broker_url())


def check_broker(url: str, timeout_s: float = 3.0) -> None:
    """Raise ``BrokerUnavailable`` naming ``url`` unless the broker answers within ``timeout_s``."""
    try:
        if url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s,
                                          socket_timeout=timeout_s)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(url, connect_timeout=timeout_s) as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout_s)
    except Exception as exc:  # any failure to reach it is reported the same way
        raise BrokerUnavailable(
            f"Celery broker {url} is unavailable ({type(exc).__name__}: {exc}). Start Redis "
            "(docs/scaleout.md: `redis-server --bind 127.0.0.1 --port 6379`) or set "
            "TRAINYARD_CELERY_BROKER to a reachable broker."
        ) from exc


class CheckedCeleryExecutor(CeleryExecutor):
    """dagster-celery's executor, failing fast with the broker URL when the broker is down
    (plain Celery retries the connection and then raises a message that does not name it), and
    reporting a broker lost mid-run as a broker outage instead of a raw ``ConnectionError``."""

    def execute(self, plan_context, execution_plan):
        check_broker(self.broker)
        if self.backend and self.backend.startswith(("redis://", "rediss://")):
            check_broker(self.backend)
        try:
            yield from super().execute(plan_context, execution_plan)
        except Exception as exc:
            outage = broker_outage(self.broker, self.backend, exc)
            if outage is not None:
                raise outage from exc
            raise


def broker_outage(broker: str, backend: str | None, exc: BaseException) -> "BrokerUnavailable | None":
    """A ``BrokerUnavailable`` naming the lost broker when ``exc`` came from losing it, else None."""
    names = {type(e).__name__ for e in _chain(exc)}
    if not names & {"ConnectionError", "OperationalError", "TimeoutError", "ConnectionRefusedError",
                    "BrokerUnavailable", "RedisError", "BusyLoadingError"}:
        return None
    for url in [broker] + ([backend] if backend and backend != broker else []):
        try:
            check_broker(url, timeout_s=2.0)
        except BrokerUnavailable:
            return BrokerUnavailable(
                f"broker outage: the Celery broker {url} went away during the run "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}); steps "
                "that finished before it kept their writes; restart Redis (docs/scaleout.md) and re-run "
                "the partition (its writes are replaced, not duplicated)")
    return None


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


@dg.executor(name="celery", config_schema=CELERY_CONFIG,
             requirements=dg.multiple_process_executor_requirements())
def trainyard_celery_executor(init_context):
    cfg = init_context.executor_config
    return CheckedCeleryExecutor(
        broker=cfg.get("broker"), backend=cfg.get("backend"), include=cfg.get("include"),
        config_source=cfg.get("config_source"), retries=RetryMode.from_config(cfg["retries"]),
    )


def celery_executor_from_env() -> dg.ExecutorDefinition:
    """The celery executor configured from the environment (broker, backend, shared settings)."""
    return strict_configured(trainyard_celery_executor, {  # unknown run-config keys rejected
        "broker": broker_url(), "backend": backend_url(), "config_source": celery_settings(),
    })


def worker_app():
    """The Celery app workers run (``celery -A pipelines.celery_worker worker``): same broker,
    backend and settings as the executor, with dagster-celery's step task registered."""
    from dagster_celery.config import DEFAULT_CONFIG, dict_wrapper
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    app = make_app({"broker": broker_url(), "backend": backend_url(), "include": [],
                    "config_source": dict_wrapper(dict(DEFAULT_CONFIG, **celery_settings()))})
    create_task(app)
    return app


def lease_renewal_step():
    """A Celery consumer bootstep class (workers only): every third of the visibility timeout,
    re-stamp the Redis unacked-index entries of the steps this worker holds, so Redis redelivers
    a step only when its worker stopped (died), never because the step runs long."""
    from celery import bootsteps

    class LeaseRenewal(bootsteps.StartStopStep):
        requires = ("celery.worker.consumer.tasks:Tasks",)

        def __init__(self, parent, **kwargs):
            super().__init__(parent, **kwargs)
            self._stop = None

        def start(self, c):
            import threading

            self._stop = threading.Event()
            threading.Thread(target=_renew_leases, args=(c, self._stop), daemon=True,
                             name="trainyard-lease-renewal").start()

        def stop(self, c):
            if self._stop is not None:
                self._stop.set()

    return LeaseRenewal


def _renew_leases(consumer, stop) -> None:
    import time

    import redis

    interval = max(1.0, visibility_timeout_s() / 3)
    client = redis.Redis.from_url(broker_url(), socket_timeout=5, socket_connect_timeout=5)
    while not stop.wait(interval):
        try:
            qos = consumer.task_consumer.channel.qos
            tags = [t for t in list(qos._delivered) if t not in qos._dirty]
            if tags:
                key = consumer.task_consumer.channel.unacked_index_key
                client.zadd(key, {t: time.time() for t in tags}, xx=True)
        except Exception:  # broker away or consumer reconnecting: try again next tick
            continue


def celery_definitions() -> dg.Definitions:
    """The project's definitions with the celery executor, whatever ``TRAINYARD_EXECUTOR`` said
    when ``pipelines.definitions`` was imported. Drivers and workers both load it by reference
    (``pipelines.executors:celery_definitions``), so a process that already imported the default
    definitions can still dispatch to workers."""
    from pipelines.definitions import BRANCHES, defs

    return dg.Definitions(
        assets=[a for b in BRANCHES for a in b.ASSETS],
        asset_checks=[c for b in BRANCHES for c in b.ASSET_CHECKS],
        jobs=[j for b in BRANCHES for j in b.JOBS],
        resources=dict(defs.resources or {}),
        executor=celery_executor_from_env(),
    )


_LAUNCHER = (
    "import os, signal, sys\n"
    "for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
    "    signal.signal(s, signal.SIG_DFL)\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)


def start_process(cmd: list, env: dict, log_path, cwd=None):
    """Start ``cmd`` with default signal handlers in its own process group (stop with
    ``stop_process``), output to ``log_path``."""
    import subprocess
    import sys

    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-c", _LAUNCHER, *map(str, cmd)], env=env, cwd=cwd,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(proc, grace_s: float = 10.0) -> None:
    """SIGTERM the process group of ``proc`` (by its PID), SIGKILL what is left after ``grace_s``."""
    import signal
    import subprocess

    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        proc.wait(timeout=10)
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
        proc.wait(timeout=grace_s)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def wait_for_redis(url: str, proc=None, timeout_s: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server for {url} exited early with {proc.returncode}")
        try:
            check_broker(url, timeout_s=1.0)
            return
        except BrokerUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for_workers(names: list, procs=(), timeout_s: float = 90.0) -> None:
    """Until every named worker answers a broadcast ping."""
    import time

    app = worker_app()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"celery worker exited early with {p.returncode}")
            replies = app.control.ping(timeout=1.0) or []
            answered = {name for r in replies for name in r}
            if all(n in answered for n in names):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers {sorted(set(names) - answered)} did not answer in {timeout_s}s")
            time.sleep(0.3)
    finally:
        app.close()


def worker_command(name: str, concurrency: int = 1) -> list:
    import sys

    return [sys.executable, "-m", "celery", "-A", "pipelines.celery_worker", "worker", "-Q", "dagster",
            "--pool", "prefork", "--concurrency", str(concurrency), "-n", name,
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"]


class LocalCluster:
    """redis-server on 127.0.0.1 plus ``workers`` Celery worker processes on this machine; sets
    ``TRAINYARD_CELERY_BROKER``/``_BACKEND`` in this process for the driver; stops all by PID."""

    def __init__(self, workers: int = 2, concurrency: int = 1, port: int = 0, log_dir=None,
                 redis: bool = True):
        import socket
        from pathlib import Path

        from warehouse.paths import trainyard_home

        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port
        self.broker_url = f"redis://127.0.0.1:{port}/0"
        self.n_workers, self.concurrency, self.start_redis = workers, concurrency, redis
        self.log_dir = Path(log_dir) if log_dir else trainyard_home() / "scaleout_logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.redis = None
        self.workers: list = []
        self.worker_names: list = []
        self._saved_env: dict = {}

    def env(self) -> dict:
        env = os.environ.copy()
        env.update({"TRAINYARD_CELERY_BROKER": self.broker_url, "TRAINYARD_CELERY_BACKEND": self.broker_url,
                    "TRAINYARD_EXECUTOR": "celery"})
        return env

    def start_redis_server(self) -> None:
        import shutil

        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server not found: apt-get install redis-server "
                               "(scripts/install-system-deps.sh)")
        self.redis = start_process([exe, "--bind", "127.0.0.1", "--port", self.port, "--save", "",
                                    "--appendonly", "no", "--protected-mode", "yes"],
                                   self.env(), self.log_dir / "redis.log")
        wait_for_redis(self.broker_url, self.redis)

    def stop_redis_server(self) -> None:
        if self.redis is not None:
            stop_process(self.redis)
            self.redis = None

    def add_worker(self, name: str = "") -> str:
        from warehouse.paths import PROJECT_ROOT

        name = name or f"w{len(self.worker_names) + 1}-{self.port}@127.0.0.1"
        proc = start_process(worker_command(name, self.concurrency), self.env(),
                             self.log_dir / f"{name.split('@')[0]}.log", cwd=PROJECT_ROOT)
        self.workers.append(proc)
        self.worker_names.append(name)
        return name

    def __enter__(self) -> "LocalCluster":
        for k in ("TRAINYARD_CELERY_BROKER", "TRAINYARD_CELERY_BACKEND"):
            self._saved_env[k] = os.environ.get(k)
            os.environ[k] = self.broker_url
        try:
            if self.start_redis:
                self.start_redis_server()
            for _ in range(self.n_workers):
                self.add_worker()
            wait_for_workers(self.worker_names, self.workers)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.workers:
            stop_process(proc)
        self.workers = []
        self.stop_redis_server()
        for k, v in self._saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def strict_configured(executor_def: dg.ExecutorDefinition, defaults: dict) -> dg.ExecutorDefinition:
    """``executor_def`` with ``defaults`` that run config may override field by field, keeping the
    executor's own schema. (``executor_def.configured(defaults)`` replaces the schema with ``Any``:
    run config such as ``{"config": {"bogus": 1}}`` or a misspelt GPU setting would be accepted and
    silently ignored.) Nested dicts in run config are merged one level into the defaults."""
    from dagster._config import Field, Shape

    inner = executor_def.config_schema.config_type
    # Same fields, none required and without defaults, so the mapping sees only what the user set;
    # the inner executor's schema then applies its own defaults to the merged config.
    outer = Shape({name: Field(f.config_type, is_required=False, description=f.description)
                   for name, f in inner.fields.items()})

    def merge(user: dict) -> dict:
        merged = dict(defaults)
        for key, value in (user or {}).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return merged

    return executor_def.configured(merge, config_schema=outer, name=executor_def.name)


def k8s_executor(assets=()) -> dg.ExecutorDefinition:
    """``TRAINYARD_EXECUTOR=k8s``: dagster-k8s's ``k8s_job_executor``, every step its own Kubernetes
    Job, resources per step from asset tags (pipelines/k8s.py)."""
    from pipelines.k8s import k8s_executor_from_env

    return k8s_executor_from_env(assets)
