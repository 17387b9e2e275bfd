"""Where trainyard keeps its state: one home directory, never relative to the current directory.

The home is ``$TRAINYARD_HOME`` when set, else ``.trainyard/`` at the project root, so that
``trainyard demo``, ``trainyard ui`` and ``trainyard query`` always agree on the same warehouse.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_SAFE_PART = re.compile(r"[^A-Za-z0-9._=-]+")


def trainyard_home() -> Path:
    env = os.environ.get("TRAINYARD_HOME")
    home = Path(env).expanduser().resolve() if env else PROJECT_ROOT / ".trainyard"
    home.mkdir(parents=True, exist_ok=True)
    return home


def warehouse_path() -> Path:
    return trainyard_home() / "warehouse.duckdb"


def dagster_home() -> Path:
    path = trainyard_home() / "dagster_home"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_part(name: str) -> str:
    """One path component made from untrusted text (a repo name, an API file path): no
    separators, no '..', never empty."""
    cleaned = _SAFE_PART.sub("_", str(name)).strip("._") or "_"
    return cleaned[:120]


def artifact_dir(*parts: str) -> Path:
    """A directory under ``$TRAINYARD_HOME/artifacts``; each part is sanitised so an API-supplied
    name can never escape the artifacts root."""
    root = (trainyard_home() / "artifacts").resolve()
    path = root.joinpath(*(safe_part(p) for p in parts)).resolve()
    if root != path and root not in path.parents:
        raise ValueError(f"artifact path escapes the artifacts root: {parts!r}")
    path.mkdir(parents=True, exist_ok=True)
    return path
