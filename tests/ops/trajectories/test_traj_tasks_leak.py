"""Task synthesis and the leak check: hand-computed leak scores, template tasks carry no code, a
backend that pastes the diff is caught, malformed outputs are quarantined."""
import pytest

from ops.llm import Completion, make_backend
from ops.trajectories.diffs import added_lines
from ops.trajectories.leak import leak_score, tokens
from ops.trajectories.task_synthesis import synthesize_chain_tasks, synthesize_pr_tasks


def test_leak_score_hand_computed():
    # task tokens: a b c d e f → 5-grams (a..e), (b..f); the diff line holds "b c d e f" only
    r = leak_score("a b c d e f", ["x b c d e f y"])
    assert (r.shared_ngrams, r.task_ngrams) == (1, 2) and r.score == 0.5
    assert leak_score("a b c", ["a b c"]).score == 0.0  # fewer than 5 tokens: no 5-grams
    assert tokens("slugify('')") == ["slugify", "(", "'", "'", ")"]
    # a long pasted line counts as a full leak even inside a long text
    line = "    return separator.join(w for w in words if w)"
    long_text = " ".join(f"word{i}" for i in range(200)) + "\n" + line
    r = leak_score(long_text, [line])
    assert r.score == 1.0 and r.verbatim_lines == (line.strip(),)


def test_template_tasks_hide_the_implementation(demo):
    tasks, bad, _ = synthesize_pr_tasks(make_backend({"kind": "template"}), list(demo.contexts.values()))
    assert bad == [] and len(tasks) == len(demo.contexts) == 11
    by = {t.task_id: t for t in tasks}
    t4 = by["acme/widgets#4"]
    assert t4.generator == "template" and t4.source_keys == ["acme/widgets#4"]
    assert "IndexError" in t4.text  # the observable behaviour from issue #3
    for t in tasks:
        added = [ln.strip() for f in demo.contexts[int(t.task_id.split("#")[1])].files
                 for ln in added_lines(f.patch) if len(ln.strip()) > 15]
        assert not [ln for ln in added if ln in t.text], t.task_id
        assert t.leak_score <= 0.2, (t.task_id, t.leak_score)
        assert "widgets/units.py" not in t.text  # no issue names it
    # issue #1 names widgets.text.slugify; the PR that closes it may say so
    assert "widgets.text.slugify" in by["acme/widgets#2"].text
    chains, bad = synthesize_chain_tasks(make_backend(), demo.chains, by, demo.contexts)
    chain = {c.task_id: c for c in chains}["acme/widgets/chain/2-4-12"]
    assert chain.source_keys == ["acme/widgets#2", "acme/widgets#4", "acme/widgets#12"]
    assert chain.text.index("Add slugify helper") < chain.text.index("Fix slugify on empty input")


class PastingBackend:
    """A 'model' that writes the task by pasting the PR's added lines (what the leak check is for)."""

    id = "pasting"

    def __init__(self, contexts):
        self.by_key = {c.key: c for c in contexts}

    def generate(self, requests):
        out = []
        for r in requests:
            ctx = self.by_key.get(r.context.get("source_key"))
            body = "\n".join(ln for f in (ctx.files if ctx else []) for ln in added_lines(f.patch))
            out.append([Completion(f"Please implement:\n{body}" if body else "Do the thing.", "pasting")])
        return out


def test_leak_check_catches_pasted_diff(demo, warehouse):
    from ops.trajectories.checks import leak_check
    from warehouse.writer import Lineage

    ctxs = [demo.contexts[4], demo.contexts[6]]
    tasks, _, _ = synthesize_pr_tasks(PastingBackend(ctxs), ctxs)
    assert all(t.leak_score == 1.0 for t in tasks)
    clean, _, _ = synthesize_pr_tasks(make_backend(), [demo.contexts[2]])
    rows = [{"task_id": t.task_id, "kind": t.kind, "repo": t.repo, "pr_keys": t.source_keys, "task_text": t.text,
             "generator": t.generator, "leak_score": t.leak_score, "leak_detail": t.leak_detail,
             "source_key": t.task_id} for t in tasks + clean]
    warehouse.write("trajectory_tasks", rows, Lineage.adhoc("trajectory_tasks", "acme/widgets"))
    passed, meta = leak_check(warehouse.path, "acme/widgets", threshold=0.2, max_share=0.0)
    assert not passed and meta["leaking_tasks"] == 2 and meta["tasks"] == 3
    assert meta["leaking_share"] == pytest.approx(2 / 3)
    passed, _ = leak_check(warehouse.path, "acme/widgets", threshold=0.2, max_share=0.7)
    assert passed  # the threshold on the share is honoured


def test_malformed_task_outputs_are_retried_then_quarantined(demo):
    class Fenced:
        id = "fenced"
        calls = 0

        def generate(self, requests):
            Fenced.calls += 1
            return [[Completion("```python\nprint(1)\n```", "fenced")] for _ in requests]

    tasks, bad, _ = synthesize_pr_tasks(Fenced(), [demo.contexts[4]], max_attempts=2)
    assert tasks == [] and Fenced.calls == 2
    assert bad[0][0] == "acme/widgets#4" and "contains code" in bad[0][1]
