"""An independent check of blame edges and merge-PR diffs, on its own code path: plain
``git merge-base`` / ``git diff -U0`` / ``git rev-list`` / ``git blame --porcelain`` run with
``subprocess`` and parsed here, sharing nothing with ``ops.github`` but the PR numbers and shas."""
from __future__ import annotations

import re
import subprocess

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def git(repo, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          errors="replace")
    if check and proc.returncode:
        raise RuntimeError(proc.stderr)
    return proc.stdout


def parents(repo, sha: str) -> list[str]:
    return git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]


def pr_base(repo, merge_sha: str) -> str:
    ps = parents(repo, merge_sha)
    if len(ps) >= 2:
        return git(repo, "merge-base", ps[0], ps[1]).split()[0]
    return ps[0]


def pr_head(repo, merge_sha: str) -> str:
    ps = parents(repo, merge_sha)
    return ps[1] if len(ps) >= 2 else merge_sha


def merge_pr_file_count(repo, merge_sha: str) -> int:
    """``git diff --name-only $(git merge-base P1 P2) P2 | wc -l``."""
    p1, p2 = parents(repo, merge_sha)[:2]
    base = git(repo, "merge-base", p1, p2).split()[0]
    return len([x for x in git(repo, "diff", "--name-only", base, p2).split("\n") if x])


def pr_commits(repo, merge_sha: str) -> set[str]:
    ps = parents(repo, merge_sha)
    if len(ps) >= 2:
        return {merge_sha, *git(repo, "rev-list", f"{ps[0]}..{ps[1]}").split()}
    return {merge_sha}


def changed_old_lines(repo, base: str, head: str) -> dict[str, list[tuple[int, int]]]:
    """{old path: [(start, count)]} of the old-side lines the diff base..head removes."""
    out: dict[str, list[tuple[int, int]]] = {}
    path = None
    for line in git(repo, "diff", "-U0", "-M", "--no-color", base, head).split("\n"):
        if line.startswith("--- "):
            path = line[6:] if line.startswith("--- a/") else None
        m = _HUNK.match(line)
        if m and path:
            count = 1 if m.group(2) is None else int(m.group(2))
            if count:
                out.setdefault(path, []).append((int(m.group(1)), count))
    return out


def blamed_commits(repo, rev: str, path: str, spans: list[tuple[int, int]]) -> set[str]:
    args = []
    for start, count in spans:
        args += ["-L", f"{start},+{count}"]
    out = git(repo, "blame", "--porcelain", *args, rev, "--", path, check=False)
    shas = set()
    for line in out.split("\n"):
        head = line.split(" ")
        if len(head) >= 3 and re.fullmatch(r"[0-9a-f]{40}", head[0]):
            shas.add(head[0])
    return shas


def confirm_edge(repo, earlier_merge: str, later_merge: str, paths: list[str]) -> tuple[bool, bool]:
    """(blame confirms: some line the later PR removes in one of ``paths`` is blamed, at the later
    PR's base, to a commit of the earlier PR; the earlier PR's merge commit is an ancestor of that
    base)."""
    base, head = pr_base(repo, later_merge), pr_head(repo, later_merge)
    ancestor = subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", earlier_merge, base]
                              ).returncode == 0
    spans = changed_old_lines(repo, base, head)
    commits = pr_commits(repo, earlier_merge)
    confirmed = any(blamed_commits(repo, base, p, spans[p]) & commits for p in paths if p in spans)
    return confirmed, ancestor
