"""How varied the written thoughts are: a thought's *skeleton* is its text with everything
task-specific masked (file paths, backticked or quoted terms, PR/issue numbers, other numbers,
identifiers with underscores or dots), lower-cased, whitespace collapsed. A template writes few
skeletons whatever the task; a model should write about one per thought. The share of distinct
skeletons among thoughts is reported per generator with a Clopper–Pearson interval."""
from __future__ import annotations

import dataclasses
import json
import re
from typing import Iterable

_MASKS = [
    (re.compile(r"`[^`]*`"), "<code>"),
    (re.compile(r"\"[^\"]*\"|'[^'\s][^']*'"), "<quote>"),
    (re.compile(r"(?:[\w.-]+/)+[\w.-]+|\b[\w-]+\.(?:py|txt|md|rst|toml|cfg|ini|json|yaml|yml|pyi|in)\b"), "<file>"),
    (re.compile(r"#\d+"), "<ref>"),
    (re.compile(r"\b\w+(?:[._]\w+)+\b"), "<ident>"),
    (re.compile(r"[+-]?\d+(?:\.\d+)?"), "<n>"),
]


def thought_skeleton(text: str) -> str:
    s = text
    for pattern, repl in _MASKS:
        s = pattern.sub(repl, s)
    return re.sub(r"\s+", " ", s.lower()).strip()


@dataclasses.dataclass
class Diversity:
    generator: str
    thoughts: int
    distinct: int
    share: float
    ci: tuple[float, float]
    top: list[tuple[str, int]]


def thoughts_of(messages_json: str) -> list[str]:
    """The assistant thoughts (content of assistant turns that make a tool call)."""
    return [m.get("content") or "" for m in json.loads(messages_json)
            if m.get("role") == "assistant" and m.get("tool_calls")]


def thought_diversity(rows: Iterable[tuple[str, str]]) -> list[Diversity]:
    """``rows``: (generator, thought) pairs → one ``Diversity`` per generator (largest first)."""
    from collections import Counter

    from ops.report import clopper_pearson_ci as clopper_pearson

    by_gen: dict[str, Counter] = {}
    for gen, thought in rows:
        by_gen.setdefault(gen, Counter())[thought_skeleton(thought)] += 1
    out = []
    for gen, counts in by_gen.items():
        n, k = sum(counts.values()), len(counts)
        out.append(Diversity(gen, n, k, k / n if n else float("nan"), clopper_pearson(k, n),
                             counts.most_common(3)))
    return sorted(out, key=lambda d: -d.thoughts)


ALL = "(all generators)"


def diversity_metrics(pairs: list[tuple[str, str]], task_generators: list[str]
                      ) -> tuple[list[Diversity], dict[str, tuple[float, int, float, float]]]:
    """Per-generator diversity plus the same over all thoughts (``ALL``), and the shares of thoughts
    and of task statements written by a model (not ``template``): {name: (share, n, low, high)}."""
    from ops.trajectories.sft import clopper_pearson

    found = thought_diversity(pairs)
    if len({g for g, _ in pairs}) > 1:
        found.append(dataclasses.replace(thought_diversity([(ALL, t) for _, t in pairs])[0]))
    extra = {}
    for name, gens in (("thoughts_written_by_model_share", [g for g, _ in pairs]),
                       ("task_statements_written_by_model_share", task_generators)):
        if gens:
            k = sum(g != "template" for g in gens)
            extra[name] = (k / len(gens), len(gens), *clopper_pearson(k, len(gens)))
    return found, extra
