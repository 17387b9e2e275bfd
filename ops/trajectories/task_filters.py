"""Which PRs are worth a task: each filter answers ``(keep, reason)`` and the first that rejects a
PR names the reason (written to ``task_validations`` and ``trajectory_decisions``, gate ``task_filter``).

Rejected: bot authors (dependabot, pre-commit-ci, renovate, github-actions, any ``[bot]``), version
bumps and releases, raw merge subjects that say nothing ("Merge pull request #N from …" still the title after
ingest, which takes a body-less merge's title from its commits or branch), PRs that change only housekeeping files (docs, CI,
changelogs, lock/requirements files, packaging metadata), and PRs that change no non-test source.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import PurePosixPath

from ops.trajectories.pr_context import TEST_PATH_RE, PRContext

BOT_RE = re.compile(r"(dependabot|pre-commit-ci|renovate|github-actions|greenkeeper|pyup-bot|snyk-bot|"
                    r"allcontributors|imgbot|\[bot\])", re.I)
BOT_BRANCH_RE = re.compile(r"^(dependabot|renovate|pre-commit-ci|pyup|snyk)[/-]", re.I)
RELEASE_TITLE_RE = re.compile(
    r"^\s*(\[?release\]?\b|prepare (the )?(\d|release|v\d)|bump (the )?(version|to v?\d)|version bump|"
    r"v?\d+\.\d+(\.\d+)*\s*$|update (the )?version|(cut|tag) (a )?release|changelog for)", re.I)
RELEASE_BRANCH_RE = re.compile(r"^(release|bump|prepare)[/-]", re.I)
RAW_MERGE_RE = re.compile(r"^\s*Merge (pull request #\d+ from \S+|branch '[^']*'|remote-tracking branch)", re.I)
_HOUSEKEEPING_NAME_RE = re.compile(
    r"^(changes|changelog|history|news|authors|contributors|maintainers|license|licence|copying|"
    r"code_of_conduct|contributing|security|readme|releasing|\.gitignore|\.gitattributes|\.mailmap|"
    r"manifest\.in|\.pre-commit-config\.yaml|\.pre-commit-hooks\.yaml|\.readthedocs\.ya?ml|"
    r"tox\.ini|noxfile\.py|makefile|codecov\.ya?ml|\.coveragerc|\.editorconfig|mkdocs\.ya?ml|"
    r"\.travis\.yml|appveyor\.yml|azure-pipelines\.yml|renovate\.json|\.flake8|mypy\.ini|"
    r"setup\.cfg|pyproject\.toml|setup\.py|requirements[^/]*\.(txt|in)|[^/]*\.lock|uv\.lock|"
    r"poetry\.lock|pipfile(\.lock)?|citation\.cff|funding\.yml)$", re.I)
_HOUSEKEEPING_DIR_RE = re.compile(r"^(docs?|\.github|\.circleci|\.gitlab|ci|requirements|changelog\.d|"
                                  r"news|changes)/", re.I)
_DOC_EXT = {".md", ".rst", ".txt", ".adoc", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico"}
_SOURCE_EXT = {".py", ".pyx", ".pxd", ".pyi", ".c", ".h", ".cpp", ".rs", ".js", ".ts", ".go", ".java"}


@dataclasses.dataclass
class TaskFilterConfig:
    drop_bots: bool = True
    drop_releases: bool = True
    drop_raw_merge_titles: bool = True
    drop_housekeeping_only: bool = True
    require_source_change: bool = True


def is_housekeeping(path: str) -> bool:
    """Docs, CI, changelog, lock/requirements and packaging files: they carry no behaviour to test."""
    p = PurePosixPath(path)
    return bool(_HOUSEKEEPING_DIR_RE.match(path) or _HOUSEKEEPING_NAME_RE.match(p.name)
                or (p.suffix.lower() in _DOC_EXT and not TEST_PATH_RE.search(path)))


def is_source(path: str) -> bool:
    """A non-test source file (code that a test can exercise)."""
    return (PurePosixPath(path).suffix.lower() in _SOURCE_EXT and not TEST_PATH_RE.search(path)
            and not is_housekeeping(path))


def filter_pr(ctx: PRContext, cfg: TaskFilterConfig | None = None) -> tuple[bool, str]:
    """``(keep, reason)`` for one PR (the first rejecting filter's reason)."""
    cfg = cfg or TaskFilterConfig()
    pr = ctx.pr
    if cfg.drop_bots and (BOT_RE.search(pr.author or "") or BOT_BRANCH_RE.match(pr.head_ref or "")):
        return False, f"bot author or branch ({pr.author or pr.head_ref})"
    if cfg.drop_releases and (RELEASE_TITLE_RE.match(pr.title or "") or RELEASE_BRANCH_RE.match(pr.head_ref or "")):
        return False, f"version bump or release: {pr.title[:80]!r}"
    if cfg.drop_raw_merge_titles and RAW_MERGE_RE.match(pr.title or "") and not (pr.body or "").strip():
        return False, f"title is a raw merge subject with no description: {pr.title[:80]!r}"
    paths = [f.path for f in ctx.files]
    if cfg.drop_housekeeping_only and paths and all(is_housekeeping(p) for p in paths):
        return False, f"changes only docs/CI/changelog/lock/packaging files ({len(paths)} file(s))"
    if cfg.require_source_change and not any(is_source(p) for p in paths):
        return False, "changes no non-test source file"
    return True, "passed the task filters"
