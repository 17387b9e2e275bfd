"""Trajectory replay against the demo repository's real history: observations come from git,
edits follow commit order, reviews become self-correction steps, bad PRs are refused with reasons."""
import dataclasses
import json

import pytest

from ops.github.git_cli import run_git
from ops.llm import make_backend
from ops.trajectories.replay import ReplayError, ReplayLimits, build_skeleton, render_trajectory, thought_requests
from ops.trajectories.task_synthesis import TaskStatement
from ops.trajectories.tool_schema import validate_messages


def _task(task_id, keys):
    return TaskStatement(task_id, "chain" if "chain" in task_id else "pr", "acme/widgets", keys, "Do it.",
                         "template", 0.0, "")


def _render(sk):
    thoughts = [c[0].text for c in make_backend().generate(thought_requests(sk, 1, 0.0))]
    return render_trajectory(sk, thoughts, "template")


def test_chain_replay_is_real_and_ordered(demo):
    chain = demo.chain("2-4-12")
    sk = build_skeleton(_task(chain.key, ["acme/widgets#2", "acme/widgets#4", "acme/widgets#12"]),
                        [demo.contexts[n] for n in chain.pr_numbers], demo.path, demo.commits, chain)
    traj = _render(sk)
    assert validate_messages(traj.messages) == []
    calls = [(m["tool_calls"][0]["function"]["name"], json.loads(m["tool_calls"][0]["function"]["arguments"]))
             for m in traj.messages if m.get("tool_calls")]
    edits = [a for n, a in calls if n == "edit_file"]
    # PR #2 has two commits (2 files each), #4 one commit (2 files), #12 one file: 7 edits in commit order
    assert [e["path"] for e in edits] == ["tests/test_text.py", "widgets/text.py"] * 3 + ["widgets/text.py"]
    assert "+import unicodedata" in edits[3]["patch"]  # the review-answering commit comes second
    assert "+def slugify(text, separator=" in edits[6]["patch"]
    # open_file returns the file exactly as git has it at the PR's base commit (the state #4 left for #12)
    opens = [(i, m) for i, m in enumerate(traj.messages) if m.get("tool_calls")
             and m["tool_calls"][0]["function"]["name"] == "open_file"]
    last_open_i, _ = opens[-1]
    base12 = demo.contexts[12].pr.base_sha
    assert traj.messages[last_open_i + 1]["content"] == run_git(demo.path, ["show", f"{base12}:widgets/text.py"]).decode()
    # reviews: #2's own review answered by its second commit; #4's review answered by #12
    assert traj.stats["self_corrections"] == 2
    reviews = [m["content"] for m in traj.messages if m["role"] == "user" and m["content"].startswith("Review by")]
    assert len(reviews) == 2 and "@bob on #2" in reviews[0] and "@alice on #4" in reviews[1]
    # observation kinds: search/open real, edits replayed, run_tests + submit synthetic and labelled
    kinds = traj.observation_kinds
    assert sum(v == "replayed" for v in kinds.values()) == 7
    assert sum(v == "synthetic" for v in kinds.values()) == 4  # 3 run_tests + submit
    tests_obs = [m["content"] for m in traj.messages if m.get("name") == "run_tests"]
    assert all(o.startswith("[synthetic observation") for o in tests_obs)
    assert traj.stats == {"files": 2, "hunks": 7, "lines": 29, "commits": 4, "chain_length": 3, "self_corrections": 2,
                          "fail_to_pass": 0, "verified": False}


def test_search_runs_over_the_tree_at_base(demo):
    ctx = demo.contexts[4]
    sk = build_skeleton(_task("acme/widgets#4", ["acme/widgets#4"]), [ctx], demo.path, demo.commits)
    search = sk.steps[0]
    assert search.tool == "search" and search.arguments == {"query": "slugify"}
    expected = run_git(demo.path, ["grep", "-n", "-F", "slugify", ctx.pr.base_sha, "--", ".",
                                   ":(exclude).github-issues.json", ":(exclude).github-reviews.json"]).decode()
    assert search.observation.splitlines() == [ln.split(":", 1)[1] for ln in expected.splitlines()]


def test_bad_prs_are_refused_with_reasons(demo):
    ctx5 = demo.contexts[5]  # README edit + binary logo: replayable, binary noted
    sk = build_skeleton(_task("acme/widgets#5", ["acme/widgets#5"]), [ctx5], demo.path, demo.commits)
    assert any("binary docs/logo.png not replayed" in n for n in sk.notes)

    binary_only = dataclasses.replace(ctx5, files=[f for f in ctx5.files if f.is_binary])
    with pytest.raises(ReplayError, match="binary-only PR"):
        build_skeleton(_task("x#5", ["x#5"]), [binary_only], demo.path, demo.commits)
    with pytest.raises(ReplayError, match="empty diff"):
        build_skeleton(_task("x#5", ["x#5"]), [dataclasses.replace(ctx5, files=[])], demo.path, demo.commits)
    with pytest.raises(ReplayError, match="exceeds max_pr_lines=10"):
        build_skeleton(_task("x#2", ["x#2"]), [demo.contexts[2]], demo.path, demo.commits,
                       limits=ReplayLimits(max_pr_lines=10))


def test_long_patches_are_split_and_missing_commits_fall_back(demo):
    ctx = demo.contexts[14]
    sk = build_skeleton(_task("acme/widgets#14", ["acme/widgets#14"]), [ctx], demo.path, demo.commits,
                        limits=ReplayLimits(max_edit_lines=1))
    edits = [s for s in sk.steps if s.tool == "edit_file"]
    assert len(edits) == sk.stats["hunks"]  # one hunk per edit when the limit is tiny
    gone = dataclasses.replace(ctx, pr=dataclasses.replace(ctx.pr, commits=["0" * 40]))
    sk = build_skeleton(_task("acme/widgets#14", ["acme/widgets#14"]), [gone], demo.path, demo.commits)
    assert any("commits unavailable" in n for n in sk.notes)
    assert {s.arguments["path"] for s in sk.steps if s.tool == "edit_file"} == {"tests/test_units.py", "widgets/units.py"}


def test_non_utf8_file_contents_are_replaced_not_fatal(tmp_path):
    from ops.github.git_cli import run_git
    from ops.github.local_clone import scan_local_clone
    from ops.trajectories.pr_context import pr_contexts

    repo = tmp_path / "r"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A",
           "GIT_COMMITTER_EMAIL": "a@x", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+0000",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+0000"}
    run_git(repo, ["init", "-q", "-b", "main"])
    (repo / "names.txt").write_bytes(b"caf\xe9\n")  # latin-1, not UTF-8
    run_git(repo, ["add", "names.txt"])
    run_git(repo, ["commit", "-q", "-m", "init"], env=env)
    (repo / "names.txt").write_bytes(b"caf\xe9\nna\xefve\n")
    run_git(repo, ["commit", "-q", "-am", "Add a name (#1)"], env=env)
    snap = scan_local_clone(repo, "o/latin")
    ctx = pr_contexts(snap)[1]
    task = TaskStatement("o/latin#1", "pr", "o/latin", ["o/latin#1"], "Add a name.", "template", 0.0, "")
    traj = _render(build_skeleton(task, [ctx], repo, {c.sha: c for c in snap.commits}))
    opened = next(m["content"] for m in traj.messages if m.get("name") == "open_file")
    assert opened == "caf\ufffd\n"
    edit = next(json.loads(m["tool_calls"][0]["function"]["arguments"]) for m in traj.messages
                if m.get("tool_calls") and m["tool_calls"][0]["function"]["name"] == "edit_file")
    assert "+na\ufffdve" in edit["patch"]
    json.dumps(traj.messages, ensure_ascii=False).encode("utf-8")  # serialisable as UTF-8
