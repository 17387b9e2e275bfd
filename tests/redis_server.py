"""Test helper: a Redis broker plus Celery workers for one trainyard home, started with
``pipelines.executors.LocalCluster`` (own process groups, stopped by PID) and the environment the
driver needs (home, Dagster home, profile) restored afterwards."""
import contextlib
import os
import shutil
from pathlib import Path

import pytest


def require_redis() -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run scripts/install-system-deps.sh")


@contextlib.contextmanager
def celery_cluster(home: Path, workers: int = 2, concurrency: int = 1):
    """Yield a started ``LocalCluster`` whose workers and this process share ``home``."""
    require_redis()
    from pipelines.executors import LocalCluster
    from pipelines.instance import prepare_dagster_home

    saved = {k: os.environ.get(k) for k in ("TRAINYARD_HOME", "DAGSTER_HOME", "TRAINYARD_PROFILE")}
    os.environ["TRAINYARD_HOME"] = str(home)
    os.environ["TRAINYARD_PROFILE"] = "tiny"
    try:
        prepare_dagster_home()
        with LocalCluster(workers=workers, concurrency=concurrency, log_dir=home / "logs") as cluster:
            yield cluster
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def log_tail(cluster, n: int = 40) -> str:
    """The last lines of every worker/redis log, for assertion messages."""
    out = []
    for log in sorted(Path(cluster.log_dir).glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-n:]
        out.append(f"--- {log.name}\n" + "\n".join(lines))
    return "\n".join(out)
