"""Query-specific rubrics in DeepResearch Bench format for research queries.

``QuerySpecificDRB`` writes one rubric per query with DRB's four dimensions (comprehensiveness,
insight, instruction_following, readability), dimension weights summing to 1 and weighted
criteria with explanations:

1. the query's own requirements: the prompt is split into clauses (sentences, then "；，;" and
   enumerations); each clause becomes a comprehensiveness criterion ("Covers …") and, when it is an
   instruction (asks to compare, list, evaluate, ...), an instruction-following criterion too;
2. criteria retrieved from the reference rubrics of the ``k`` most similar *other* queries of the
   bank (MiniLM cosine of the prompts, same language first): per dimension the criteria most
   similar to this query, weighted by that similarity;
3. dimension weights: the similarity-weighted mean of the neighbours' dimension weights.

Nothing is copied from an answer; the only query-specific text is the query's own. Evaluated
leave-one-query-out (``loo_eval``): the query's own reference rubric is never in its bank.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ops.rubrics.pairs import detect_language
from ops.rubrics.rubric import Rubric, RubricError, build_rubric, validate_rubric

DRB_DIMENSIONS = ("comprehensiveness", "insight", "instruction_following", "readability")
_INSTRUCTION = re.compile(
    r"\b(compare|contrast|list|evaluate|assess|analy[sz]e|recommend|identify|summari[sz]e|explain|"
    r"describe|discuss|provide|include|propose|predict|estimate|rank|investigate|examine|review|write|"
    r"focus|cite|based on|using|must|should|please)\b|比较|对比|分析|评估|列出|总结|推荐|预测|提供|梳理|"
    r"整理|研究|说明|探讨|给出|撰写", re.I)


@dataclasses.dataclass(frozen=True)
class DRBQuery:
    query_id: str
    prompt: str
    language: str
    rubric: Rubric | None  # the reference rubric (None when the query has none)


def load_drb(query_path: Path, criteria_path: Path) -> tuple[list[DRBQuery], list[tuple[str, str, object]]]:
    """DRB query.jsonl + criteria.jsonl joined by id; rejects: (key, reason, record)."""
    from ops.rubrics.rubric import load_criteria_bank
    from ops.rubrics.pairs import iter_jsonl

    entries, rejects = load_criteria_bank(criteria_path)
    by_id = {e.query_id: e for e in entries}
    out = []
    for n, obj, err in iter_jsonl(query_path):
        key = f"{Path(query_path).name}:{n}"
        if err or not isinstance(obj, dict) or not str(obj.get("prompt") or "").strip():
            rejects.append((key, err or "query record needs a non-empty 'prompt'", obj))
            continue
        qid = str(obj.get("id", n))
        prompt = str(obj["prompt"])
        lang = str(obj.get("language") or detect_language(prompt))
        out.append(DRBQuery(qid, prompt, lang, by_id[qid].rubric if qid in by_id else None))
    return out, rejects


def clauses(prompt: str, max_clauses: int = 8) -> list[str]:
    """The prompt's requirement clauses, longest-first de-duplicated, in prompt order."""
    parts = re.split(r"(?<=[.!?。！？；;])\s*|\n+", prompt)
    out: list[str] = []
    for part in parts:
        sub = re.split(r"[，,；;：:]\s*(?=\S)", part) if len(part) > 160 else [part]
        for s in sub:
            s = s.strip(" \t-•*.。;；,，")
            words = len(re.findall(r"[A-Za-z]+", s)) + len(re.findall(r"[\u4e00-\u9fff]", s)) / 2
            if words >= 3 and s not in out:
                out.append(s)
    return out[:max_clauses]


def _short(text: str, n: int = 140) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


class QuerySpecificDRB:
    """Query-specific DRB-format rubric writer over a bank of reference rubrics."""

    name = "query-specific-drb"

    def __init__(self, bank: Sequence[DRBQuery], embedder, k: int = 6, per_dimension: int = 8):
        self.bank = [b for b in bank if b.rubric is not None]
        self.embedder = embedder
        self.k, self.per_dimension = k, per_dimension
        self._bank_q = embedder.encode([b.prompt for b in self.bank]) if self.bank else np.zeros((0, 384))

    def generate(self, prompt: str, exclude_id: str | None = None, language: str | None = None) -> Rubric:
        lang = language or detect_language(prompt)
        zh = lang == "zh"
        eq = self.embedder.encode([prompt])[0]
        sims = self._bank_q @ eq
        allowed = [i for i, b in enumerate(self.bank) if b.query_id != exclude_id]
        # same-language neighbours first (MiniLM is English-centred; zh criteria for zh queries)
        allowed.sort(key=lambda i: (self.bank[i].language != lang, -sims[i]))
        nbrs = allowed[: self.k]
        if not nbrs:
            raise RubricError(["the criteria bank has no other query to learn from"])
        nw = np.clip(np.array([sims[i] for i in nbrs]), 0.05, None)
        dim_w = {d: float(sum(w * self.bank[i].rubric.dimension_weight.get(d, 0.0) for w, i in zip(nw, nbrs)) / nw.sum())
                 for d in DRB_DIMENSIONS}
        items: list[tuple[str, str, str, float, str]] = []
        own = clauses(prompt)
        for c in own:
            items.append(("comprehensiveness", (f"覆盖：{_short(c)}" if zh else f"Covers: {_short(c)}"),
                          (f"报告是否完整、有依据地回应了查询中的这一要求：“{c}”。" if zh else
                           f"Judges whether the report fully and concretely addresses this part of the query: \"{c}\"."),
                          1.0, "semantic"))
            if _INSTRUCTION.search(c):
                items.append(("instruction_following", (f"按要求完成：{_short(c)}" if zh else f"Does what the query asks: {_short(c)}"),
                              (f"报告是否严格按照查询的指示执行（范围、对象、形式）：“{c}”。" if zh else
                               f"Judges whether the report follows this instruction of the query in scope, subject and form: \"{c}\"."),
                              1.0, "semantic"))
        # retrieved criteria, per dimension, most similar to this query first
        for dim in DRB_DIMENSIONS:
            cand: dict[str, tuple[str, float]] = {}
            for w, i in zip(nw, nbrs):
                for c in self.bank[i].rubric.criterions.get(dim, ()):
                    if c.criterion not in cand:
                        cand[c.criterion] = (c.explanation, float(w) * c.weight)
            if not cand:
                continue
            names = list(cand)
            ec = self.embedder.encode(names)
            rel = ec @ eq
            n_own = sum(1 for it in items if it[0] == dim)
            keep = np.argsort(-rel)[: max(2, self.per_dimension - n_own)]
            for j in keep:
                n = names[j]
                items.append((dim, n, cand[n][0], max(0.05, float(rel[j])) * (0.5 + cand[n][1]), "semantic"))
        # build per dimension so the dimension weights are the neighbours' (build_rubric would
        # otherwise derive them from the raw criterion weights)
        by_dim: dict[str, list] = {}
        for it in items:
            by_dim.setdefault(it[0], []).append(it)
        scaled = []
        for dim, its in by_dim.items():
            tot = sum(it[3] for it in its)
            scaled += [(d, c, e, dim_w[dim] * w / tot, k) for d, c, e, w, k in its]
        return build_rubric(scaled)


def coverage(generated: Rubric, reference: Rubric, embedder) -> float:
    """Mean over reference criteria of the max cosine to any generated criterion (names only)."""
    ref = [c.criterion for _, c, _ in reference.flat()]
    gen = [c.criterion for _, c, _ in generated.flat()]
    return float(np.mean(np.max(embedder.encode(ref) @ embedder.encode(gen).T, axis=1)))


@dataclasses.dataclass
class LooResult:
    n: int
    valid: int
    distinct: int
    coverage_en: float
    coverage_zh: float
    baseline_nearest_en: float   # the nearest other query's reference rubric as is
    baseline_other_en: float     # a fixed other query's reference rubric (the next id)
    per_query: list[dict]


def loo_eval(queries: Sequence[DRBQuery], embedder, k: int = 6, per_dimension: int = 8) -> LooResult:
    """Leave-one-query-out over the bank: generate each query's rubric without its own reference."""
    gen = QuerySpecificDRB(queries, embedder, k, per_dimension)
    rows, seen = [], set()
    with_ref = [q for q in queries if q.rubric is not None]
    bank_q = embedder.encode([q.prompt for q in with_ref])
    for qi, q in enumerate(with_ref):
        try:
            r = gen.generate(q.prompt, exclude_id=q.query_id, language=q.language)
            errors = validate_rubric(r.as_dict())
        except RubricError as exc:
            r, errors = None, exc.reasons
        valid = r is not None and not errors and set(r.dimension_weight) == set(DRB_DIMENSIONS)
        key = json.dumps(r.as_dict(), sort_keys=True, ensure_ascii=False) if r else None
        seen.add(key)
        sims = bank_q @ bank_q[qi]
        sims[qi] = -9
        same = [j for j in range(len(with_ref)) if with_ref[j].language == q.language and j != qi]
        nearest = max(same, key=lambda j: sims[j]) if same else int(np.argmax(sims))
        other = same[(same.index(nearest) + 1) % len(same)] if same else (qi + 1) % len(with_ref)
        other = (qi + 1) % len(with_ref) if with_ref[(qi + 1) % len(with_ref)].language == q.language else other
        rows.append({"query_id": q.query_id, "language": q.language, "valid": valid,
                     "coverage": coverage(r, q.rubric, embedder) if r else 0.0,
                     "nearest": coverage(with_ref[nearest].rubric, q.rubric, embedder),
                     "other": coverage(with_ref[other].rubric, q.rubric, embedder)})
    en = [r for r in rows if r["language"] == "en"]
    zh = [r for r in rows if r["language"] == "zh"]

    def mean(rs, key):
        return float(np.mean([r[key] for r in rs])) if rs else float("nan")

    return LooResult(len(rows), sum(r["valid"] for r in rows), len(seen - {None}), mean(en, "coverage"),
                     mean(zh, "coverage"), mean(en, "nearest"), mean(en, "other"), rows)
