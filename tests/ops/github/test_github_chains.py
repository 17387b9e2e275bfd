"""PR chains on the demo repository: every edge and chain below was worked out by hand from
``ops/github/demo_repo.py``'s history."""
import datetime as dt

from ops.github.blame import deleted_lines, is_housekeeping_path, is_trivial_line, ranges
from ops.github.chains import build_pr_chains, build_pr_graph, chain_statistics
from ops.github.records import BlameLink, PRFile, PullRequest, RepoSnapshot, Repository


def test_demo_graph_edges_and_reasons(demo_snapshot):
    graph = {k: sorted(v) for k, v in build_pr_graph(demo_snapshot).items()}
    assert graph == {
        # #4 rewrites line 8 of text.py, written by #2 (pure insertions in the tests: no edge)
        (2, 4): ["blame(widgets/text.py)"],
        (2, 5): ["follow_up"],
        # #12 renames on line 5 (written by #2) and line 10 (written by #4), where review comment
        # 7002 on #4 asked for the rename
        (2, 12): ["blame(widgets/text.py)"],
        (4, 12): ["blame(widgets/text.py)", "review_revision(widgets/text.py)"],
        (6, 7): ["blame(widgets/units.py)"],
        (6, 11): ["depends_on"],  # #11 only inserts lines: no blame evidence
        (6, 14): ["blame(tests/test_units.py)"],
        (7, 8): ["blame(widgets/units.py)", "reverts"],
        (8, 14): ["blame(widgets/units.py)"],  # the revert's lines 7-9, rewritten by #14
    }
    by_pr = {(b.from_pr, b.number): b for b in demo_snapshot.blame_links}
    link = by_pr[(8, 14)]
    assert (link.path, link.line_start, link.line_end) == ("widgets/units.py", 8, 8)
    assert link.blamed_sha == demo_snapshot.pr(8).merge_commit_sha
    assert link.base_sha == demo_snapshot.pr(14).merge_base_sha


def test_demo_chains(demo_snapshot):
    chains = build_pr_chains(demo_snapshot)
    assert [c.pr_numbers for c in chains] == [[6, 7, 8, 14], [2, 4, 12], [2, 5], [2, 12], [6, 11], [6, 14]]
    first = chains[0]
    assert first.chain_id == "6-7-8-14" and first.key == "acme/widgets/chain/6-7-8-14"
    assert first.edges[1] == (7, 8, "blame(widgets/units.py); reverts")
    assert first.edge_evidence[1] == [{"path": "widgets/units.py", "line_start": 7, "line_end": 9,
                                       "blamed_sha": demo_snapshot.pr(7).commits[-1]}]
    assert chains[4].edge_evidence == [[]]  # 6 -> 11: depends_on only
    assert first.files_touched == ["tests/test_units.py", "widgets/units.py"]
    pr6, pr14 = demo_snapshot.pr(6), demo_snapshot.pr(14)
    assert first.span_days == round((pr14.merged_at - pr6.created_at).total_seconds() / 86400, 4)
    stats = chain_statistics(chains, len(demo_snapshot.pull_requests))
    assert stats["chains"] == 6 and stats["max_length"] == 4 and stats["prs_in_chains"] == 9
    assert stats["mean_length"] == (4 + 3 + 2 + 2 + 2 + 2) / 6 and stats["median_length"] == 2
    assert stats["chains_len_2"] == 4 and stats["edges_reverts"] == 1 and stats["edges_blame"] == 7


def test_deleted_lines_and_ranges():
    patch = "@@ -3,4 +3,5 @@ ctx\n a\n-b\n+B\n+C\n c\n d\n@@ -20,2 +21,2 @@\n x\n-y\n-z\n+y\n"
    assert deleted_lines(patch) == [4, 21, 22]
    assert ranges([22, 4, 21, 4]) == [(4, 4), (21, 22)]
    assert deleted_lines("@@ -0,0 +1,2 @@\n+a\n+b\n") == []  # pure insertion: nothing changed


def test_housekeeping_files_and_trivial_lines():
    for path in ["CHANGELOG.md", "docs/versions.rst", "AUTHORS", "requirements-dev.txt", "poetry.lock",
                 ".github/workflows/ci.yml", ".travis.yml", "tox.ini", "README.rst", "HISTORY",
                 "src/pkg/locale/messages.pot", "package-lock.json", ".pre-commit-config.yaml"]:
        assert is_housekeeping_path(path), path
    for path in ["more_itertools/more.py", "tests/test_more.py", "setup.py", "src/humanize/time.py",
                 "src/humanize/locale/de_DE/LC_MESSAGES/humanize.po", "pyproject.toml"]:
        assert not is_housekeeping_path(path), path
    assert is_trivial_line("") and is_trivial_line("    )") and is_trivial_line("__version__ = '8.1.0'")
    assert is_trivial_line("#: src/humanize/time.py:123", "x.po") and not is_trivial_line("#: x", "x.py")
    assert not is_trivial_line("    return int(text)")


def _pr(n, day, body="", issues=()):
    t = dt.datetime(2024, 1, day)
    return PullRequest(repo="o/r", number=n, title=f"pr {n}", body=body, created_at=t, merged_at=t,
                       linked_issues=list(issues))


def test_same_issue_window_and_no_self_edges():
    snap = RepoSnapshot(
        repository=Repository(repo="o/r"),
        pull_requests=[_pr(1, 1, issues=[9]), _pr(2, 2, "see #2", issues=[9]), _pr(3, 25)],
        blame_links=[BlameLink("o/r", 3, 1, "f.py", 2, 2, "a" * 40), BlameLink("o/r", 3, 3, "f.py", 1, 1, "b" * 40)])
    assert dict(build_pr_graph(snap, window_days=30)) == {
        (1, 2): {"same_issue(#9)"}, (1, 3): {"blame(f.py)"}}
    # outside the window, the blame edge is dropped; without a window it stays
    assert (1, 3) not in build_pr_graph(snap, window_days=10)
    assert (1, 3) in build_pr_graph(snap, window_days=None)


def test_blame_link_against_time_order_is_dropped():
    snap = RepoSnapshot(repository=Repository(repo="o/r"), pull_requests=[_pr(1, 1), _pr(2, 2)],
                        blame_links=[BlameLink("o/r", 1, 2, "f.py", 2, 2, "a" * 40)])
    assert dict(build_pr_graph(snap)) == {}


def test_review_comment_location_links_the_pr_that_rewrites_that_line():
    from ops.github.records import ReviewComment

    added = "@@ -0,0 +1,3 @@\n+a\n+b\n+c\n"
    rewrite_2 = "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    rewrite_3 = "@@ -1,3 +1,3 @@\n a\n b\n-c\n+C\n"
    snap = RepoSnapshot(
        repository=Repository(repo="o/r"),
        pull_requests=[_pr(1, 1), _pr(2, 3), _pr(3, 5)],
        files=[PRFile("o/r", 1, "f.py", "added", 3, 0, added),
               PRFile("o/r", 2, "g.py", "modified", 1, 1, rewrite_2),
               PRFile("o/r", 3, "f.py", "modified", 1, 1, rewrite_3)],
        review_comments=[ReviewComment("o/r", 1, 5, path="f.py", line=3, body="c is wrong")])
    graph = dict(build_pr_graph(snap))
    assert graph == {(1, 3): {"review_revision(f.py)"}}
    snap.review_comments[0].line = 2  # nobody rewrote line 2 of f.py
    assert dict(build_pr_graph(snap)) == {}
