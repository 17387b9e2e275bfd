"""Unified-diff pieces the trajectory ops need: hunks of a patch, its added lines, and the
per-commit file patches of a real repository (read with ``git``; nothing is executed).
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclasses.dataclass(frozen=True)
class Hunk:
    header: str
    text: str  # header line + body lines, as in the patch
    added: int
    removed: int


def split_hunks(patch: str | None) -> list[Hunk]:
    """Split a file patch (hunks only, or a full ``diff --git`` section) into hunks."""
    if not patch:
        return []
    hunks: list[Hunk] = []
    cur: list[str] = []
    for line in patch.splitlines():
        if _HUNK_RE.match(line):
            if cur:
                hunks.append(_hunk(cur))
            cur = [line]
        elif cur:
            cur.append(line)
    if cur:
        hunks.append(_hunk(cur))
    return hunks


def _hunk(lines: list[str]) -> Hunk:
    body = lines[1:]
    return Hunk(lines[0], "\n".join(lines) + "\n",
                sum(1 for ln in body if ln.startswith("+")), sum(1 for ln in body if ln.startswith("-")))


def added_lines(patch: str | None) -> list[str]:
    """The ``+`` lines of a patch, without the ``+`` (file headers ``+++`` excluded)."""
    return [ln[1:] for ln in (patch or "").splitlines() if ln.startswith("+") and not ln.startswith("+++")]


@dataclasses.dataclass(frozen=True)
class FilePatch:
    path: str
    status: str  # A | M | D | R...
    patch: str  # hunks only ('' for binary)
    is_binary: bool


def commit_file_patches(repo_path: Path, sha: str) -> list[FilePatch]:
    """Per-file patches of one commit against its first parent (root commit: against nothing).

    Raises ``GitError`` when the commit is missing (force-pushed away, shallow clone)."""
    from ops.github.git_cli import run_git

    raw = run_git(repo_path, ["show", "--first-parent", "-M", "--no-ext-diff", "--no-textconv", "--no-color",
                              "--format=", "--patch", "--full-index", sha])
    text = raw.decode("utf-8", "replace")
    out: list[FilePatch] = []
    for section in re.split(r"(?m)^(?=diff --git )", text):
        if not section.startswith("diff --git "):
            continue
        m = re.match(r"diff --git a/(.*?) b/(.*)", section)
        path = m.group(2) if m else "?"
        status = "A" if "\nnew file mode" in section else "D" if "\ndeleted file mode" in section else \
            "R" if "\nrename from" in section else "M"
        binary = "\nBinary files " in section or "\nGIT binary patch" in section
        at = section.find("\n@@")
        out.append(FilePatch(path, status, section[at + 1:] if at >= 0 and not binary else "", binary))
    return out


def file_at(repo_path: Path, sha: str, path: str, max_bytes: int = 200_000) -> str | None:
    """The file's text at commit ``sha`` (``None`` when absent there); non-UTF-8 bytes replaced."""
    from ops.github.git_cli import GitError, run_git

    try:
        raw = run_git(repo_path, ["show", f"{sha}:{path}"])
    except GitError:
        return None
    return raw[:max_bytes].decode("utf-8", "replace")


# GitHub metadata sidecars of local clones (issues/reviews), not part of the code an agent searches.
SEARCH_EXCLUDES = (".github-issues.json", ".github-reviews.json")


def search_tree(repo_path: Path, sha: str, query: str, max_hits: int = 20) -> list[str]:
    """``path:line:text`` hits of a fixed-string search over the tree at ``sha`` (``git grep``)."""
    from ops.github.git_cli import run_git

    excludes = [f":(exclude){p}" for p in SEARCH_EXCLUDES]
    raw = run_git(repo_path, ["grep", "-n", "-I", "-F", "--no-color", "-e", query, sha, "--", ".", *excludes],
                  check=False)
    hits = []
    prefix = f"{sha}:"
    for line in raw.decode("utf-8", "replace").splitlines()[:max_hits]:
        hits.append(line[len(prefix):] if line.startswith(prefix) else line)
    return hits


def tree_files(repo_path: Path, sha: str) -> list[str]:
    """All file paths in the tree at ``sha`` (``git ls-tree``)."""
    from ops.github.git_cli import run_git

    raw = run_git(repo_path, ["ls-tree", "-r", "--name-only", "-z", sha], check=False)
    return [p.decode("utf-8", "replace") for p in raw.split(b"\0") if p]
