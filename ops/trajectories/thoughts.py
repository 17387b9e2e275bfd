"""The thought gate for model-written thoughts: each candidate must be one complete English
sentence that opens with the step's prefill (naming the action's target), continues with a reason
of 3–30 words that names something from the task or the step (PR title, commit subject, file,
function, search term, review, last result) and names no file, underscored identifier or version
that is not there, holds no code, no loop and no chat boilerplate, and is not the worked example's
reason. A step with no passing candidate gets the template thought,
labelled ``template``. Among passing candidates, one whose skeleton (``ops.trajectories.diversity``)
was not yet used in this build comes first (the others stay for later candidate trajectories)."""
from __future__ import annotations

from ops.llm.base import Completion, LLMBackend, LLMRequest
from ops.llm.text_gate import complete_sentences, invented_name, off_topic, prose_problem
from ops.llm.validated import GateStats, Gated, generate_with_fallback
from ops.trajectories.diversity import thought_skeleton
from ops.trajectories.quality import _mentions
from ops.trajectories.replay import THOUGHT_EXAMPLE

_EXAMPLE_REASON = thought_skeleton(THOUGHT_EXAMPLE[1].split(" to ", 1)[1])


def clean_thought(text: str) -> str:
    """The thought as stored: its first complete sentence (the text itself when there is none)."""
    return complete_sentences(text, 1) or text.strip()


def thought_facts(context: dict) -> list[str]:
    c = context
    return [str(c.get(k) or "") for k in ("pr_title", "commit_subject", "target", "review", "last_result")] + \
        [str(v) for v in (c.get("arguments") or {}).values()] + list(c.get("names") or [])


def thought_problem(req: LLMRequest, text: str) -> str | None:
    """Why a model's thought fails the gate, or None (see the module doc)."""
    sentence = complete_sentences(text, 1)
    if sentence is None:
        return "unfinished: no complete sentence"
    if req.prefill and not sentence.startswith(req.prefill):
        return "unfinished: ended inside the prefilled opening"
    reason = sentence[len(req.prefill):].strip() if req.prefill else sentence
    why = prose_problem(reason, min_words=3, max_words=30)
    if why:
        return why
    if thought_skeleton(reason) == _EXAMPLE_REASON or "parse_config" in reason:
        return "copied: the worked example's reason"
    facts = thought_facts(req.context)
    why = off_topic(reason, facts) or invented_name(reason, facts)
    if why:
        return why
    if not _mentions(sentence, req.context.get("tool", ""), req.context.get("arguments") or {}):
        return "inconsistent: does not name the action's target"
    return None


def gated_thoughts(backend: LLMBackend, requests: list[LLMRequest], max_attempts: int = 2
                   ) -> tuple[list[Gated], GateStats]:
    """Model thoughts through the gate (cleaned to their first sentence), template fallback when a
    step's candidates all fail; ranked for skeletons not yet used."""
    used: set[str] = set()

    def rank(_i: int, good: list[Completion]) -> list[Completion]:
        cleaned = [Completion(clean_thought(c.text), c.generator, c.cached) for c in good]
        fresh = [c for c in cleaned if thought_skeleton(c.text) not in used]
        order = fresh + [c for c in cleaned if c not in fresh]
        used.add(thought_skeleton(order[0].text))
        return order

    return generate_with_fallback(backend, requests, thought_problem, max_attempts, rank)
