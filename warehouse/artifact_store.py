"""Artifact storage behind one interface, so a shared or object store can replace the local
directory without touching assets.

``warehouse.paths.artifact_dir(...)`` stays what it is (a local directory under the trainyard
home); this module adds a key/value view beside it. Keys are '/'-joined parts, each sanitised
with ``safe_part`` exactly as ``artifact_dir`` does, so a key made from API-supplied names cannot
escape the root.

Selection (no code change): ``$TRAINYARD_ARTIFACT_STORE`` = unset or ``local`` → the trainyard
home's ``artifacts/`` (the default); ``file:///abs/path`` or ``/abs/path`` → that directory (e.g. an
NFS/EFS mount every worker shares). Other schemes raise until an implementation exists.
"""
from __future__ import annotations

import abc
import hashlib
import os
import shutil
import uuid
from pathlib import Path

from warehouse.paths import safe_part, trainyard_home


def normalise_key(*parts: str) -> str:
    """'a', 'b/c' → 'a/b/c' with every component sanitised; never empty."""
    pieces = [safe_part(p) for part in parts for p in str(part).split("/") if p not in ("", ".")]
    if not pieces:
        raise ValueError(f"empty artifact key from {parts!r}")
    return "/".join(pieces)


class ArtifactStore(abc.ABC):
    """Where steps put large outputs (Parquet shards, checkpoints, reports) for other steps —
    possibly on other machines — to read."""

    @abc.abstractmethod
    def put_bytes(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` atomically (readers never see a partial object); returns
        the object's URI."""

    @abc.abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; ``FileNotFoundError`` when absent."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object if present (idempotent)."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted."""

    @abc.abstractmethod
    def uri(self, key: str) -> str: ...

    def put_file(self, key: str, path: Path) -> str:
        return self.put_bytes(key, Path(path).read_bytes())

    def sha256(self, key: str) -> str:
        return hashlib.sha256(self.get_bytes(key)).hexdigest()


class LocalArtifactStore(ArtifactStore):
    """A directory tree (default: ``$TRAINYARD_HOME/artifacts``). Shared between machines only
    when ``root`` is on a shared filesystem."""

    def __init__(self, root: Path | None = None):
        self.root = (Path(root) if root else trainyard_home() / "artifacts").resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / normalise_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"artifact key escapes the store root: {key!r}")
        return path

    def put_bytes(self, key: str, data: bytes) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader on another worker sees the old object or the new one.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return self.uri(key)

    def put_file(self, key: str, path: Path) -> str:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.name.startswith("."))

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()


def artifact_store() -> ArtifactStore:
    """The configured store (see module docstring)."""
    spec = os.environ.get("TRAINYARD_ARTIFACT_STORE", "").strip()
    if spec in ("", "local"):
        return LocalArtifactStore()
    if spec.startswith("file://"):
        return LocalArtifactStore(Path(spec[len("file://"):]))
    if spec.startswith("/"):
        return LocalArtifactStore(Path(spec))
    raise ValueError(
        f"TRAINYARD_ARTIFACT_STORE={spec!r}: only 'local', 'file:///path' or '/path' are implemented;"
        " an object store (s3://, gs://) needs an ArtifactStore subclass (see docs/scaleout.md)"
    )
