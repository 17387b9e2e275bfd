"""Quality gates: rejection sampling with hand-computed scores, N candidates from a sampling
backend, difficulty tags, the SWE-Master filter."""
import json

import pytest

from ops.llm import Completion, make_backend
from ops.trajectories.build import GateConfig, build_trajectories, synthesize_tasks
from ops.trajectories.quality import difficulty_tags, rejection_sample, score_trajectory, swe_master_filter
from ops.trajectories.replay import build_skeleton, render_trajectory, thought_requests
from ops.trajectories.task_synthesis import TaskStatement


def _skeleton(demo, n=4):
    ctx = demo.contexts[n]
    task = TaskStatement(ctx.key, "pr", "acme/widgets", [ctx.key], "Fix it.", "template", 0.0, "")
    return build_skeleton(task, [ctx], demo.path, demo.commits)


def test_score_is_hand_computable(demo):
    sk = _skeleton(demo)  # PR #4: search, open x2, edit x2, run_tests, submit = 7 actions
    assert [s.tool for s in sk.steps] == ["search", "open_file", "open_file", "edit_file", "edit_file",
                                          "run_tests", "submit"]
    good = [c[0].text for c in make_backend().generate(thought_requests(sk, 1, 0.0))]
    t = render_trajectory(sk, good, "template")
    s = score_trajectory(t, task_leak=0.0)
    assert (s.format_ok, s.leak_ok, s.consistency, s.score) == (True, True, 1.0, 1.0)
    # 3 of 7 thoughts that do not name their target: consistency 4/7
    vague = good[:4] + ["Hmm."] * 3
    s = score_trajectory(render_trajectory(sk, vague, "x"), task_leak=0.0)
    assert s.consistency == pytest.approx(4 / 7) and s.score == pytest.approx(0.4 + 0.3 + 0.3 * 4 / 7)
    # a leaking task costs 0.3; a broken tool call costs 0.4
    assert score_trajectory(t, task_leak=0.5).score == pytest.approx(0.7)
    broken = render_trajectory(sk, good, "x")
    broken.messages[2]["tool_calls"][0]["function"]["arguments"] = "{not json"
    s = score_trajectory(broken, task_leak=0.0)
    assert not s.format_ok and s.score == pytest.approx(0.6) and "arguments are not JSON" in s.reasons[0]


class SamplingBackend:
    """Candidate k's thoughts name their target only for k == 2 (so only candidate 2 scores 1.0);
    candidate 0 is fully vague."""

    id = "sampler"
    deterministic = False

    def generate(self, requests):
        tmpl = make_backend()
        out = []
        for r in requests:
            good = tmpl.generate([r])[0][0].text
            out.append([Completion(good if k == 2 else ("Hmm." if k == 0 else good.split(" ")[0]), "sampler")
                        for k in range(r.n)])
        return out


def test_rejection_sampling_keeps_best_candidate_above_threshold(demo):
    cfg = GateConfig(n_candidates=3, score_threshold=0.8)
    tasks, _ = synthesize_tasks(demo.snapshot, [], make_backend(), cfg)
    tasks = [t for t in tasks if t.task_id in ("acme/widgets#4", "acme/widgets#6")]
    built = build_trajectories(tasks, demo.snapshot, [], demo.path, SamplingBackend(), cfg)
    assert built.candidates == 6
    assert sorted(t.trajectory_id for t in built.kept) == ["acme/widgets#4/cand2", "acme/widgets#6/cand2"]
    rs = [d for d in built.decisions if d.gate == "rejection_sampling"]
    assert len(rs) == 6 and sum(d.keep for d in rs) == 2
    cand0 = next(d for d in rs if d.item_id == "acme/widgets#4/cand0")
    assert not cand0.keep and cand0.score == pytest.approx(0.7) and "< 0.8" in cand0.reason
    # raise the bar above what any candidate reaches: nothing is kept, every candidate says why
    strict = GateConfig(n_candidates=3, score_threshold=1.01)
    built = build_trajectories(tasks, demo.snapshot, [], demo.path, SamplingBackend(), strict)
    assert built.kept == [] and all("< 1.01" in d.reason for d in built.decisions if d.gate == "rejection_sampling")


def test_template_backend_draws_one_candidate(demo):
    cfg = GateConfig(n_candidates=5)
    tasks, _ = synthesize_tasks(demo.snapshot, demo.chains, make_backend(), cfg)
    built = build_trajectories(tasks, demo.snapshot, demo.chains, demo.path, make_backend(), cfg)
    assert built.candidates == len(tasks) == 17 and len(built.kept) == 17
    assert {t.generator for t in built.kept} == {"template"}
    assert all(json.loads(json.dumps(t.messages)) == t.messages for t in built.kept)


def test_difficulty_tags_and_swe_master_filter():
    assert difficulty_tags({"files": 1, "hunks": 2, "lines": 10, "chain_length": 1})[-1] == "level:easy"
    assert difficulty_tags({"files": 3, "hunks": 2, "lines": 10, "chain_length": 1})[-1] == "level:medium"
    assert difficulty_tags({"files": 3, "hunks": 5, "lines": 100, "chain_length": 1}) == [
        "files:3", "hunks:5", "lines:100", "chain:1", "level:hard"]
    v = swe_master_filter(["a", "b", "c", "d", "e"], {"a": (4, 4), "b": (0, 4), "c": (1, 4), "e": (5, 4)})
    assert v["a"][0] is False and "all-pass" in v["a"][1]
    assert v["b"][0] is False and "all-fail" in v["b"][1]
    assert v["c"] == (True, "pass rate 1/4")
    assert v["d"][0] is True and "not applied" in v["d"][1]
    assert v["e"][0] is False and "invalid" in v["e"][1]


def test_swe_master_drops_tasks_before_replay(demo):
    cfg = GateConfig()
    tasks, _ = synthesize_tasks(demo.snapshot, [], make_backend(), cfg)
    tasks = [t for t in tasks if t.task_id in ("acme/widgets#4", "acme/widgets#6", "acme/widgets#14")]
    built = build_trajectories(tasks, demo.snapshot, [], demo.path, make_backend(), cfg,
                               pass_rates={"acme/widgets#4": (3, 3), "acme/widgets#6": (1, 3)})
    assert sorted(t.task_id for t in built.kept) == ["acme/widgets#14", "acme/widgets#6"]
