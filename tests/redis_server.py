"""Test helper: a Redis broker plus Celery workers for one trainyard home, started with
``pipelines.executors.LocalCluster`` (own process groups, stopped by PID) and the environment the
driver needs (home, Dagster home, profile) restored afterwards."""
import contextlib
import shutil
from pathlib import Path

import pytest

from benchmarks.harness import scoped_environ


def require_redis() -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run scripts/install-system-deps.sh")


@contextlib.contextmanager
def celery_cluster(home: Path, workers: int = 2, concurrency: int = 1):
    """Yield a started ``LocalCluster`` whose workers and this process share ``home``."""
    require_redis()
    from pipelines.executors import LocalCluster
    from pipelines.instance import prepare_dagster_home

    with scoped_environ({"TRAINYARD_HOME": str(home), "TRAINYARD_PROFILE": "tiny"}, restore=("DAGSTER_HOME",)):
        prepare_dagster_home()
        with LocalCluster(workers=workers, concurrency=concurrency, log_dir=home / "logs") as cluster:
            yield cluster


def log_tail(cluster, n: int = 40) -> str:
    """The last lines of every worker/redis log, for assertion messages."""
    out = []
    for log in sorted(Path(cluster.log_dir).glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-n:]
        out.append(f"--- {log.name}\n" + "\n".join(lines))
    return "\n".join(out)
