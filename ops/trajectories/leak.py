"""Leak check: how much of a task statement was copied from the implementation it hides.

``leak_score(task_text, added_lines)`` = share of the task's token 5-grams that also occur in the
added lines of the diff (0 = nothing copied, 1 = every 5-gram copied), where tokens are
identifiers, numbers and single punctuation marks. Short texts (< n tokens) score 0. Any whole
added line of ≥ 24 non-space characters found verbatim in the task also counts as a leak
(score 1), so a pasted line cannot hide inside a long text.
"""
from __future__ import annotations

import dataclasses
import re

_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")
NGRAM = 5
MIN_VERBATIM_CHARS = 24


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def ngrams(toks: list[str], n: int = NGRAM) -> set[tuple[str, ...]]:
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


@dataclasses.dataclass(frozen=True)
class LeakResult:
    score: float
    shared_ngrams: int
    task_ngrams: int
    verbatim_lines: tuple[str, ...]


def leak_score(task_text: str, added: list[str], n: int = NGRAM) -> LeakResult:
    """Score the leak of ``added`` (diff ``+`` lines) into ``task_text``; see module doc."""
    task_grams = ngrams(tokens(task_text), n)
    diff_grams: set[tuple[str, ...]] = set()
    for line in added:
        diff_grams |= ngrams(tokens(line), n)
    shared = len(task_grams & diff_grams)
    score = shared / len(task_grams) if task_grams else 0.0
    squashed_task = re.sub(r"\s+", "", task_text)
    verbatim = tuple(ln.strip() for ln in added
                     if len(re.sub(r"\s+", "", ln)) >= MIN_VERBATIM_CHARS and re.sub(r"\s+", "", ln) in squashed_task)
    if verbatim:
        score = 1.0
    return LeakResult(score, shared, len(task_grams), verbatim)
