"""The thought and task-statement gates for small models: good model text is kept and labelled
with the model, loops / code / off-topic / copied / leaking text is rejected, and a step (or PR)
whose candidates all fail gets the template text, labelled ``template``."""
import json

from ops.llm import Completion
from ops.trajectories.build import GateConfig, build_trajectories, synthesize_tasks
from ops.trajectories.replay import build_skeleton, thought_requests
from ops.trajectories.task_synthesis import TaskStatement, statement_problem, synthesize_pr_tasks
from ops.trajectories.thoughts import thought_problem

# what SmolLM2-135M wrote for these steps before the gate existed (probe outputs)
BAD = ["This is a bit too complex, so let's simplify it. I can just append a list.",
       "Here is a revised version of more_list.py that adds a strict argument `chunked=False`.",
       "with the exception in more_finally:\n```python\nimport unittest\n",
       "Chunked is a new feature that will work with new. It will work on old. It is a bug in the old.",
       "In Python, when you add a function to a list, it will return a list of all the functions"]


class ShortModel:
    """A stand-in small model (``prompt_style="short"``): per request, candidates from ``write``."""
    id = "stub:small"
    deterministic = False
    supports_prefill = True
    prompt_style = "short"

    def __init__(self, write):
        self.write = write
        self.calls = 0

    def generate(self, requests):
        self.calls += 1
        return [[Completion(t, self.id) for t in self.write(r)][: r.n] for r in requests]


def _skeleton(demo, n=4):
    ctx = demo.contexts[n]
    task = TaskStatement(ctx.key, "pr", "acme/widgets", [ctx.key], "Fix it.", "template", 0.0, "")
    return build_skeleton(task, [ctx], demo.path, demo.commits)


def _good(req):
    title = req.context["pr_title"].split()[-1]
    return f"{req.prefill} make {title} behave as the task asks."


def test_thought_gate_on_real_small_model_failures(demo):
    reqs = thought_requests(_skeleton(demo), 1, 0.7, style="short", prefill=True)
    search = reqs[0]
    assert search.prefill.startswith("I search for ") and search.stop == ("\n",)
    assert "Next: search" in search.messages[-1]["content"]
    assert thought_problem(search, _good(search)) is None
    for bad in BAD:  # the model's continuation after the prefilled opening
        assert thought_problem(search, f"{search.prefill} {bad}") is not None, bad
    assert thought_problem(search, search.prefill + " see how").startswith("unfinished")
    assert thought_problem(search, search.prefill + " see how parse_config handles empty text.").startswith("copied")
    assert thought_problem(search, search.prefill + " find the the the thing the thing.").startswith("repetition")
    assert thought_problem(search, search.prefill + " learn about the cooking of pasta tonight.").startswith("off-topic")
    assert thought_problem(search, "I open a file to make it work.") is not None  # lost the opening


def test_build_keeps_gated_model_thoughts_and_labels_template_fallback(demo):
    sk_tools = [s.tool for s in _skeleton(demo).steps]
    failing = {"open_file", "submit"}  # the model never writes a usable thought for these

    def write(req):
        if req.context["tool"] in failing:
            return [f"{req.prefill} {b}" for b in BAD[:3]]
        return [f"{req.prefill} {BAD[3]}", _good(req), _good(req).replace("behave", "work")]

    backend = ShortModel(write)
    ctx = demo.contexts[4]
    task = TaskStatement(ctx.key, "pr", "acme/widgets", [ctx.key], "Fix it.", "template", 0.0, "")
    built = build_trajectories([task], demo.snapshot, [], demo.path, backend, GateConfig(n_candidates=3,
                                                                                         max_attempts=2))
    assert len(built.kept) == 1
    t = built.kept[0]
    thoughts = [m["content"] for m in t.messages if m["role"] == "assistant" and m.get("tool_calls")]
    assert len(t.thought_generators) == len(thoughts) == len(sk_tools)
    for tool, gen, thought in zip(sk_tools, t.thought_generators, thoughts):
        assert gen == ("template" if tool in failing else "stub:small"), (tool, gen)
        assert not any(b[:30] in thought for b in BAD), thought  # no rejected text got through
    assert t.generator == "stub:small,template"
    stats = built.thought_gate
    n_fail = sum(x in failing for x in sk_tools)
    assert (stats.model_written, stats.fallback) == (len(sk_tools) - n_fail, n_fail)
    # the failing steps were re-asked once (max_attempts=2), so the bad reasons were counted
    assert backend.calls == 2 and sum(stats.rejected.values()) == len(sk_tools) - n_fail + 2 * 3 * n_fail
    assert json.loads(t.messages[2]["tool_calls"][0]["function"]["arguments"])  # the tool calls are untouched


def test_statement_gate_keeps_prose_and_falls_back_on_leaks(demo):
    ctx = demo.contexts[4]

    def write(req):
        if req.context["source_key"] == ctx.key:
            title = req.context["title"]
            return [f"Right now {title.lower()} does not work for users. It should work as documented."]
        added = "\n".join(req.context["added_lines"])
        return [f"Please paste this code into the module today. {added}"]

    other = demo.contexts[6]
    tasks, bad, stats = synthesize_pr_tasks(ShortModel(write), [ctx, other], n=1)
    assert bad == [] and (stats.model_written, stats.fallback) == (1, 1)
    by = {t.task_id: t for t in tasks}
    assert by[ctx.key].generator == "stub:small" and "does not work for users" in by[ctx.key].text
    assert by[ctx.key].text.startswith(f"# {ctx.pr.title}")
    assert by[other.key].generator == "template" and "paste" not in by[other.key].text
    assert by[other.key].leak_score <= 0.2
    req_leak = {"title": "x", "behaviours": [], "failing_tests": [], "failure_messages": [], "issues": [],
                "added_lines": ["    return sorted(items, key=lambda item: item.priority_value)"],
                "hidden_paths": ["widgets/core.py"], "n_tests_touched": 0}
    from ops.llm.base import LLMRequest

    r = LLMRequest("task_statement", (), context=req_leak)
    assert statement_problem(r, "The sorting in widgets/core.py ignores the priority value of items.") \
        .startswith("leak")


def test_chains_are_composed_by_the_template_for_small_models(demo):
    backend = ShortModel(lambda r: [f"Sorting {r.context.get('title', '')} is broken for users today. "
                                    "It should be fixed."])
    stats: dict = {}
    tasks, _ = synthesize_tasks(demo.snapshot, demo.chains, backend, GateConfig(n_candidates=1), None, stats)
    chains = [t for t in tasks if t.kind == "chain"]
    assert chains and all(t.generator == "template" for t in chains)
    assert stats["statements"].requests == sum(t.kind == "pr" for t in tasks)
