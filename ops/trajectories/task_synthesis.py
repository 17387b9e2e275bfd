"""Task synthesis: for each PR and each PR chain, a task statement in the voice of an issue that
states the goal and the observable behaviour, never the implementation.

Inputs are the PR title/body, the linked issues, the names of the tests the PR adds and, for an
execution-verified PR, its FAIL_TO_PASS tests and their failure messages at the base; the text
is scrubbed of code (fenced blocks, diff lines, commit shas) and of changed file paths unless a
linked issue names them. The ``template`` backend renders it with the renderers registered here
(records say ``generator=template``); a model backend gets the same facts in a prompt and its
output is validated (retried, then rejected with a reason). Every task carries its leak score
(``ops.trajectories.leak``) against the added lines of the diff.
"""
from __future__ import annotations

import dataclasses
import re

from ops.github.records import PRChain
from ops.llm.base import LLMBackend, LLMRequest, register_template
from ops.llm.validated import GateStats, generate_validated
from ops.trajectories.diffs import added_lines
from ops.trajectories.leak import leak_score
from ops.trajectories.pr_context import PRContext

_SHA_RE = re.compile(r"\b[0-9a-f]{7,40}\b")
_FENCE_RE = re.compile(r"```.*?(```|$)", re.S)
_CLOSING_RE = re.compile(r"^\s*(close[sd]?|fix(e[sd])?|resolve[sd]?)\s+#\d+\.?\s*$", re.I)
_TEST_FN_RE = re.compile(r"^\s*def (test_\w+)\s*\(")

SYSTEM_PROMPT = (
    "You write GitHub issues. Describe the goal and the observable behaviour a change must "
    "produce, as a user or maintainer would ask for it. Never include code, diffs or the "
    "implementation. Mention file names only if the issue text names them."
)


@dataclasses.dataclass
class TaskStatement:
    task_id: str  # "owner/repo#N" for a PR, "owner/repo/chain/ID" for a chain
    kind: str  # pr | chain
    repo: str
    source_keys: list[str]  # the PRs it came from, "owner/repo#N"
    text: str
    generator: str
    leak_score: float
    leak_detail: str


def added_test_names(ctx: PRContext) -> list[str]:
    """Names of test functions the PR adds (from the ``+`` lines of its test files)."""
    names = []
    for f in ctx.files:
        if f.path in ctx.test_files:
            for ln in added_lines(f.patch):
                m = _TEST_FN_RE.match(ln)
                if m:
                    names.append(m.group(1))
    return names


def _scrub(text: str, hidden_paths: list[str]) -> str:
    """Drop code blocks, diff-looking lines, shas, closing-keyword lines and hidden file paths."""
    text = _FENCE_RE.sub("", text)
    keep = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(("+", "-", "@@", "diff --git", ">>>")) or _CLOSING_RE.match(s):
            continue
        if "reverts commit" in s.lower():
            s = re.sub(r"(?i)this reverts commit\s+\S+", "This reverts an earlier change", s)
        for p in hidden_paths:
            s = s.replace(p, "the relevant module")
        keep.append(_SHA_RE.sub("<commit>", s))
    return "\n".join(keep).strip()


def _pinned_tests(verification: dict | None) -> list[str]:
    """``Class.test_name`` of the FAIL_TO_PASS tests an executed validation found."""
    if not verification or verification.get("status") != "verified":
        return []
    return [t.split("::", 1)[0].rsplit(".", 1)[-1] + "." + t.split("::", 1)[1] if "." in t.split("::", 1)[0]
            else t.split("::", 1)[1] for t in verification.get("fail_to_pass", [])][:12]


def task_facts(ctx: PRContext, verification: dict | None = None) -> dict:
    """The facts a task statement may use (also the template's context and the model's prompt).
    ``verification``: the PR's ``task_validations`` row; a verified PR adds the FAIL_TO_PASS tests
    and their failure messages at the base (the behaviour the tests pin down)."""
    issue_text = "\n".join(f"{i.title}\n{i.body}" for i in ctx.issues)
    hidden = [f.path for f in ctx.files if f.path not in issue_text]
    pinned = _pinned_tests(verification)
    behaviours = [n.removeprefix("test_").replace("_", " ") for n in added_test_names(ctx)]
    if pinned and not behaviours:
        behaviours = list(dict.fromkeys(n.rsplit(".", 1)[-1].split("[", 1)[0].removeprefix("test_").replace("_", " ")
                                        for n in pinned))
    messages = [_scrub(m, hidden) for m in (verification or {}).get("before_messages", []) if m][:5]
    return {
        "failing_tests": pinned,
        "failure_messages": [m for m in messages if m],
        "title": ctx.pr.title.strip(),
        "body": _scrub(ctx.pr.body or "", hidden),
        "issues": [{"number": i.number, "title": i.title, "body": _scrub(i.body, [])} for i in ctx.issues],
        "behaviours": behaviours,
        "n_tests_touched": len(ctx.test_files),
        "repo": ctx.pr.repo,
    }


def _fact_lines(f: dict) -> list[str]:
    """What the tests pin down (named tests, failures today, the test-suite rule), from the facts."""
    lines = []
    if f.get("failing_tests"):
        lines.append("These tests fail today and must pass after the change: "
                     + ", ".join(f"`{t}`" for t in f["failing_tests"]) + ".")
        if f.get("failure_messages"):
            lines.append("Current failures: " + "; ".join(m[:160] for m in f["failure_messages"][:3]))
    if f["n_tests_touched"]:
        lines.append("Cover the behaviour with tests; the existing test suite must keep passing.")
    else:
        lines.append("The existing test suite must keep passing.")
    return lines


@register_template("task_statement")
def render_task_statement(req: LLMRequest) -> str:
    f = req.context
    lines = [f"# {f['title']}", ""]
    for issue in f["issues"]:
        lines += [f"Reported in issue #{issue['number']} ({issue['title']}):", issue["body"], ""]
    if f["body"]:
        lines += [f["body"], ""]
    lines.append(f"Goal: {f['title'][0].lower() + f['title'][1:]} in {f['repo']}.")
    if f["behaviours"]:
        lines.append("Observable behaviour the change must show:")
        lines += [f"- {b}" for b in f["behaviours"]]
    lines += _fact_lines(f)
    return "\n".join(lines).strip() + "\n"


@register_template("chain_task_statement")
def render_chain_task_statement(req: LLMRequest) -> str:
    f = req.context
    lines = [f"# {f['n_parts']}-step change in {f['repo']}", "",
             "Work through these goals in order; each builds on the state the previous one left.", ""]
    for i, part in enumerate(f["parts"], 1):
        body = part.strip().splitlines()
        title = body[0].lstrip("# ").strip() if body else ""
        rest = " ".join(ln.strip() for ln in body[1:] if ln.strip() and not ln.startswith("Goal:"))
        lines.append(f"{i}. {title}" + (f" — {rest[:400]}" if rest else ""))
    return "\n".join(lines).strip() + "\n"


def validate_task_text(text: str) -> str | None:
    """None when ``text`` is usable as a task statement, else why not."""
    if not text.strip():
        return "empty task statement"
    if len(text) > 6000:
        return f"task statement too long ({len(text)} chars)"
    if "```" in text or "diff --git" in text or re.search(r"(?m)^@@ ", text):
        return "task statement contains code or a diff"
    return None


def _pr_request(ctx: PRContext, facts: dict) -> LLMRequest:
    issue_block = "\n".join(f"Issue #{i['number']}: {i['title']}\n{i['body']}" for i in facts["issues"])
    user = (f"Repository: {facts['repo']}\nPull request title: {facts['title']}\n"
            f"Description:\n{facts['body'] or '(none)'}\n{issue_block}\n"
            f"Tests added: {', '.join(facts['behaviours']) or '(none)'}\n"
            f"Tests that fail before the change and pass after it: {', '.join(facts['failing_tests']) or '(unknown)'}\n"
            f"Their failures before the change: {'; '.join(facts['failure_messages']) or '(unknown)'}\n\n"
            "Write the issue that asks for this change.")
    return LLMRequest(task="task_statement", messages=(
        {"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}),
        context={**facts, "source_key": ctx.key}, max_tokens=400)


ISSUE_SYSTEM_PROMPT = ("You write short GitHub issues for a Python library. In two sentences, say what goes wrong "
                       "and what should happen instead. No code.")
ISSUE_EXAMPLE = ("Title: Handle empty input in parse_config\nFailing test: test_parse_empty\n"
                 "Error today: KeyError: 'name'",
                 "Calling parse_config with an empty string raises a KeyError instead of returning an empty "
                 "config. An empty input should give an empty result.")


def _issue_request(ctx: PRContext, facts: dict, n: int, temperature: float, leak_threshold: float) -> LLMRequest:
    """A short prompt for a small model: the title, the failing tests and today's error; the model
    writes two sentences of prose, the statement adds the title and the test facts around them."""
    tests = [t.rsplit(".", 1)[-1] for t in facts["failing_tests"]] or \
        ["test_" + b.replace(" ", "_") for b in facts["behaviours"]]
    user = (f"Title: {facts['title']}\nFailing test: {', '.join(tests[:2]) or '(none)'}\n"
            f"Error today: {(facts['failure_messages'] or ['(unknown)'])[0][:160]}")
    added = [ln for f in ctx.files for ln in added_lines(f.patch)]
    hidden = [f.path for f in ctx.files if f.path not in "\n".join(i["body"] for i in facts["issues"])]
    return LLMRequest(task="task_statement", messages=(
        {"role": "system", "content": ISSUE_SYSTEM_PROMPT}, {"role": "user", "content": ISSUE_EXAMPLE[0]},
        {"role": "assistant", "content": ISSUE_EXAMPLE[1]}, {"role": "user", "content": user}),
        context={**facts, "source_key": ctx.key, "added_lines": added, "hidden_paths": hidden,
                 "leak_threshold": leak_threshold},
        n=n, temperature=temperature, top_p=0.9 if temperature > 0 else 1.0, max_tokens=80, stop=("\n",))


def issue_text(facts: dict, prose: str) -> str:
    """A model-written statement: the title, the model's prose, then the test facts."""
    return "\n".join([f"# {facts['title']}", "", prose, ""] + _fact_lines(facts)).strip() + "\n"


def statement_problem(req: LLMRequest, text: str) -> str | None:
    """Why a model's issue prose fails the gate (unfinished, not prose, off-topic, invents names,
    leaks the implementation or a hidden file, not a valid statement), or None."""
    from ops.llm.text_gate import complete_sentences, invented_name, off_topic, prose_problem

    f = req.context
    prose = complete_sentences(text, 2)
    if prose is None:
        return "unfinished: no complete sentence"
    why = prose_problem(prose, min_words=8, max_words=70)
    if why:
        return why
    if "parse_config" in prose or "empty config" in prose:
        return "copied: the worked example"
    facts = [f["title"], *f["behaviours"], *f["failing_tests"], *f["failure_messages"],
             *(i["title"] + "\n" + i["body"] for i in f["issues"]), f.get("body", "")]
    if any(p in prose for p in f.get("hidden_paths", [])):
        return "leak: names a file the statement hides"
    why = off_topic(prose, facts) or invented_name(prose, facts)
    if why:
        return why
    full = issue_text(f, prose)
    leak = leak_score(full, f.get("added_lines", []))
    if leak.score > f.get("leak_threshold", 0.2):
        return f"leak: {leak.score:.2f} of its 5-grams are in the diff"
    return validate_task_text(full)


def _task(ctx: PRContext, text: str, generator: str) -> TaskStatement:
    added = [ln for f in ctx.files for ln in added_lines(f.patch)]
    leak = leak_score(text, added)
    return TaskStatement(ctx.key, "pr", ctx.pr.repo, [ctx.key], text, generator, leak.score,
                         f"{leak.shared_ngrams}/{leak.task_ngrams} 5-grams shared; "
                         f"{len(leak.verbatim_lines)} verbatim lines")


def synthesize_pr_tasks(
    backend: LLMBackend, contexts: list[PRContext], max_attempts: int = 3,
    verification: dict[str, dict] | None = None, n: int = 3, temperature: float = 0.7,
    leak_threshold: float = 0.2,
) -> tuple[list[TaskStatement], list[tuple[str, str, dict]], "GateStats | None"]:
    """One task per PR; returns (tasks, rejected as (pr_key, reason, record) for quarantine, gate
    statistics). The template and full-size models write whole statements (validated, retried,
    then quarantined); a small model (``prompt_style == "short"``) writes the prose of each (``n``
    candidates, ``max_attempts`` rounds) through ``statement_problem``, and a PR whose candidates
    all fail gets the template statement, labelled ``template``."""
    facts = [task_facts(c, (verification or {}).get(c.key)) for c in contexts]
    if getattr(backend, "prompt_style", "full") != "short":
        results, rejected = generate_validated(backend, [_pr_request(c, f) for c, f in zip(contexts, facts)],
                                               validate_task_text, max_attempts)
        tasks = [_task(ctx, comps[0].text, comps[0].generator) for ctx, comps in zip(contexts, results) if comps]
        return tasks, [(contexts[r.index].key, r.reason, {"last_output": r.last_text}) for r in rejected], None
    from ops.llm.text_gate import complete_sentences
    from ops.llm.validated import generate_with_fallback

    reqs = [_issue_request(c, f, n, temperature, leak_threshold) for c, f in zip(contexts, facts)]
    gated, stats = generate_with_fallback(backend, reqs, statement_problem, max_attempts)
    tasks = []
    for ctx, f, g in zip(contexts, facts, gated):
        c = g.completions[0]
        text = c.text if g.fallback_reason else issue_text(f, complete_sentences(c.text, 2) or c.text)
        tasks.append(_task(ctx, text, c.generator))
    return tasks, [], stats


def synthesize_chain_tasks(
    backend: LLMBackend, chains: list[PRChain], pr_tasks: dict[str, TaskStatement],
    contexts: dict[int, PRContext], max_attempts: int = 3,
) -> tuple[list[TaskStatement], list[tuple[str, str, dict]]]:
    """One task per chain whose PRs all have tasks, decomposed into the PRs' goals in order."""
    usable, bad = [], []
    for ch in chains:
        keys = [f"{ch.repo}#{n}" for n in ch.pr_numbers]
        missing = [k for k in keys if k not in pr_tasks]
        if missing:
            bad.append((ch.key, f"chain PR(s) without a task: {', '.join(missing)}", {"pr_numbers": ch.pr_numbers}))
            continue
        usable.append(ch)
    reqs = []
    for ch in usable:
        parts = [pr_tasks[f"{ch.repo}#{n}"].text for n in ch.pr_numbers]
        user = ("Combine these issues into one multi-step task, in order, without code:\n\n"
                + "\n\n---\n\n".join(parts))
        reqs.append(LLMRequest(task="chain_task_statement", messages=(
            {"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}),
            context={"repo": ch.repo, "n_parts": len(parts), "parts": parts, "source_key": ch.key},
            max_tokens=800))
    if getattr(backend, "prompt_style", "full") == "short":
        # a small model cannot merge several statements: compose them in order (labelled template)
        from ops.llm.template import TemplateBackend

        backend = TemplateBackend()
    results, rejected = generate_validated(backend, reqs, validate_task_text, max_attempts)
    tasks = []
    for ch, comps in zip(usable, results):
        if comps is None:
            continue
        text = comps[0].text
        added = [ln for n in ch.pr_numbers if n in contexts for f in contexts[n].files for ln in added_lines(f.patch)]
        leak = leak_score(text, added)
        tasks.append(TaskStatement(ch.key, "chain", ch.repo, [f"{ch.repo}#{n}" for n in ch.pr_numbers], text,
                                   comps[0].generator, leak.score,
                                   f"{leak.shared_ngrams}/{leak.task_ngrams} 5-grams shared; "
                                   f"{len(leak.verbatim_lines)} verbatim lines"))
    bad += [(usable[r.index].key, r.reason, {"last_output": r.last_text}) for r in rejected]
    return tasks, bad
