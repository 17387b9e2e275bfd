"""Hybrid reward per (query, rubric) and the rubric preference data exported for TRL.

reward = w_consistency × preference consistency (share of the query's pairs whose preferred
answer the rubric scores higher; ties ½) + w_judge × judge quality (a judge's 0–1 rating of the
rubric) + w_format × format validity (1 valid DRB rubric, 0 rejected). Weights are configurable.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Sequence

from ops.rubrics.generators import topic_words
from ops.rubrics.rubric import Rubric, RubricError, parse_rubric


@dataclasses.dataclass(frozen=True)
class RewardWeights:
    consistency: float = 0.6
    judge: float = 0.2
    format: float = 0.2

    def __post_init__(self):
        for name in ("consistency", "judge", "format"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"reward weight {name} must be a number >= 0, not {v!r}")
        if self.consistency + self.judge + self.format <= 0:
            raise ValueError("reward weights must not all be 0")

    def combine(self, consistency: float, judge: float, fmt: float) -> float:
        total = self.consistency + self.judge + self.format
        return (self.consistency * consistency + self.judge * judge + self.format * fmt) / total


def query_key(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def rubric_quality_heuristic(query: str, rubric: Rubric) -> float:
    """Offline stand-in for an LLM judge's rating of a rubric, in [0, 1] (labelled template):
    0.4 × share of the query's content words some criterion mentions (1 when none) +
    0.3 × share of distinct criterion texts + 0.3 × (1 if 3–16 criteria else 0.5)."""
    crits = [c for _, c, _ in rubric.flat()]
    text = " ".join(f"{c.criterion} {c.explanation}".lower() for c in crits)
    words = topic_words(query)
    coverage = sum(w.lower() in text for w in words) / len(words) if words else 1.0
    distinct = len({c.criterion for c in crits}) / len(crits)
    size_ok = 1.0 if 3 <= len(crits) <= 16 else 0.5
    return 0.4 * coverage + 0.3 * distinct + 0.3 * size_ok


JUDGE_QUALITY_SYSTEM = ("Rate how well this rubric would let a grader tell which of two answers to the "
                        'query is better: specific to the query, distinct criteria, sensible weights. '
                        'Reply with JSON {"score": <0-10>}.')


def judge_rubric_quality(items: Sequence[tuple[str, Rubric]], backend) -> list[float]:
    """0–1 quality of each (query, rubric) from an ``ops.llm`` backend (task ``rubric_quality``);
    an unparseable reply scores 0 (the judge failed to rate, so the rubric earns nothing)."""
    from ops.llm.base import LLMRequest

    reqs = [LLMRequest(task="rubric_quality",
                       messages=({"role": "system", "content": JUDGE_QUALITY_SYSTEM},
                                 {"role": "user", "content": f"Query:\n{q}\n\nRubric:\n{r.to_json()}"}),
                       context={"query": q, "rubric": r.as_dict()}, max_tokens=64)
            for q, r in items]
    out = []
    for comps in backend.generate(reqs):
        m = re.search(r'"score"\s*:\s*(-?\d+(?:\.\d+)?)', comps[0].text)
        out.append(min(1.0, max(0.0, float(m.group(1)) / 10.0)) if m else 0.0)
    return out


def _register_templates() -> None:
    from ops.llm.base import register_template

    @register_template("rubric_quality")
    def _render_quality(req) -> str:
        rubric = parse_rubric(req.context["rubric"])
        return json.dumps({"score": round(10 * rubric_quality_heuristic(req.context["query"], rubric), 3)})


_register_templates()


@dataclasses.dataclass(frozen=True)
class RewardRow:
    query_key: str
    query: str
    rubric_id: str
    generator: str
    n_pairs: int
    consistency: float
    judge_quality: float
    format_valid: float
    reward: float


def hybrid_rewards(per_query: Sequence[tuple[str, str, str, Rubric | None, Sequence[float]]],
                   judge: Sequence[float], weights: RewardWeights) -> list[RewardRow]:
    """``per_query``: (query, rubric_id, generator, rubric or None when invalid, per-pair
    correctness 1/½/0); ``judge``: quality per item (ignored for invalid rubrics)."""
    rows = []
    for (query, rid, gen, rubric, correct), jq in zip(per_query, judge):
        valid = rubric is not None
        cons = float(sum(correct) / len(correct)) if valid and correct else 0.0
        jq = float(jq) if valid else 0.0
        rows.append(RewardRow(query_key(query), query, rid, gen, len(correct), cons, jq, float(valid),
                              weights.combine(cons, jq, float(valid))))
    return rows


GRPO_INSTRUCTION = "Write the rubric codes for this query."


def export_grpo_dataset(groups: Sequence[tuple[str, Sequence[dict]]], rewards: Sequence[RewardRow],
                        out_dir: Path) -> tuple[Path, Path]:
    """Write ``rubric_grpo.jsonl`` and ``.parquet``: one row per query with the conversational
    ``prompt`` TRL's GRPOTrainer reads, the pairs a reward function scores rubrics on
    (``pairs_json``) and the reference rubrics' rewards (``reference_json``)."""
    import polars as pl

    by_query: dict[str, list[dict]] = {}
    for r in rewards:
        by_query.setdefault(r.query_key, []).append(
            {"rubric_id": r.rubric_id, "generator": r.generator, "reward": r.reward,
             "consistency": r.consistency, "judge_quality": r.judge_quality, "format_valid": r.format_valid})
    rows = []
    for query, pairs in groups:
        rows.append({
            "prompt": [{"role": "user", "content": f"{GRPO_INSTRUCTION}\nQuery: {query[-600:]}"}],
            "query": query, "query_key": query_key(query),
            "pairs_json": json.dumps(list(pairs), ensure_ascii=False),
            "reference_json": json.dumps(by_query.get(query_key(query), []), ensure_ascii=False),
        })
    out_dir.mkdir(parents=True, exist_ok=True)
    jsonl = out_dir / "rubric_grpo.jsonl"
    with jsonl.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    parquet = out_dir / "rubric_grpo.parquet"
    pl.DataFrame(rows).write_parquet(parquet)
    return jsonl, parquet


def parse_or_none(text: str) -> tuple[Rubric | None, str]:
    try:
        return parse_rubric(text), ""
    except RubricError as exc:
        return None, str(exc)
