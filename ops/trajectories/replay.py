"""Trajectory replay: the real history of a PR (or a chain of PRs) as an agent trajectory in OpenAI
chat/tool-call format (tools: ``ops.trajectories.tool_schema``).

Per PR: ``search`` (real ``git grep`` over the tree at the PR's base), ``open_file`` of each file
it modifies (real content at the base), one ``edit_file`` per file per commit with the real hunks in
commit order, ``run_tests`` of the test files the PR touched — the real sandboxed output when the PR
is execution-verified (``ops.execution``), else a synthetic observation labelled so — then
``submit``. A task whose PRs are all verified runs its FAIL_TO_PASS tests just before submitting. Reviews that a later commit
answered become self-correction steps: the review arrives as a user message and the answering edits
follow it. In a chain each PR starts from its own base commit — the state earlier PRs left — and
reviews of an earlier PR answered by a later one (edge reason ``review_revision``) are inserted
before that later PR's steps.

Two phases so thoughts can be sampled in one batch: ``build_skeleton`` (git reads, no model) and
``render_trajectory`` (skeleton + one thought per step → messages).
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from ops.github.records import Commit, PRChain
from ops.llm.base import LLMRequest, register_template
from ops.trajectories.diffs import commit_file_patches, file_at, search_tree, split_hunks
from ops.trajectories.pr_context import PRContext
from ops.trajectories.task_synthesis import TaskStatement
from ops.trajectories.tool_schema import REAL, REPLAYED, SYNTHETIC

AGENT_SYSTEM_PROMPT = (
    "You are a software engineering agent working in a git repository. Use the tools to search, "
    "read and edit files, run tests and submit. Think briefly before each action."
)
_REVIEW_ANSWER_RE = re.compile(r"review|address|feedback|comment|requested", re.I)
_STOP = {"add", "fix", "the", "for", "with", "from", "into", "and", "helper", "use", "support", "update",
         "document", "speed", "accept", "handles", "release", "revert", "rename", "format"}


class ReplayError(ValueError):
    """The PR/chain cannot be replayed; the message is the quarantine reason."""


@dataclasses.dataclass
class ReplayLimits:
    max_pr_lines: int = 20_000  # PRs with more changed lines are skipped with a reason
    max_edit_lines: int = 400  # a file patch with more lines is split into several edit_file calls
    max_open_lines: int = 200  # open_file observations are truncated after this many lines


@dataclasses.dataclass
class Step:
    tool: str
    arguments: dict[str, Any]
    observation: str
    observation_kind: str  # real | replayed | synthetic
    thought_context: dict[str, Any]
    before: list[dict[str, str]] = dataclasses.field(default_factory=list)  # user messages first
    self_correction: bool = False


@dataclasses.dataclass
class Skeleton:
    task: TaskStatement
    steps: list[Step]
    stats: dict[str, Any]
    notes: list[str]


def _truncate(text: str, max_lines: int) -> str:
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text
    return "\n".join(lines[:max_lines]) + f"\n[... {len(lines) - max_lines} more lines]"


def _pick_query(repo_path: Path, sha: str, ctx: PRContext) -> tuple[str, list[str]]:
    words = [w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]{3,}", ctx.pr.title) if w.lower() not in _STOP]
    words += [Path(f.path).stem for f in ctx.text_files if f.path not in ctx.test_files]
    words = list(dict.fromkeys(words)) or ["TODO"]
    for w in words[:4]:
        hits = search_tree(repo_path, sha, w)
        if hits:
            return w, hits
    return words[0], []


def _review_messages(ctx: PRContext, label: str) -> list[dict[str, str]]:
    """The PR's actionable review feedback (changes requested / comments with inline notes)."""
    msgs = []
    for r in ctx.reviews:
        inline = [c for c in ctx.comments if c.review_id == r.id]
        if r.state == "APPROVED" and not inline:
            continue
        parts = [f"Review by @{r.author} on {label} ({r.state.lower().replace('_', ' ')}): {r.body}".strip()]
        parts += [f"- {c.path}:{c.line}: {c.body}" for c in inline]
        msgs.append({"role": "user", "content": "\n".join(parts)})
    loose = [c for c in ctx.comments if c.review_id not in {r.id for r in ctx.reviews}]
    if loose:
        msgs.append({"role": "user", "content": "\n".join(
            [f"Review comments on {label}:"] + [f"- {c.path}:{c.line}: {c.body}" for c in loose])})
    return msgs


def _answering_commit(ctx: PRContext, commits: dict[str, Commit]) -> int | None:
    """Index (≥ 1) of the commit that answered the PR's review, or None when no commit did."""
    shas = ctx.pr.commits
    times = [r.created_at for r in ctx.reviews if r.created_at]
    for i, sha in enumerate(shas[1:], 1):
        c = commits.get(sha)
        if c and _REVIEW_ANSWER_RE.search(c.message):
            return i
        if c and c.authored_at and times and min(times) < c.authored_at:
            return i
    return None


def _pr_steps(ctx: PRContext, repo_path: Path, commits: dict[str, Commit], limits: ReplayLimits,
              notes: list[str], before_first: list[dict[str, str]], label: str,
              first_is_fix: bool = False, verification: dict | None = None) -> tuple[list[Step], dict]:
    if not ctx.files:
        raise ReplayError(f"{ctx.key}: empty diff (no changed files)")
    if not ctx.text_files:
        raise ReplayError(f"{ctx.key}: binary-only PR ({len(ctx.files)} binary file(s))")
    if ctx.lines_changed > limits.max_pr_lines:
        raise ReplayError(f"{ctx.key}: diff of {ctx.lines_changed} lines exceeds max_pr_lines={limits.max_pr_lines}")
    title = ctx.pr.title
    base = ctx.pr.base_sha
    steps: list[Step] = []
    query, hits = _pick_query(repo_path, base, ctx)
    steps.append(Step("search", {"query": query}, "\n".join(hits) or "no matches",
                      REAL, {"action": "search", "target": query, "pr_title": title}, before=list(before_first),
                      self_correction=first_is_fix))
    for f in ctx.text_files:
        if f.status in ("modified", "renamed"):
            content = file_at(repo_path, base, f.previous_path or f.path)
            if content is None:
                notes.append(f"{ctx.key}: {f.path} absent at base {base[:12]}")
                continue
            steps.append(Step("open_file", {"path": f.path}, _truncate(content, limits.max_open_lines), REAL,
                              {"action": "open_file", "target": f.path, "pr_title": title}))
    # edits: per commit, per file, real hunks in commit order
    answer_at = _answering_commit(ctx, commits)
    review_msgs = _review_messages(ctx, label) if answer_at is not None else []
    n_hunks = 0
    try:
        per_commit = [(sha, commit_file_patches(repo_path, sha)) for sha in ctx.pr.commits]
    except Exception as exc:  # commit missing (force-pushed away, shallow clone)
        fallback = [f for f in ctx.text_files if f.patch and not f.patch_too_large]
        if not fallback:
            raise ReplayError(f"{ctx.key}: commits unavailable ({str(exc)[:120]}) and no PR diff to fall back on")
        notes.append(f"{ctx.key}: commits unavailable, replayed the PR's net diff instead ({str(exc)[:80]})")
        per_commit = [("", [dataclasses.replace(_fp_from(f)) for f in fallback])]
        answer_at = None
        review_msgs = []
    for ci, (sha, patches) in enumerate(per_commit):
        subject = (commits[sha].message.split("\n", 1)[0] if sha in commits else title)
        first_edit_of_commit = True
        for fp in patches:
            if fp.is_binary or not fp.patch:
                if fp.is_binary:
                    notes.append(f"{ctx.key}: binary {fp.path} not replayed")
                continue
            hunks = split_hunks(fp.patch)
            groups, cur, size = [], [], 0
            for h in hunks:  # split very long file patches into several edits
                lines = h.text.count("\n")
                if cur and size + lines > limits.max_edit_lines:
                    groups.append(cur)
                    cur, size = [], 0
                cur.append(h)
                size += lines
            if cur:
                groups.append(cur)
            for g in groups:
                n_hunks += len(g)
                added = sum(h.added for h in g)
                removed = sum(h.removed for h in g)
                fix = ci == answer_at and first_edit_of_commit
                steps.append(Step(
                    "edit_file", {"path": fp.path, "patch": "".join(h.text for h in g)},
                    f"Applied {len(g)} hunk(s) to {fp.path} (+{added} -{removed}).", REPLAYED,
                    {"action": "edit_file", "target": fp.path, "pr_title": title, "commit_subject": subject,
                     "hunks": len(g), "added": added, "removed": removed,
                     "review": review_msgs[0]["content"][:300] if fix and review_msgs else ""},
                    before=review_msgs if fix else [], self_correction=fix))
                first_edit_of_commit = False
    if not any(s.tool == "edit_file" for s in steps):
        raise ReplayError(f"{ctx.key}: no text hunks to replay")
    if verification and verification.get("status") == "verified":
        # the real sandboxed output of the touched tests at the merge result
        tests = list(verification["test_files"])
        steps.append(Step("run_tests", {"tests": tests}, verification["after_output"], REAL,
                          {"action": "run_tests", "target": ", ".join(tests), "pr_title": title}))
    else:
        tests = ctx.test_files or _related_tests(repo_path, ctx)
        from ops.trajectories.task_synthesis import added_test_names

        added_tests = added_test_names(ctx)
        obs = ("[synthetic observation: derived from the PR's changes; no tests were executed] "
               f"Expected to pass: {', '.join(tests)}"
               + (f" (new tests: {', '.join(added_tests)})" if added_tests else "") + ".")
        steps.append(Step("run_tests", {"tests": tests}, obs, SYNTHETIC,
                          {"action": "run_tests", "target": ", ".join(tests), "pr_title": title}))
    stats = {"files": len(ctx.text_files), "hunks": n_hunks,
             "lines": sum(f.additions + f.deletions for f in ctx.text_files), "commits": len(ctx.pr.commits)}
    return steps, stats


def _related_tests(repo_path: Path, ctx: PRContext) -> list[str]:
    """Test files at the PR's merge commit named after a changed module (else up to 3 test files)."""
    from ops.trajectories.diffs import tree_files
    from ops.trajectories.pr_context import TEST_PATH_RE

    at = ctx.pr.merge_commit_sha or ctx.pr.head_sha or ctx.pr.base_sha
    tests = [p for p in tree_files(repo_path, at) if TEST_PATH_RE.search(p) and p.endswith(".py")]
    stems = {Path(f.path).stem for f in ctx.text_files}
    related = [t for t in tests if any(s in Path(t).stem for s in stems)]
    return related or tests[:3] or ["tests"]


def _fp_from(f):
    from ops.trajectories.diffs import FilePatch

    return FilePatch(f.path, "M", f.patch or "", f.is_binary)


def final_test_step(verification: dict, title: str) -> Step:
    """The last action of a verified task: its FAIL_TO_PASS tests alone, passing (real output)."""
    from ops.execution.junit import node_id

    ids = [n for t in verification["fail_to_pass"] if (n := node_id(t, list(verification["test_files"])))]
    ids = ids[:60] or list(verification["test_files"])
    return Step("run_tests", {"tests": ids}, verification["final_output"], REAL,
                {"action": "run_tests", "target": ", ".join(ids[:5]), "pr_title": title})


def build_skeleton(task: TaskStatement, prs: list[PRContext], repo_path: Path, commits: dict[str, Commit],
                   chain: PRChain | None = None, limits: ReplayLimits | None = None,
                   verification: dict[str, dict] | None = None) -> Skeleton:
    """Steps for one task (one PR, or a chain's PRs in order). Raises ``ReplayError`` with the
    quarantine reason when a PR cannot be replayed. ``verification`` (``task_validations`` rows by
    PR key): a verified PR's ``run_tests`` shows the real sandboxed output, and a task whose PRs
    are all verified ends by running its FAIL_TO_PASS tests; otherwise those observations are
    synthetic and labelled so."""
    verification = verification or {}
    limits = limits or ReplayLimits()
    steps: list[Step] = []
    notes: list[str] = []
    totals = {"files": 0, "hunks": 0, "lines": 0, "commits": 0}
    review_edges = {b: a for a, b, why in (chain.edges if chain else []) if "review" in why}
    by_number = {c.pr.number: c for c in prs}
    files: set[str] = set()
    for i, ctx in enumerate(prs):
        before = []
        if i > 0:
            before.append({"role": "user", "content": f"Next: {ctx.pr.title}."})
        fix = []
        if ctx.pr.number in review_edges and review_edges[ctx.pr.number] in by_number:
            earlier = by_number[review_edges[ctx.pr.number]]
            fix = _review_messages(earlier, f"#{earlier.pr.number}")
        pr_steps, stats = _pr_steps(ctx, repo_path, commits, limits, notes, before + fix, f"#{ctx.pr.number}",
                                    first_is_fix=bool(fix), verification=verification.get(ctx.key))
        steps += pr_steps
        for k in totals:
            totals[k] += stats[k]
        files |= {f.path for f in ctx.text_files}
    summary = "; ".join(c.pr.title for c in prs)
    rows = [verification.get(c.key) for c in prs]
    if all(r and r.get("status") == "verified" for r in rows):
        steps.append(final_test_step(rows[-1], prs[-1].pr.title))
        n = sum(r["n_fail_to_pass"] for r in rows)
        steps.append(Step("submit", {"summary": summary},
                          f"Submission received. Its {n} FAIL_TO_PASS test(s) pass in the sandbox.", REAL,
                          {"action": "submit", "target": summary, "pr_title": summary}))
        totals["fail_to_pass"] = n
    else:
        steps.append(Step("submit", {"summary": summary}, "Submission received.", SYNTHETIC,
                          {"action": "submit", "target": summary, "pr_title": summary}))
        totals["fail_to_pass"] = 0
    totals["verified"] = all(r and r.get("status") == "verified" for r in rows)
    totals["files"] = len(files)
    totals["chain_length"] = len(prs)
    totals["self_corrections"] = sum(s.self_correction for s in steps)
    return Skeleton(task, steps, totals, notes)


@register_template("thought")
def render_thought(req: LLMRequest) -> str:
    c = req.context
    a, t = c["action"], c["target"]
    if a == "search":
        lead = "The reviewer's point needs a follow-up. " if c.get("self_correction") else ""
        return f"{lead}To find the code involved in \"{c['pr_title']}\", I will search the repository for `{t}`."
    if a == "open_file":
        return f"Before changing anything I will read {t} as it is now."
    if a == "edit_file":
        if c.get("review"):
            return (f"The review asks for a change (\"{c['review'][:160]}\"). I will address it in {t}: "
                    f"{c['hunks']} hunk(s), +{c['added']}/-{c['removed']} lines.")
        return (f"Next I edit {t} ({c['commit_subject']}): {c['hunks']} hunk(s), "
                f"+{c['added']}/-{c['removed']} lines.")
    if a == "run_tests":
        return f"Now I run {t} to check the change."
    return f"All parts are done ({t}); I will submit."


THOUGHT_SYSTEM_PROMPT = ("You are a software engineering agent. In one or two sentences, say what you do next "
                         "and why. Name the file or search term you act on. No code.")
SHORT_THOUGHT_SYSTEM_PROMPT = "You are a coding agent. In one short sentence, say what you do next and why."
# one worked example in the chat (a 135M model copies the format of an example far better than it
# follows instructions); the answer's opening is prefilled for the real step (see thought_prefill)
THOUGHT_EXAMPLE = ("Task: Fix crash when parsing an empty config\nLast result: search found src/app/config.py:12: "
                   "def parse_config(text):\nNext: open_file src/app/config.py",
                   "I open config.py to see how parse_config handles empty text.")
_HUNK_FN_RE = re.compile(r"^@@[^@]*@@\s*(?:async\s+)?(?:def|class)\s+(\w+)", re.M)
_ADDED_FN_RE = re.compile(r"^\+\s*(?:async\s+)?(?:def|class)\s+(\w+)", re.M)


def step_names(step: Step) -> list[str]:
    """Functions/classes an ``edit_file`` step touches (hunk headers and added definitions)."""
    patch = str(step.arguments.get("patch", ""))
    return list(dict.fromkeys(_HUNK_FN_RE.findall(patch) + _ADDED_FN_RE.findall(patch)))[:4]


def observation_summary(step: Step, max_chars: int = 100) -> str:
    """One short line saying what ``step`` returned (the context of the next thought)."""
    obs = step.observation.strip()
    if step.tool == "search":
        hits = [ln for ln in obs.splitlines() if ln.strip()]
        return (f"search found {len(hits)} match(es), first: {hits[0][:max_chars]}" if hits and obs != "no matches"
                else "search found no matches")
    if step.tool == "open_file":
        return f"opened {step.arguments.get('path')} ({obs.count(chr(10)) + 1} lines)"
    if step.tool == "run_tests":
        tail = [ln.strip() for ln in obs.splitlines() if ln.strip()]
        return ("tests: " + tail[-1])[:max_chars] if tail else "tests ran"
    return obs.splitlines()[0][:max_chars] if obs else step.tool


def _test_names(tests: list[str]) -> str:
    names = list(dict.fromkeys(PurePosixPath(t.split("::", 1)[0]).name for t in tests))
    return ", ".join(names[:2]) + (" and others" if len(names) > 2 else "")


def thought_prefill(step: Step) -> str:
    """The opening of the thought, naming the action's target (so thought and action agree); the
    model writes the reason."""
    a = step.arguments
    if step.tool == "search":
        return f"I search for {a['query']} to"
    if step.tool in ("open_file", "edit_file"):
        name = PurePosixPath(str(a["path"])).name
        if step.tool == "open_file":
            return f"I open {name} to"
        return f"To answer the review, I edit {name} to" if step.self_correction else f"I edit {name} to"
    if step.tool == "run_tests":
        return f"I run the tests in {_test_names(list(a.get('tests') or ['tests']))} to"
    return "I submit the change because"


def _next_action(step: Step) -> str:
    a = step.arguments
    if step.tool == "search":
        return f"search {a['query']}"
    if step.tool == "open_file":
        return f"open_file {a['path']}"
    if step.tool == "edit_file":
        c = step.thought_context
        names = step_names(step)
        return (f"edit_file {a['path']} ({c.get('commit_subject', '')}; +{c.get('added', 0)} -{c.get('removed', 0)} "
                f"lines" + (f"; in {', '.join(names)}" if names else "") + ")")
    if step.tool == "run_tests":
        return f"run_tests {_test_names(list(a.get('tests') or ['tests']))}"
    return "submit"


def thought_requests(skeleton: Skeleton, n: int, temperature: float, seed: int = 0, style: str = "full",
                     prefill: bool = False, max_tokens: int = 120) -> list[LLMRequest]:
    """One request per step (``n`` candidates each) for the backend's thoughts. ``style="full"``:
    the task text and the next call as JSON. ``style="short"`` (small models): the goal (PR title),
    the last observation, the next call and its names, after one worked example; ``prefill`` starts
    the answer with ``thought_prefill`` (backends with ``supports_prefill``)."""
    reqs = []
    prev: Step | None = None
    for i, s in enumerate(skeleton.steps):
        c = s.thought_context
        context = {**c, "self_correction": s.self_correction, "source_key": skeleton.task.task_id}
        if style == "full":
            args = {k: (v[:300] if isinstance(v, str) else v) for k, v in s.arguments.items()}
            user = (f"Task:\n{skeleton.task.text[:1500]}\n\nNext action: {s.tool}({json.dumps(args)})")
            reqs.append(LLMRequest(
                task="thought", messages=({"role": "system", "content": THOUGHT_SYSTEM_PROMPT},
                                          {"role": "user", "content": user}),
                context=context, n=n, temperature=temperature, max_tokens=max_tokens, seed=seed + i))
            continue
        last = observation_summary(prev) if prev else ""
        lines = [f"Task: {c.get('pr_title', '')}"]
        if c.get("review"):
            lines.append(f"Review: {c['review'][:200]}")
        lines += [f"Last result: {last or '(nothing yet)'}", f"Next: {_next_action(s)}"]
        reqs.append(LLMRequest(
            task="thought", messages=({"role": "system", "content": SHORT_THOUGHT_SYSTEM_PROMPT},
                                      {"role": "user", "content": THOUGHT_EXAMPLE[0]},
                                      {"role": "assistant", "content": THOUGHT_EXAMPLE[1]},
                                      {"role": "user", "content": "\n".join(lines)}),
            context={**context, "tool": s.tool, "arguments": {k: v for k, v in s.arguments.items() if k != "patch"},
                     "names": step_names(s), "last_result": last},
            n=n, temperature=temperature, max_tokens=max_tokens, seed=seed + i,
            prefill=thought_prefill(s) if prefill else "", stop=("\n",), top_p=0.9 if temperature > 0 else 1.0))
        prev = s
    return reqs


@dataclasses.dataclass
class Trajectory:
    trajectory_id: str
    task_id: str
    kind: str
    repo: str
    source_keys: list[str]
    messages: list[dict[str, Any]]
    observation_kinds: dict[str, str]  # tool_call_id -> real | replayed | synthetic
    generator: str
    stats: dict[str, Any]
    notes: list[str]
    candidate: int = 0
    thought_generators: list[str] = dataclasses.field(default_factory=list)  # per step, in order


def render_trajectory(skeleton: Skeleton, thoughts: list[str], generator: str, candidate: int = 0,
                      thought_generators: list[str] | None = None) -> Trajectory:
    """Messages: system, the task (user), then per step [user notes], assistant thought + tool call,
    tool result; finally an assistant closing message. ``thought_generators``: who wrote each
    thought (default: ``generator`` for all)."""
    if len(thoughts) != len(skeleton.steps):
        raise ValueError("one thought per step")
    task = skeleton.task
    msgs: list[dict[str, Any]] = [{"role": "system", "content": AGENT_SYSTEM_PROMPT},
                                  {"role": "user", "content": task.text}]
    kinds: dict[str, str] = {}
    for i, (step, thought) in enumerate(zip(skeleton.steps, thoughts)):
        msgs += step.before
        call_id = f"call_{i}"
        msgs.append({"role": "assistant", "content": thought.strip(), "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": step.tool, "arguments": json.dumps(step.arguments, ensure_ascii=False)}}]})
        msgs.append({"role": "tool", "tool_call_id": call_id, "name": step.tool, "content": step.observation})
        kinds[call_id] = step.observation_kind
    msgs.append({"role": "assistant", "content": f"Done: {skeleton.steps[-1].arguments['summary']}."})
    return Trajectory(f"{task.task_id}/cand{candidate}", task.task_id, task.kind, task.repo, list(task.source_keys),
                      msgs, kinds, generator, dict(skeleton.stats), list(skeleton.notes), candidate,
                      list(thought_generators or [generator] * len(thoughts)))
