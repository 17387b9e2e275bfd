"""PR chains on the demo repository: every edge and chain below was worked out by hand from
``ops/github/demo_repo.py``'s history."""
import datetime as dt

from ops.github.chains import build_pr_chains, build_pr_graph, chain_statistics, changed_lines
from ops.github.records import PRFile, PullRequest, RepoSnapshot, Repository


def test_demo_graph_edges_and_reasons(demo_snapshot):
    graph = {k: sorted(v) for k, v in build_pr_graph(demo_snapshot).items()}
    assert graph == {
        (2, 4): ["file_succession(tests/test_text.py)", "file_succession(widgets/text.py)"],
        (2, 5): ["follow_up"],
        # #12 rewrites line 5 of text.py, where review comment 7002 on #4 asked for the rename
        (4, 12): ["file_succession(widgets/text.py)", "review_revision(widgets/text.py)"],
        (6, 7): ["file_succession(widgets/units.py)"],
        (6, 11): ["depends_on", "file_succession(widgets/units.py)"],
        (6, 14): ["file_succession(tests/test_units.py)"],
        (7, 8): ["file_succession(widgets/units.py)", "reverts"],
        (8, 14): ["file_succession(widgets/units.py)"],
    }


def test_demo_chains(demo_snapshot):
    chains = build_pr_chains(demo_snapshot)
    assert [c.pr_numbers for c in chains] == [[6, 7, 8, 14], [2, 4, 12], [2, 5], [6, 11], [6, 14]]
    first = chains[0]
    assert first.chain_id == "6-7-8-14" and first.key == "acme/widgets/chain/6-7-8-14"
    assert first.edges[1] == (7, 8, "file_succession(widgets/units.py); reverts")
    assert first.files_touched == ["tests/test_units.py", "widgets/units.py"]
    pr6, pr14 = demo_snapshot.pr(6), demo_snapshot.pr(14)
    assert first.span_days == round((pr14.merged_at - pr6.created_at).total_seconds() / 86400, 4)
    stats = chain_statistics(chains, len(demo_snapshot.pull_requests))
    assert stats["chains"] == 5 and stats["max_length"] == 4 and stats["prs_in_chains"] == 9
    assert stats["mean_length"] == (4 + 3 + 2 + 2 + 2) / 5 and stats["median_length"] == 2
    assert stats["chains_len_2"] == 3 and stats["edges_reverts"] == 1


def test_changed_lines():
    patch = "@@ -3,4 +3,5 @@ ctx\n a\n-b\n+B\n+C\n c\n d\n@@ -20,1 +21,2 @@\n x\n+y\n"
    added, touched = changed_lines(patch)
    assert added == {4, 5, 22}
    assert touched == {4, 20, 21}


def _pr(n, day, body="", issues=()):
    t = dt.datetime(2024, 1, day)
    return PullRequest(repo="o/r", number=n, title=f"pr {n}", body=body, created_at=t, merged_at=t,
                       linked_issues=list(issues))


def test_same_issue_window_and_no_self_edges():
    patch_a = "@@ -0,0 +1,3 @@\n+a\n+b\n+c\n"
    patch_b = "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    snap = RepoSnapshot(
        repository=Repository(repo="o/r"),
        pull_requests=[_pr(1, 1, issues=[9]), _pr(2, 2, "see #2", issues=[9]), _pr(3, 25)],
        files=[PRFile("o/r", 1, "f.py", "added", 3, 0, patch_a),
               PRFile("o/r", 3, "f.py", "modified", 1, 1, patch_b)])
    assert dict(build_pr_graph(snap, window_days=30)) == {
        (1, 2): {"same_issue(#9)"}, (1, 3): {"file_succession(f.py)"}}
    # outside the window, file succession is dropped
    assert (1, 3) not in build_pr_graph(snap, window_days=10)


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
    assert graph == {(1, 3): {"file_succession(f.py)", "review_revision(f.py)"}}
    snap.review_comments[0].line = 2  # nobody rewrote line 2 of f.py
    assert dict(build_pr_graph(snap)) == {(1, 3): {"file_succession(f.py)"}}
