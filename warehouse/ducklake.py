"""The warehouse on DuckLake: a catalog in Postgres, table data as Parquet under a data path
(a local directory or S3-compatible object storage). Many processes on many machines commit at
once; no single-writer pool is needed.

Selection (no code change): ``TRAINYARD_WAREHOUSE=ducklake``; the local DuckDB file
(``TRAINYARD_WAREHOUSE`` unset or ``duckdb``) stays the default.

- ``TRAINYARD_DUCKLAKE_CATALOG``: what follows ``ducklake:`` in the ATTACH string, e.g.
  ``postgres:dbname=lake host=pg.internal port=5432 user=trainyard`` (the password comes from
  ``PGPASSWORD`` / ``~/.pgpass`` as libpq reads them, never from this string). Default: a DuckDB
  catalog file ``$TRAINYARD_HOME/lake/catalog.ducklake`` (one machine, one writer at a time).
- ``TRAINYARD_DUCKLAKE_DATA_PATH``: ``/shared/dir/`` or ``s3://bucket/prefix/``. Default
  ``$TRAINYARD_HOME/lake/data/``.
- ``TRAINYARD_DUCKLAKE_INLINE_ROWS``: DuckLake data inlining (small inserts kept in the catalog);
  default 0, so all table data is Parquet under the data path.
- S3: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_REGION`` and, for a non-AWS
  endpoint, ``TRAINYARD_S3_ENDPOINT`` (host:port), ``TRAINYARD_S3_USE_SSL`` (true/false),
  ``TRAINYARD_S3_URL_STYLE`` (path/vhost).

Only ``warehouse.db.connect`` (the one opener) calls in here; the writer, migrations and readers
are the same code on both backends. What differs, and why:
- ``Warehouse.create_parquet_view`` makes a *table* copied from the Parquet artifacts instead of
  a view: a view would store a path on the writing machine, which other machines cannot read.
- Commits that collide with another process's commit (the same rows deleted twice, two
  first-time migrations) are retried, whole, by ``retry_conflicts``.

The extensions are loaded offline from the ``duckdb-extension-*`` packages (pinned to the
``duckdb`` version); nothing is downloaded at run time.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import os
import random
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.paths import trainyard_home, warehouse_path

LAKE = "lake"  # the catalog name queries see (``current_database()``)


class LakeUnavailable(RuntimeError):
    """The DuckLake catalog or its extensions could not be reached or loaded."""


def backend() -> str:
    kind = os.environ.get("TRAINYARD_WAREHOUSE", "duckdb").strip().lower() or "duckdb"
    if kind not in ("duckdb", "ducklake"):
        raise ValueError(f"TRAINYARD_WAREHOUSE must be duckdb or ducklake, not {kind!r}")
    return kind


def selected(path: Path | None) -> bool:
    """True when the default warehouse is asked for and ``TRAINYARD_WAREHOUSE=ducklake``. An
    explicit other DuckDB file (a benchmark's scratch warehouse) stays a file."""
    if backend() != "ducklake":
        return False
    return path is None or Path(path) == warehouse_path()


def catalog() -> str:
    spec = os.environ.get("TRAINYARD_DUCKLAKE_CATALOG", "").strip()
    if spec.startswith("ducklake:"):
        spec = spec[len("ducklake:"):]
    if not spec:
        lake = trainyard_home() / "lake"
        lake.mkdir(parents=True, exist_ok=True)
        spec = str(lake / "catalog.ducklake")
    return spec


def data_path() -> str:
    spec = os.environ.get("TRAINYARD_DUCKLAKE_DATA_PATH", "").strip()
    if not spec:
        path = trainyard_home() / "lake" / "data"
        path.mkdir(parents=True, exist_ok=True)
        spec = str(path)
    if "://" not in spec:
        Path(spec).mkdir(parents=True, exist_ok=True)
    return spec.rstrip("/") + "/"


def inline_rows() -> int:
    """Inserts of at most this many rows are kept in the catalog instead of a Parquet file
    (DuckLake's data inlining). Default 0: every row is Parquet under the data path."""
    return int(os.environ.get("TRAINYARD_DUCKLAKE_INLINE_ROWS", "0"))


def describe() -> str:
    """Where the lake is, for messages: catalog kind and data path, never credentials."""
    cat = catalog()
    if cat.startswith("postgres:"):
        keep = [kv for kv in cat[len("postgres:"):].split() if kv.split("=")[0] in ("dbname", "host", "port")]
        cat = "postgres:" + " ".join(keep)
    return f"ducklake ({cat}; data {data_path()})"


# -- extensions, loaded by path from the pinned packages ---------------------------------------
def _extension_file(package: str) -> Path:
    import importlib

    try:
        mod = importlib.import_module(package)
    except ImportError as exc:
        raise LakeUnavailable(
            f"TRAINYARD_WAREHOUSE=ducklake needs the {package.replace('_', '-')} package "
            f"(pinned in pyproject.toml to duckdb {duckdb.__version__}): {exc}") from exc
    wanted = f"v{duckdb.__version__}"
    files = sorted(Path(mod.__path__[0]).rglob("*.duckdb_extension"))
    for f in files:
        if f.parent.name == wanted:
            return f
    raise LakeUnavailable(f"{package} has no extension for duckdb {duckdb.__version__} "
                          f"(found {[f.parent.name for f in files]}): pin matching versions")


@functools.lru_cache(maxsize=1)
def _extensions() -> list[Path]:
    """ducklake, postgres (as ``postgres_scanner``: the name its entry point is registered
    under) and httpfs (S3)."""
    lake = _extension_file("duckdb_extension_ducklake")
    files = [lake]
    pg = _extension_file("duckdb_extension_postgres")
    link_dir = Path(tempfile.gettempdir()) / f"trainyard-duckdb-ext-{os.getuid()}-{duckdb.__version__}"
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / "postgres_scanner.duckdb_extension"
    if not link.exists() or link.resolve() != pg.resolve():
        tmp = link_dir / f".{os.getpid()}.{random.random():.9f}"
        tmp.symlink_to(pg)
        os.replace(tmp, link)
    files.append(link)
    with contextlib.suppress(LakeUnavailable):
        files.append(_extension_file("duckdb_extension_httpfs"))
    return files


def _s3_secret_sql() -> str | None:
    if not data_path().startswith(("s3://", "s3a://", "gcs://", "gs://", "r2://")):
        return None

    def q(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"

    parts = ["TYPE s3"]
    env = os.environ
    if env.get("AWS_ACCESS_KEY_ID"):
        parts += [f"KEY_ID {q(env['AWS_ACCESS_KEY_ID'])}",
                  f"SECRET {q(env.get('AWS_SECRET_ACCESS_KEY', ''))}"]
    if env.get("AWS_SESSION_TOKEN"):
        parts.append(f"SESSION_TOKEN {q(env['AWS_SESSION_TOKEN'])}")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        parts.append(f"REGION {q(region)}")
    if env.get("TRAINYARD_S3_ENDPOINT"):
        parts.append(f"ENDPOINT {q(env['TRAINYARD_S3_ENDPOINT'])}")
    if env.get("TRAINYARD_S3_USE_SSL"):
        parts.append(f"USE_SSL {env['TRAINYARD_S3_USE_SSL'].lower() in ('1', 'true', 'yes')}")
    if env.get("TRAINYARD_S3_URL_STYLE"):
        parts.append(f"URL_STYLE {q(env['TRAINYARD_S3_URL_STYLE'])}")
    return f"CREATE OR REPLACE SECRET trainyard_lake_s3 ({', '.join(parts)})"


def _open_base(read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``lake``."""
    files = _extensions()
    if not files or "ducklake" not in files[0].name:
        raise LakeUnavailable("the ducklake extension is missing")
    if _s3_secret_sql() and not any("httpfs" in f.name for f in files):
        raise LakeUnavailable("an s3:// data path needs the duckdb-extension-httpfs package")
    base = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})
    try:
        for f in files:
            base.execute(f"LOAD '{f.as_posix()}'")
        secret = _s3_secret_sql()
        if secret:
            base.execute(secret)
        cat = catalog().replace("'", "''")
        data = data_path().replace("'", "''")
        opts = f"DATA_PATH '{data}', DATA_INLINING_ROW_LIMIT {inline_rows()}"
        opts += ", READ_ONLY" if read_only else ""
        base.execute(f"ATTACH 'ducklake:{cat}' AS {LAKE} ({opts})")
    except BaseException:
        base.close()
        raise
    return base


_BASES: dict[tuple[int, bool, str, str], duckdb.DuckDBPyConnection] = {}
_BASES_LOCK = threading.Lock()
_MIGRATED: set[tuple[int, str, str]] = set()


def _base(read_only: bool) -> duckdb.DuckDBPyConnection:
    """One attached database per (process, mode, lake): attaching costs catalog round trips,
    so connections are cursors on it. A forked child (Celery prefork) opens its own."""
    key = (os.getpid(), read_only, catalog(), data_path())
    with _BASES_LOCK:
        base = _BASES.get(key)
        if base is None:
            base = _BASES[key] = _open_base(read_only)
        return base


@atexit.register
def close_all() -> None:
    with _BASES_LOCK:
        for key, base in list(_BASES.items()):
            if key[0] == os.getpid():
                with contextlib.suppress(Exception):
                    base.close()
            _BASES.pop(key, None)


def is_conflict(exc: BaseException | None) -> bool:
    """A DuckLake commit lost to another process's. Follows the exception chain: a failed COMMIT
    is rolled back already, so the caller's own ROLLBACK raises 'no transaction is active' with
    the conflict as its context."""
    seen = 0
    while exc is not None and seen < 5:
        text = str(exc).lower()
        if isinstance(exc, duckdb.Error) and (
            "conflict" in text or "could not serialize" in text
            or "duplicate key value" in text  # two first commits racing for one snapshot id
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@contextlib.contextmanager
def connect(read_only: bool = False, timeout_s: float = 300.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection whose default catalog is the lake (``USE lake``)."""
    if read_only:
        mkey = (os.getpid(), catalog(), data_path())
        if mkey not in _MIGRATED:  # readers never see a lake without its tables
            from warehouse.migrations import migrate

            migrate()
            _MIGRATED.add(mkey)
    # A Postgres catalog: one attached database per process, connections are cursors on it.
    # A DuckDB-file catalog takes DuckDB's file lock (one writer, and a second attach of the file
    # in this process would wait for it): open and close it per connection, like the file backend.
    shared = catalog().startswith("postgres:")
    started = time.monotonic()
    deadline = started + timeout_s
    delay = 0.05
    while True:
        try:
            base = _base(read_only) if shared else _open_base(read_only)
            break
        except duckdb.Error as exc:
            from warehouse.db import _is_lock_conflict

            unreachable = "could not connect" in str(exc).lower() or "connection refused" in str(exc).lower()
            # a catalog that does not answer is retried for 30 s (a pod starting before Postgres),
            # a held file lock for the full timeout; anything else fails at once
            limit = deadline if _is_lock_conflict(exc) else min(
                deadline, started + float(os.environ.get("TRAINYARD_DUCKLAKE_CONNECT_RETRY_S", "30")))
            if not (_is_lock_conflict(exc) or unreachable) or time.monotonic() >= limit:
                # the catalog string may carry a password (libpq key=value): never echo it
                text = re.sub(r"(?i)(password\s*=\s*)\S+", r"\1***", " ".join(str(exc).split()))
                raise LakeUnavailable(f"could not attach {describe()}: {text}") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)
    conn = base.cursor() if shared else base
    try:
        conn.execute(f"USE {LAKE}")
        yield conn
    finally:
        conn.close()


def retry_conflicts(fn=None, *, attempts: int = 30):
    """Re-run a whole warehouse operation (stage, transaction, commit) when its DuckLake commit
    collided with another process's; a no-op on the file backend, which has one writer."""
    if fn is None:
        return functools.partial(retry_conflicts, attempts=attempts)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        delay = 0.02
        for attempt in range(attempts):
            try:
                return fn(*args, **kwargs)
            except duckdb.Error as exc:
                if backend() != "ducklake" or not is_conflict(exc) or attempt == attempts - 1:
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)
    return wrapper


def materialize_parquet(view: str, glob: str) -> None:
    """``create_parquet_view`` on the lake: a table copied from the Parquet files, so every machine
    reads it (a view would name a path on the writing machine only)."""
    with connect() as conn:
        conn.execute(
            f"CREATE OR REPLACE TABLE {view} AS SELECT * FROM read_parquet('{glob}', "
            "union_by_name = true)"
        )
