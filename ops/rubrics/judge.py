"""LLM-judge scoring through any ``ops.llm`` backend: one request (task ``judge``) per (answer,
rubric) asking for a 0–10 score per numbered criterion; scores are stored as score/10.

The template backend renders ``judge`` offline (labelled generator=template): rule checks as in
the offline scorer, other criteria by word overlap between the answer and the criterion text."""
from __future__ import annotations

import json
import re
from typing import Sequence

from ops.rubrics.pairs import PreferencePair
from ops.rubrics.rubric import Rubric
from ops.rubrics.scorer import PairScore, RULE_CHECKS, rule_score, split_check

JUDGE_SYSTEM = ("You grade one answer against a rubric. For each numbered criterion give a score from 0 "
                '(not met) to 10 (fully met). Reply with JSON only: {"scores": [s1, s2, ...]}.')
_WORDS = re.compile(r"[A-Za-z]{3,}|[\u4e00-\u9fff]")


def judge_request(query: str, answer: str, rubric: Rubric):
    from ops.llm.base import LLMRequest

    crits = [c for _, c, _ in rubric.flat()]
    listing = "\n".join(f"{i + 1}. {c.criterion}: {c.explanation}" for i, c in enumerate(crits))
    return LLMRequest(task="judge", messages=(
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": f"Query:\n{query}\n\nAnswer:\n{answer}\n\nCriteria:\n{listing}"}),
        context={"query": query, "answer": answer,
                 "criteria": [{"criterion": c.criterion, "explanation": c.explanation, "check": c.check} for c in crits]},
        max_tokens=16 + 6 * len(crits))


def parse_judge_scores(text: str, n: int) -> list[float]:
    """n scores in [0, 1] from ``{"scores": [...]}``; raises ValueError naming what was wrong."""
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise ValueError("judge reply holds no JSON object")
    try:
        scores = json.loads(m.group(0)).get("scores")
    except (json.JSONDecodeError, AttributeError):
        raise ValueError("judge reply is not a JSON object with 'scores'") from None
    if not isinstance(scores, list) or len(scores) != n:
        raise ValueError(f"judge gave {len(scores) if isinstance(scores, list) else 'no'} scores for {n} criteria")
    try:
        return [min(10.0, max(0.0, float(s))) / 10.0 for s in scores]
    except (TypeError, ValueError):
        raise ValueError("judge scores must be numbers") from None


def score_pairs_judge(pairs: Sequence[PreferencePair], rubrics: Sequence[Rubric], rubric_ids: Sequence[str],
                      backend) -> tuple[list[PairScore], list[tuple[str, str, dict]]]:
    """Judge both answers of each pair with its rubric; a pair whose reply cannot be parsed is
    returned as a reject ``(pair_id|rubric_id, reason, record)`` instead of a score."""
    reqs = [judge_request(p.query, ans, r) for p, r in zip(pairs, rubrics) for ans in (p.answer_a, p.answer_b)]
    replies = backend.generate(reqs)
    out, rejects = [], []
    for k, (p, r, rid) in enumerate(zip(pairs, rubrics, rubric_ids)):
        flat = r.flat()
        ca, cb = replies[2 * k][0], replies[2 * k + 1][0]
        try:
            sa, sb = parse_judge_scores(ca.text, len(flat)), parse_judge_scores(cb.text, len(flat))
        except ValueError as exc:
            rejects.append((f"{p.pair_id}|{rid}", f"judge {ca.generator}: {exc}", {"reply_a": ca.text[:500], "reply_b": cb.text[:500]}))
            continue
        per = [(d, c, w, a, b) for (d, c, w), a, b in zip(flat, sa, sb)]
        out.append(PairScore(p, rid, per, sum(w * a for _, _, w, a, _ in per), sum(w * b for *_, w, _, b in per),
                             f"judge:{ca.generator}"))
    return out, rejects


def _register_templates() -> None:
    from ops.llm.base import register_template

    @register_template("judge")
    def _render_judge(req) -> str:
        ctx = req.context
        answer, query = ctx["answer"], ctx["query"]
        words = set(w.lower() for w in _WORDS.findall(answer))
        scores = []
        for c in ctx["criteria"]:
            neg, base = split_check(c.get("check", ""))
            if base in RULE_CHECKS or base.startswith(("keywords:", "behaviour:")):
                s = rule_score(base, answer, query)
            else:
                target = set(w.lower() for w in _WORDS.findall(f"{c['criterion']} {c['explanation']}"))
                s = len(words & target) / max(1, len(target))
            scores.append(round(10 * ((1 - s) if neg else s), 3))
        return json.dumps({"scores": scores})


_register_templates()
