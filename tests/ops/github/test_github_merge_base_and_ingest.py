"""Issue #14 on histories built with real git: merge-style PR diffs start at the merge base (also
when the PR branch merged its base in), fork-internal merges are excluded, out-of-range PR
numbers are quarantined while the valid PRs stay, merge titles and author provenance, a rescan
drops PRs no longer reachable from HEAD, and ``github ingest`` checks its path before it
registers anything."""
import itertools
import subprocess

import pytest

from ops.github.local_clone import scan_local_clone

_clock = itertools.count(1_700_000_000, 3600)


def _git(path, *args, email="a@x"):
    when = f"{next(_clock)} +0000"
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True,
        env={"GIT_AUTHOR_NAME": "Ann Dev", "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": "Ann Dev",
             "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
             "PATH": "/usr/bin:/bin"}).stdout.strip()


def _commit(path, message, files: dict, email="a@x"):
    for name, text in files.items():
        (path / name).write_text(text)
        _git(path, "add", name)
    _git(path, "commit", "-q", "-m", message, email=email)
    return _git(path, "rev-parse", "HEAD")


def _init(path):
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    return _commit(path, "Initial", {"a.py": "a = 1\nb = 2\n", "b.py": "x = 1\ny = 2\n"})


def _merge_pr(path, number, branch, message_body=""):
    msg = f"Merge pull request #{number} from dev/{branch}"
    if message_body:
        msg += f"\n\n{message_body}"
    _git(path, "merge", "-q", "--no-ff", branch, "-m", msg)
    return _git(path, "rev-parse", "HEAD")


@pytest.fixture
def merged_base_repo(tmp_path):
    """#2's branch forks at the initial commit, merges main (which gained #1's b.py change) in,
    then edits a.py: GitHub shows #2 as one file, a.py."""
    path = tmp_path / "mb"
    _init(path)
    _git(path, "checkout", "-q", "-b", "feature")
    _commit(path, "Rename a", {"a.py": "a = 10\nb = 2\n"})
    _git(path, "checkout", "-q", "main")
    c1 = _commit(path, "Touch b (#1)", {"b.py": "x = 1\ny = 20\n"})
    _git(path, "checkout", "-q", "feature")
    _git(path, "merge", "-q", "--no-ff", "main", "-m", "Merge branch 'main' into feature")
    _commit(path, "More a", {"a.py": "a = 10\nb = 3\n"}, email="123+anndev@users.noreply.github.com")
    _git(path, "checkout", "-q", "main")
    _merge_pr(path, 2, "feature")
    return path, c1


def test_merge_pr_diff_starts_at_merge_base_after_base_was_merged_in(merged_base_repo):
    path, c1 = merged_base_repo
    snap = scan_local_clone(path, "o/mb")
    pr2 = snap.pr(2)
    assert pr2.merge_base_sha == c1
    assert [f.path for f in snap.files_of(2)] == ["a.py"]  # not b.py: that came from #1 via main
    expected = _git(path, "diff", "--name-only", _git(path, "merge-base", "HEAD^1", "HEAD^2"), "HEAD^2")
    assert [f.path for f in snap.files_of(2)] == expected.split("\n")
    # no body, several commits: the branch name, labelled; author provenance
    assert (pr2.title, pr2.title_source) == ("Feature", "branch_name")
    assert (pr2.author, pr2.author_kind, pr2.author_login) == ("Ann Dev", "git_name", "")
    assert snap.pr(1).title_source == "commit_subject"


def test_merge_title_from_body_or_the_only_commit(tmp_path):
    path = tmp_path / "t"
    _init(path)
    for number, body in [(1, "Make a bigger\n\nLonger text."), (2, "")]:
        _git(path, "checkout", "-q", "-b", f"b{number}")
        _commit(path, f"Only commit {number}", {"a.py": f"a = {number + 10}\nb = 2\n"},
                email="99+someone@users.noreply.github.com")
        _git(path, "checkout", "-q", "main")
        _merge_pr(path, number, f"b{number}", body)
    snap = scan_local_clone(path, "o/t")
    assert (snap.pr(1).title, snap.pr(1).body, snap.pr(1).title_source) == (
        "Make a bigger", "Longer text.", "merge_body")
    assert (snap.pr(2).title, snap.pr(2).title_source) == ("Only commit 2", "commit_subject")
    assert snap.pr(2).author_login == "someone"


def test_huge_pr_number_is_quarantined_and_valid_prs_stay(tmp_path, warehouse):
    from ops.github.repo_list import RepoSpec
    from ops.github.sync import sync_repository
    from warehouse.readers import read_sql
    from warehouse.writer import Lineage

    path = tmp_path / "big"
    _init(path)
    _commit(path, "Fix a (#3)", {"a.py": "a = 3\nb = 2\n"})
    _commit(path, "Weird (#99999999999)\n\nFixes #88888888888", {"b.py": "x = 9\ny = 2\n"})
    _commit(path, "Fix b (#4)\n\nCloses #77777777777, fixes #5", {"b.py": "x = 4\ny = 2\n"})
    snap = scan_local_clone(path, "o/big")
    assert [p.number for p in snap.pull_requests] == [3, 4]
    assert snap.pr(4).linked_issues == [5]
    assert any("#99999999999 out of range" in p.reason for p in snap.problems)
    result = sync_repository(RepoSpec("o/big", "local", path=str(path)), warehouse,
                             Lineage.adhoc("github_repo_data", "o/big"), log=lambda m: None)
    assert result.prs_written == 2
    assert read_sql("SELECT number FROM github_pull_requests ORDER BY number")["number"].to_list() == [3, 4]
    reasons = read_sql("SELECT reason FROM quarantine")["reason"].to_list()
    assert any("out of range" in r for r in reasons)


def test_fork_internal_merges_are_excluded(tmp_path):
    path = tmp_path / "fork"
    _init(path)
    for n in range(100, 160):  # the repository's own numbering is in the hundreds
        _commit(path, f"Change {n} (#{n})", {"b.py": f"x = {n}\ny = 2\n"})
    # a contributor's branch, inside their fork: a fork PR #1 merged there, plus a fork sync
    _git(path, "checkout", "-q", "-b", "contrib")
    _git(path, "checkout", "-q", "-b", "inner")
    _commit(path, "Inner work", {"a.py": "a = 7\nb = 2\n"})
    _git(path, "checkout", "-q", "contrib")
    _merge_pr(path, 1, "inner", "Inner work")
    _git(path, "checkout", "-q", "main")
    _commit(path, "Change 160 (#160)", {"b.py": "x = 160\ny = 3\n"})
    _git(path, "checkout", "-q", "contrib")
    _git(path, "merge", "-q", "--no-ff", "main", "-m", "Merge pull request #2 from dev/main\n\nSyncing fork")
    _git(path, "checkout", "-q", "main")
    _merge_pr(path, 161, "contrib", "Contribution")
    snap = scan_local_clone(path, "o/fork")
    numbers = {p.number for p in snap.pull_requests}
    assert 161 in numbers and 1 not in numbers and 2 not in numbers
    excluded = [p for p in snap.problems if p.reason.startswith("fork-internal merge excluded")]
    assert len(excluded) == 2
    assert any("syncs a fork" in p.reason or "mainline into a side branch" in p.reason for p in excluded)
    assert any("far below" in p.reason for p in excluded)


def test_rescan_drops_prs_no_longer_reachable(tmp_path, warehouse):
    from ops.github.repo_list import RepoSpec
    from ops.github.sync import sync_repository
    from warehouse.readers import read_sql
    from warehouse.writer import Lineage

    path = tmp_path / "moved"
    _init(path)
    _commit(path, "One (#1)", {"a.py": "a = 2\nb = 2\n"})
    _commit(path, "Two (#2)", {"a.py": "a = 3\nb = 2\n"})
    spec = RepoSpec("o/moved", "local", path=str(path))
    lineage = Lineage.adhoc("github_repo_data", "o/moved")
    sync_repository(spec, warehouse, lineage, log=lambda m: None)
    assert read_sql("SELECT count(*) AS n FROM github_pr_blame_links")["n"][0] == 1  # 1 -> 2 on a.py:1
    _git(path, "reset", "-q", "--hard", "HEAD~1")
    result = sync_repository(spec, warehouse, lineage, log=lambda m: None)
    assert result.rows["dropped/github_pull_requests"] == 1
    assert read_sql("SELECT number FROM github_pull_requests")["number"].to_list() == [1]
    assert read_sql("SELECT DISTINCT number FROM github_pr_files")["number"].to_list() == [1]
    assert read_sql("SELECT count(*) AS n FROM github_pr_blame_links")["n"][0] == 0
    heads = read_sql("SELECT count(*) AS n FROM github_commits")["n"][0]
    assert heads == 2  # the initial commit and #1


@pytest.mark.parametrize("kind", ["missing", "not_git", "inside_repo"])
def test_cli_ingest_bad_path_is_one_line_and_not_registered(kind, tmp_path, capsys):
    from ops.github.repo_list import repo_list_path
    from pipelines.cli import main

    if kind == "missing":
        target = tmp_path / "nope"
    elif kind == "not_git":
        target = tmp_path / "plain"
        target.mkdir()
    else:
        _init(tmp_path / "repo")
        target = tmp_path / "repo" / "sub"
        target.mkdir()
    assert main(["github", "ingest", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert not repo_list_path().exists()
