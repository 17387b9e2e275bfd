"""The build steps with the ``openai`` backend against a local OpenAI-compatible server: N sampled
candidates per task, rejection sampling picks a good one, the prompt-hash cache makes a re-run free."""
import json
import re

from ops.llm import make_backend
from ops.llm.cache import MemoryLLMCache
from ops.llm.local_server import LocalChatServer
from ops.trajectories.build import GateConfig, build_trajectories, synthesize_tasks


def reply(messages, i):
    """A stand-in model: issue text for task requests; for thoughts, candidate 0 is vague and the
    others name the action's target (taken from the prompt's 'Next action' line)."""
    prompt = messages[-1]["content"]
    m = re.search(r"Next action: (\w+)\((.*)\)$", prompt, re.S)
    if not m:
        title = re.search(r"Pull request title: (.*)", prompt)
        return f"Please make this work: {title.group(1) if title else 'combined steps'}. Tests must pass."
    if i == 0:
        return "Let me think."
    args = json.loads(m.group(2))
    target = args.get("query") or args.get("path") or ("tests" if m.group(1) == "run_tests" else "submit")
    return f"I will use {m.group(1)} on {target} to make progress."


def test_openai_backend_drives_sampling_and_cache(demo):
    cfg = GateConfig(n_candidates=3, max_attempts=1)
    store = MemoryLLMCache()
    prs = [demo.contexts[n].pr for n in (4, 6)]
    snap = type(demo.snapshot)(demo.snapshot.repository, prs, demo.snapshot.files, demo.snapshot.commits,
                               demo.snapshot.reviews, demo.snapshot.review_comments, demo.snapshot.issues)
    with LocalChatServer(reply=reply) as srv:
        be = make_backend({"kind": "openai", "model": "local", "base_url": srv.base_url, "concurrency": 4},
                          cache=store)
        tasks, bad = synthesize_tasks(snap, [], be, cfg)
        assert bad == [] and [t.generator for t in tasks] == ["openai:local"] * 2
        built = build_trajectories(tasks, snap, [], demo.path, be, cfg)
        calls = srv.calls
        assert built.candidates == 6  # 3 candidates per task from n=3 samples
        kept = sorted(t.trajectory_id for t in built.kept)
        assert kept == ["acme/widgets#4/cand1", "acme/widgets#6/cand1"]  # cand0 vague; cand1 beats cand2 on ties
        assert all(t.generator == "openai:local" for t in built.kept)
        rerun = build_trajectories(tasks, snap, [], demo.path, be, cfg)
        assert srv.calls == calls  # everything came from the prompt-hash cache
        assert [t.messages for t in rerun.kept] == [t.messages for t in built.kept]
        assert srv.max_in_flight <= 4
