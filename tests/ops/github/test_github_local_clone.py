"""Local-clone source on repositories built with real git: the demo repository (hand-checked
expectations) and generated histories (complete recall of both merge styles)."""
import subprocess

import pytest

from ops.github.git_cli import GitError, run_git
from ops.github.local_clone import closing_references, scan_local_clone
from ops.github.synthetic_repo import generate_repo


def test_demo_repo_prs_both_merge_styles(demo_snapshot):
    styles = {p.number: p.merge_style for p in demo_snapshot.pull_requests}
    assert styles == {2: "merge_commit", 4: "squash", 5: "merge_commit", 6: "squash",
                      7: "merge_commit", 8: "squash", 9: "merge_commit", 10: "squash",
                      11: "squash", 12: "squash", 14: "merge_commit"}
    pr2 = demo_snapshot.pr(2)
    assert pr2.title == "Add slugify helper" and pr2.author == "Alice Doe"
    assert len(pr2.commits) == 2 and pr2.key == "acme/widgets#2"
    assert pr2.linked_issues == [1]
    pr4 = demo_snapshot.pr(4)
    assert pr4.title == "Fix slugify on empty input" and pr4.linked_issues == [3]
    assert pr4.commits == [pr4.merge_commit_sha] and "Fixes #3" in pr4.body
    assert demo_snapshot.pr(14).linked_issues == [13] and len(demo_snapshot.pr(14).commits) == 2
    assert demo_snapshot.pr(8).title == 'Revert "Speed up parse_size"'


def test_release_branch_pr_and_cherry_pick(demo_snapshot, demo_repo_path):
    # #9 only reached main through "Merge branch 'release/1.0'" (second parent of that merge)
    first_parent = run_git(demo_repo_path, ["rev-list", "--first-parent", "HEAD"]).decode().split()
    pr9 = demo_snapshot.pr(9)
    assert pr9.merge_commit_sha not in first_parent
    pr10 = demo_snapshot.pr(10)
    assert len(pr10.duplicate_shas) == 1  # the cherry-pick on main
    dup = pr10.duplicate_shas[0]
    msg = run_git(demo_repo_path, ["log", "-1", "--format=%B", dup]).decode()
    assert f"cherry picked from commit {pr10.merge_commit_sha}" in msg
    owners = {c.sha: c.pr_number for c in demo_snapshot.commits}
    assert owners[dup] == 10 and owners[pr10.merge_commit_sha] == 10
    assert sum(1 for p in demo_snapshot.pull_requests if p.number == 10) == 1


def test_files_and_binary(demo_snapshot):
    files = {(f.number, f.path): f for f in demo_snapshot.files}
    logo = files[(5, "docs/logo.png")]
    assert logo.is_binary and logo.patch is None and logo.status == "added"
    text = files[(2, "widgets/text.py")]
    # #2's diff is fork point -> branch tip: the file as of the second commit (8 lines, added)
    assert (text.status, text.additions, text.deletions) == ("added", 8, 0)
    assert text.patch.startswith("@@ -0,0 +1,8 @@")
    units7 = files[(7, "widgets/units.py")]
    assert (units7.additions, units7.deletions) == (3, 3)
    assert set(p for n, p in files if n == 14) == {"widgets/units.py", "tests/test_units.py"}


def test_issues_and_reviews_from_sidecars(demo_snapshot):
    issues = {i.number: i for i in demo_snapshot.issues}
    assert sorted(issues) == [1, 3, 13]
    assert issues[3].title == "slugify crashes on empty string"
    assert [r.id for r in demo_snapshot.reviews if r.number == 2] == [9001, 9002]
    comment = next(c for c in demo_snapshot.review_comments if c.id == 7001)
    assert (comment.path, comment.line) == ("widgets/text.py", 6)
    assert demo_snapshot.problems == []


def test_generated_history_recall_is_complete(tmp_path):
    repo = generate_repo(tmp_path / "gen", n_prs=120, seed=3, release_every=20)
    snap = scan_local_clone(repo.path, "dev/gen")
    found = {p.number: p for p in snap.pull_requests}
    assert sorted(found) == repo.pr_numbers
    assert {n: p.merge_style for n, p in found.items()} == repo.merge_style
    assert repo.duplicated and all(len(found[n].duplicate_shas) == 1 for n in repo.duplicated)
    for p in found.values():
        if p.merge_style == "merge_commit":
            assert len(p.commits) in (1, 2)  # the branch's own commits, not mainline history


def test_closing_references():
    assert closing_references("Fixes #3, closes #12 and resolved: #3; see #4") == [3, 12]
    assert closing_references("prefix#5 fixes#6") == []


def _git(path, *args):
    subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
                        "GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin"})


def test_no_prs_and_non_utf8_become_problems(tmp_path):
    path = tmp_path / "plain"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_bytes(b"caf\xe9\n")
    _git(path, "add", "a.txt")
    # a raw Latin-1 byte in the message, stored as is (`git commit` would re-encode it)
    tree = run_git(path, ["write-tree"]).decode().strip()
    raw = (f"tree {tree}\nauthor a <a@x> 1700000000 +0000\ncommitter a <a@x> 1700000000 +0000\n\n"
           .encode() + b"Add caf\xe9\n")
    sha = run_git(path, ["hash-object", "-t", "commit", "-w", "--stdin"], stdin=raw).decode().strip()
    run_git(path, ["update-ref", "refs/heads/main", sha])
    (path / "a.txt").write_bytes(b"caf\xe9 au lait\n")
    _git(path, "commit", "-q", "-am", "Tweak (#1)")
    snap = scan_local_clone(path, "o/plain")
    assert [p.number for p in snap.pull_requests] == [1]
    reasons = [p.reason for p in snap.problems]
    assert any(r.startswith("non-UTF-8 patch") for r in reasons), reasons
    assert any(r.startswith("non-UTF-8 commit message") for r in reasons), reasons
    assert "\ufffd" in snap.files[0].patch  # kept, with replacement characters
    assert snap.commits[-1].message == "Add caf\ufffd"


def test_empty_history_and_not_a_repo(tmp_path):
    with pytest.raises(GitError):
        scan_local_clone(tmp_path, "o/none")  # not a git repository
    path = tmp_path / "one"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_text("x\n")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-q", "-m", "no pr here")
    snap = scan_local_clone(path, "o/one")
    assert snap.pull_requests == [] and "no pull requests" in snap.problems[0].reason


def test_repository_configured_programs_never_run(tmp_path):
    """A clone whose config asks git to run programs (external diff, textconv, fsmonitor, pager)
    is scanned without running any of them."""
    path = tmp_path / "hostile"
    path.mkdir()
    marker = tmp_path / "executed"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\ncat \"$@\" 2>/dev/null\n")
    evil.chmod(0o755)
    _git(path, "init", "-q", "-b", "main")
    (path / ".gitattributes").write_text("* diff=evil\n")
    (path / "a.py").write_text("x = 1\n")
    _git(path, "add", ".")
    _git(path, "commit", "-q", "-m", "Add a (#1)")
    (path / "a.py").write_text("x = 2\n")
    _git(path, "commit", "-q", "-am", "Change a (#2)")
    # configured after committing: our own git calls above would otherwise run them
    for key, value in [("diff.external", str(evil)), ("diff.evil.textconv", str(evil)),
                       ("core.fsmonitor", str(evil)), ("core.pager", str(evil))]:
        _git(path, "config", key, value)
    _git(path, "status", "--short")  # sanity: git itself does run the hostile fsmonitor...
    assert marker.exists()
    marker.unlink()
    snap = scan_local_clone(path, "o/hostile")
    assert [p.number for p in snap.pull_requests] == [1, 2]
    pr2 = [f for f in snap.files if f.number == 2 and f.path == "a.py"][0]
    assert pr2.patch == "@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    assert not marker.exists(), "a repository-configured program was executed"
