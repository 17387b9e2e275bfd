"""Blame evidence for PR-chain edges: PR A → PR B when lines that B changes were last written by A.

For every PR B and every file it modifies (old side), the lines B deletes or rewrites are blamed
with ``git blame --porcelain <B's merge base> -L ... -- <old path>``; a blamed commit that belongs
to PR A (its merge/squash commit or one of its own commits) gives a ``BlameLink`` when A's merge
commit is an ancestor of B's merge base. Pure insertions change no existing line and give none.

No evidence comes from housekeeping files (changelogs, AUTHORS, lock and requirements files, CI
configuration, documentation, generated gettext templates) nor from trivial lines (blank, brackets
only, version strings, regenerated gettext comments and headers):
shared edits there say nothing about one PR building on another.
"""
from __future__ import annotations

import os
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

from ops.github.git_cli import GitError, run_git
from ops.github.records import BlameLink, PRFile, Problem, PullRequest

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_HOUSEKEEPING_NAME = re.compile(
    r"^(change(s|log|\.?log)?|history|news|release[-_ ]?notes?|releases|authors|contributors|"
    r"maintainers|credits|thanks|codeowners|copying|licen[cs]e|notice|readme|"
    r"(dev-|test-|doc-|docs-)?requirements([-_.][\w.-]*)?|constraints([-_.][\w.-]*)?|"
    r"pipfile|pipfile\.lock|poetry\.lock|pdm\.lock|uv\.lock|package-lock\.json|yarn\.lock|"
    r"pnpm-lock\.yaml|cargo\.lock|gemfile\.lock|go\.sum|composer\.lock|"
    r"\.travis\.yml|appveyor\.yml|\.appveyor\.yml|azure-pipelines\.yml|\.gitlab-ci\.yml|"
    r"\.pre-commit-config\.yaml|\.pre-commit-hooks\.yaml|tox\.ini|noxfile\.py|\.coveragerc|"
    r"codecov\.ya?ml|\.codecov\.ya?ml|\.readthedocs\.ya?ml|readthedocs\.ya?ml|renovate\.json5?|"
    r"\.mailmap|\.gitignore|\.gitattributes|\.editorconfig|\.flake8|mkdocs\.ya?ml|"
    r"makefile|manifest\.in|\.bumpversion\.cfg|\.zenodo\.json|citation\.cff)$", re.I)
_HOUSEKEEPING_DIR = re.compile(
    r"(^|/)(\.github|\.circleci|\.azure-pipelines|\.buildkite|\.ci|ci|docs?|documentation|"
    r"changelog\.d|changes|newsfragments|requirements)/", re.I)
_DOC_EXT = {".rst", ".md", ".txt", ".adoc", ".markdown"}
# Lines that carry no authorship signal: blank, only brackets/punctuation, version strings.
_TRIVIAL_LINE = re.compile(r"^[\s()\[\]{},;:.'\"\\]*$")
_VERSION_LINE = re.compile(r"""^\s*(__version__|version|VERSION|release)\s*[:=]\s*['"]?v?\d""")


def is_housekeeping_path(path: str) -> bool:
    """Changelogs, AUTHORS, lock/requirements files, CI configuration, documentation."""
    name = posixpath.basename(path)
    stem, ext = posixpath.splitext(name)
    if _HOUSEKEEPING_DIR.search(path) or _HOUSEKEEPING_NAME.match(name) or _HOUSEKEEPING_NAME.match(stem):
        return True
    if ext.lower() == ".pot":  # generated gettext template
        return True
    return ext.lower() in _DOC_EXT


_PO_GENERATED = re.compile(r'^(#|"[A-Za-z-]+: .*\\n"$)')


def is_trivial_line(text: str, path: str = "") -> bool:
    """Blank or bracket-only lines, version strings; in gettext catalogs also the lines the
    extraction tool regenerates (``#`` comments with source locations, header fields)."""
    if _TRIVIAL_LINE.match(text) or _VERSION_LINE.match(text):
        return True
    return path.endswith((".po", ".pot")) and bool(_PO_GENERATED.match(text))


def deleted_lines(patch: str) -> list[int]:
    """Old-side line numbers of the lines a unified-diff patch deletes or rewrites."""
    out: list[int] = []
    old = 0
    for line in (patch or "").split("\n"):
        m = _HUNK_RE.match(line)
        if m:
            old = int(m.group(1))
        elif line.startswith("-"):
            out.append(old)
            old += 1
        elif line.startswith(" ") or line == "":
            old += 1
    return out


def ranges(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted line numbers → maximal runs (first, last)."""
    out: list[tuple[int, int]] = []
    for n in sorted(set(lines)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def parse_porcelain(raw: bytes) -> dict[int, tuple[str, str]]:
    """``git blame --porcelain`` output → {final line number: (commit sha, line text)}."""
    out: dict[int, tuple[str, str]] = {}
    sha, final = "", 0
    for line in raw.split(b"\n"):
        if line.startswith(b"\t"):
            out[final] = (sha, line[1:].decode("utf-8", "replace"))
            continue
        parts = line.split(b" ")
        if len(parts) >= 3 and len(parts[0]) == 40 and parts[1].isdigit() and parts[2].isdigit():
            sha, final = parts[0].decode(), int(parts[2])
    return out


def blame_lines(path, rev: str, file_path: str, line_ranges: list[tuple[int, int]]
                ) -> dict[int, tuple[str, str]]:
    args = ["blame", "--porcelain", "--no-progress", "--no-textconv"]
    for a, b in line_ranges:
        args += ["-L", f"{a},{b}"]
    return parse_porcelain(run_git(path, [*args, rev, "--", file_path]))


def blame_links(path, repo: str, prs: list[PullRequest], files: list[PRFile],
                commit_pr: dict[str, int], is_ancestor: Callable[[str, str], bool],
                problems: list[Problem], workers: int | None = None) -> list[BlameLink]:
    """Blame evidence for every PR in ``prs`` (see module doc). ``commit_pr`` maps a commit to the
    PR owning it; ``is_ancestor(a, b)`` answers "is commit a an ancestor of (or equal to) b"."""
    by_number = {p.number: p for p in prs}
    jobs = []
    for f in files:
        pr = by_number.get(f.number)
        if (pr is None or not pr.merge_base_sha or f.is_binary or not f.patch
                or f.status not in ("modified", "renamed") or is_housekeeping_path(f.path)
                or is_housekeeping_path(f.previous_path or f.path)):
            continue
        lines = deleted_lines(f.patch)
        if lines:
            jobs.append((pr, f.previous_path or f.path, ranges(lines)))

    def run(job):
        pr, old_path, line_ranges = job
        try:
            return job, blame_lines(path, pr.merge_base_sha, old_path, line_ranges)
        except GitError as exc:
            return job, exc

    workers = workers or min(4, os.cpu_count() or 1)
    links: list[BlameLink] = []
    with ThreadPoolExecutor(workers) as pool:
        for (pr, old_path, _), result in pool.map(run, jobs):
            if isinstance(result, Exception):
                problems.append(Problem(f"{repo}#{pr.number}:{old_path}",
                                        f"git blame failed: no chain evidence from this file: {result}",
                                        {"base": pr.merge_base_sha}))
                continue
            per_pr: dict[tuple[int, str], list[int]] = {}
            for line_no, (sha, text) in result.items():
                owner = commit_pr.get(sha)
                if owner is None or owner == pr.number or owner not in by_number or is_trivial_line(text, old_path):
                    continue
                per_pr.setdefault((owner, sha), []).append(line_no)
            for (owner, sha), line_nos in sorted(per_pr.items()):
                earlier = by_number[owner]
                if not is_ancestor(earlier.merge_commit_sha, pr.merge_base_sha):
                    continue
                for a, b in ranges(line_nos):
                    links.append(BlameLink(repo=repo, number=pr.number, from_pr=owner, path=old_path,
                                           line_start=a, line_end=b, blamed_sha=sha,
                                           base_sha=pr.merge_base_sha))
    return links
