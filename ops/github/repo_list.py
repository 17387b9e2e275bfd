"""The repository list: which repositories trainyard syncs and from where.

A JSON file (``$TRAINYARD_GITHUB_REPOS``, default ``$TRAINYARD_HOME/github/repos.json``) holding a
list of ``{"repo": "owner/name", "source": "api" | "local", "path": "/clone" (local),
"base_url": "https://api.github.com" (api)}``. The sensor turns each entry into a Dagster dynamic
partition; the sync asset looks its partition's entry up here. Tokens never go in this file
(they come from ``$GITHUB_TOKEN``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
DEFAULT_BASE_URL = "https://api.github.com"


@dataclasses.dataclass(frozen=True)
class RepoSpec:
    repo: str
    source: str = "api"  # api | local
    path: str = ""
    base_url: str = DEFAULT_BASE_URL

    def __post_init__(self):
        parts = self.repo.split("/")
        if (not REPO_RE.match(self.repo) or ".." in self.repo or "." in parts
                or parts[0].startswith(("-", "."))):
            raise ValueError(f"repository must look like 'owner/name', not {self.repo!r}")
        if self.source not in ("api", "local"):
            raise ValueError(f"source must be 'api' or 'local', not {self.source!r}")
        if self.source == "local" and not self.path:
            raise ValueError(f"local source for {self.repo} needs a path")


def repo_list_path() -> Path:
    from warehouse.paths import trainyard_home

    env = os.environ.get("TRAINYARD_GITHUB_REPOS")
    path = Path(env) if env else trainyard_home() / "github" / "repos.json"
    return path


def read_repo_list(path: Path | None = None) -> list[RepoSpec]:
    path = path or repo_list_path()
    if not path.exists():
        return []
    items = json.loads(path.read_text())
    return [RepoSpec(**{k: v for k, v in item.items() if k in ("repo", "source", "path", "base_url")})
            for item in items]


def add_repo(spec: RepoSpec, path: Path | None = None) -> list[RepoSpec]:
    """Add or replace ``spec`` (by repo) in the list file; returns the new list."""
    path = path or repo_list_path()
    specs = [s for s in read_repo_list(path) if s.repo != spec.repo] + [spec]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([dataclasses.asdict(s) for s in specs], indent=1))
    tmp.replace(path)
    return specs


def find_spec(repo: str, path: Path | None = None) -> RepoSpec:
    for spec in read_repo_list(path):
        if spec.repo == repo:
            return spec
    raise KeyError(f"{repo} is not in the repository list {path or repo_list_path()}; add it with "
                   "`trainyard github sync` / `trainyard github ingest` or edit the file")
