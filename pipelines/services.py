"""Throw-away local services for tests and benchmarks: PostgreSQL on loopback (the Dagster
instance storage and the DuckLake catalog) and an S3-compatible object store (``moto`` in server
mode). Each runs in its own process group, on a free port, and is stopped by its PID.

Production deployments use managed Postgres and object storage instead (docs/scale-out.md).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pipelines.executors import start_process, stop_process

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    for d in PG_BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    exe = shutil.which(name)
    if exe is None:
        raise RuntimeError(f"PostgreSQL's {name} not found: apt-get install postgresql "
                           "(scripts/install-system-deps.sh)")
    return exe


class LocalPostgres:
    """``initdb`` into a fresh temporary directory, ``postgres`` on 127.0.0.1:<free port>, trust
    authentication for user ``postgres``. As root the server runs as the ``postgres`` system user
    (PostgreSQL refuses to run as root). ``databases`` are created once it answers."""

    def __init__(self, databases: tuple[str, ...] = ("dagster", "lake"), log_dir: Path | None = None):
        self.databases = databases
        self.port = 0
        self.root: Path | None = None
        self.proc = None
        self.log_dir = log_dir

    # -- connection strings -------------------------------------------------------------------
    def conninfo(self, db: str = "postgres") -> str:
        """libpq key=value form (what DuckDB's postgres/ducklake extensions take)."""
        return f"dbname={db} host=127.0.0.1 port={self.port} user=postgres"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def env(self, db: str = "dagster") -> dict:
        """The variables deploy/k8s/instance.yaml and deploy/postgres/dagster.yaml read."""
        return {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": db}

    # -- lifecycle ----------------------------------------------------------------------------
    def _as_postgres(self, cmd: list) -> list:
        if os.geteuid() != 0:
            return cmd
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *cmd]

    def start(self) -> "LocalPostgres":
        root = Path(tempfile.mkdtemp(prefix="trainyard-pg-"))
        self.root = root
        data, sock = root / "data", root / "sock"
        data.mkdir()
        sock.mkdir()
        log_dir = self.log_dir or root
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chmod(root, 0o755)
            for p in (data, sock):
                shutil.chown(p, "postgres", "postgres")
        init = subprocess.run(
            self._as_postgres([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                               "--no-sync", "-E", "UTF8", "--locale=C"]),
            capture_output=True, text=True, cwd=root)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}): {init.stderr.strip()[-800:]}")
        self.port = free_port()
        self.proc = start_process(
            self._as_postgres([_pg_bin("postgres"), "-D", str(data), "-p", str(self.port),
                               "-k", str(sock), "-c", "listen_addresses=127.0.0.1",
                               "-c", "fsync=off", "-c", "max_connections=200"]),
            dict(os.environ), Path(log_dir) / "postgres.log", cwd=root)
        try:
            self._wait_ready()
            self._create_databases()
        except BaseException:
            self.stop()
            raise
        return self

    def _connect(self, db: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db,
                                connect_timeout=2)

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited early with {self.proc.returncode}; "
                                   f"see {self.log_dir or self.root}/postgres.log")
            try:
                self._connect().close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _create_databases(self) -> None:
        conn = self._connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                for db in self.databases:
                    cur.execute(f'CREATE DATABASE "{db}"')
        finally:
            conn.close()

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the server's process group), SIGKILL after a grace period;
        then remove the data directory."""
        if self.proc is not None:
            import signal

            try:
                os.killpg(os.getpgid(self.proc.pid), signal.SIGINT)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            stop_process(self.proc, grace_s=5)
            self.proc = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> "LocalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class LocalS3:
    """``moto`` in server mode on 127.0.0.1:<free port>: an S3-compatible endpoint for tests and
    benchmarks (no network). ``bucket`` is created once it answers."""

    ACCESS_KEY = "testing"
    SECRET_KEY = "testing"
    REGION = "us-east-1"

    def __init__(self, bucket: str = "trainyard-lake", log_dir: Path | None = None):
        self.bucket = bucket
        self.port = 0
        self.proc = None
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="trainyard-s3-"))

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict:
        """What the DuckLake backend reads to reach this endpoint (warehouse/ducklake.py)."""
        return {"TRAINYARD_S3_ENDPOINT": self.endpoint, "TRAINYARD_S3_USE_SSL": "false",
                "TRAINYARD_S3_URL_STYLE": "path", "AWS_ACCESS_KEY_ID": self.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY, "AWS_REGION": self.REGION}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=f"http://{self.endpoint}",
                            aws_access_key_id=self.ACCESS_KEY,
                            aws_secret_access_key=self.SECRET_KEY, region_name=self.REGION)

    def start(self) -> "LocalS3":
        import sys

        self.port = free_port()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.proc = start_process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                   "-p", str(self.port)], dict(os.environ),
                                  self.log_dir / "moto.log")
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited early with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)
        try:
            self.client().create_bucket(Bucket=self.bucket)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, grace_s=5)
            self.proc = None

    def __enter__(self) -> "LocalS3":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
