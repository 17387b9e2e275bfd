"""GRPO of a tiny rubric-generator LM with TRL on the hybrid reward.

The LM writes a rubric as a line of criterion codes from the built-in bank (``relevant concise
-detailed``; a leading ``-`` negates a criterion). ``decode_codes`` turns the line into a DRB-format
rubric (equal raw weight per code occurrence); the reward function scores that rubric on the
query's preference pairs with the offline scorer. Short code completions keep a 1M-parameter
model on CPU meaningful: the reward varies between samples, so GRPO has a signal.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Callable, Sequence

from ops.rubrics.bank import BANK, BY_KEY
from ops.rubrics.pairs import PreferencePair
from ops.rubrics.reward import RewardWeights, rubric_quality_heuristic
from ops.rubrics.rubric import Rubric, RubricError, build_rubric

CODES = tuple(b.key for b in BANK)
# Longest first so "detailed" is never read as a prefix of a longer code.
_CODE = re.compile("|".join(re.escape(c) for c in sorted(CODES, key=len, reverse=True)))


def decode_codes(text: str) -> tuple[Rubric | None, float]:
    """(rubric or None, format validity in [0, 1] = share of the non-space characters that belong
    to known codes, so "relevant -concise banana" scores 16/22 and codes may run together)."""
    valid, covered = [], 0
    for m in _CODE.finditer(text):
        neg = m.start() > 0 and text[m.start() - 1] == "-"
        valid.append(("-" if neg else "") + m.group(0))
        covered += len(m.group(0)) + neg
    chars = len(re.sub(r"\s", "", text))
    fmt = covered / chars if chars else 0.0
    if not valid:
        return None, fmt
    items = []
    for t in valid:
        b = BY_KEY[t.lstrip("-")]
        if t.startswith("-"):
            items.append((b.dimension, b.negation, b.explanation, 1.0, f"not:{b.check or 'semantic'}"))
        else:
            items.append((b.dimension, b.criterion, b.explanation, 1.0, b.check))
    merged: dict[tuple, float] = {}
    for d, c, e, w, k in items:
        merged[(d, c, e, k)] = merged.get((d, c, e, k), 0.0) + w
    try:
        return build_rubric([(d, c, e, w, k) for (d, c, e, k), w in merged.items()]), fmt
    except RubricError:
        return None, fmt


def _completion_text(completion) -> str:
    if isinstance(completion, list):  # conversational: [{"role": "assistant", "content": ...}]
        return " ".join(str(m.get("content", "")) for m in completion)
    return str(completion)


def make_reward_fn(weights: RewardWeights, embedder=None) -> Callable:
    """A TRL reward function: ``(prompts, completions, query, pairs_json, **kw) -> list[float]``."""
    from ops.rubrics.scorer import score_pairs_offline

    def rubric_hybrid_reward(prompts, completions, query, pairs_json, **kwargs):
        rewards = []
        for comp, q, pj in zip(completions, query, pairs_json):
            rubric, fmt = decode_codes(_completion_text(comp))
            if rubric is None:
                rewards.append(weights.combine(0.0, 0.0, fmt))
                continue
            pairs = [PreferencePair(**p) for p in json.loads(pj)]
            scores = score_pairs_offline(pairs, [rubric] * len(pairs), ["grpo"] * len(pairs), embedder)
            cons = sum((s.total_preferred > s.total_rejected) + 0.5 * (s.total_preferred == s.total_rejected)
                       for s in scores) / max(1, len(scores))
            rewards.append(weights.combine(float(cons), rubric_quality_heuristic(q, rubric), fmt))
        return rewards

    return rubric_hybrid_reward


@dataclasses.dataclass(frozen=True)
class GRPOSizes:
    steps: int = 20
    batch_size: int = 8          # completions per optimizer step (multiple of num_generations)
    num_generations: int = 4     # samples per prompt GRPO compares
    max_completion_length: int = 12
    learning_rate: float = 5e-4
    vocab_size: int = 384
    hidden_size: int = 64
    num_layers: int = 2
    seed: int = 0


@dataclasses.dataclass
class GRPOResult:
    checkpoint: Path
    steps: int
    seconds: float
    first_reward: float
    last_reward: float
    n_params: int
    base_model: str = ""  # the policy's ModelSpec label
    device: str = "cpu"


def policy_spec(sizes: GRPOSizes, spec=None):
    """The policy's ``ModelSpec``: ``spec`` when given (a checkpoint / GGUF / ``smollm2``, or fresh
    sizes), else a fresh Llama of ``sizes``' width and depth."""
    from ops.lm.model import ModelSpec

    if spec is not None:
        return spec
    return ModelSpec(hidden_size=sizes.hidden_size, num_layers=sizes.num_layers, num_heads=4,
                     intermediate_size=sizes.hidden_size * 8 // 3, max_positions=512, seed=sizes.seed)


def _progress_callback():
    """A TrainerCallback reporting optimiser steps to ``ops.progress`` (the demo's bar)."""
    from transformers import TrainerCallback

    from ops.progress import report_progress

    class StepProgress(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            report_progress("GRPO steps", state.global_step, state.max_steps)

    return StepProgress()


def train_rubric_grpo(rows: Sequence[dict], out_dir: Path, sizes: GRPOSizes, weights: RewardWeights,
                      log: Callable[[int, str, float], None], embedder=None, spec=None) -> GRPOResult:
    """Train the policy ``policy_spec(sizes, spec)`` (default: a tiny fresh Llama from ``ops.lm``)
    with TRL's GRPOTrainer on exported rows (``prompt``, ``query``, ``pairs_json``); every logged
    number goes to ``log(step, name, value)``. A fresh policy gets a tokenizer trained on the
    prompts with one token per criterion code; a checkpoint keeps its own tokenizer."""
    import time

    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from ops.lm.model import build_causal_lm, load_tokenizer_for, pick_device
    from ops.lm.tokenizer import train_tokenizer

    if not rows:
        raise ValueError("GRPO needs at least one exported query row")
    spec = policy_spec(sizes, spec)
    device = pick_device(spec.device)
    torch.manual_seed(sizes.seed)
    tok = load_tokenizer_for(spec)
    if tok is None:
        # The tokenizer sees the prompts and the code vocabulary so codes are a few tokens each.
        texts = [r["prompt"][0]["content"] for r in rows] + [" ".join(CODES + tuple("-" + c for c in CODES))] * 20
        tok = train_tokenizer(texts, vocab_size=sizes.vocab_size)
        # Each code is one token, so a random initial model already emits codes now and then and
        # the reward varies between samples from the first step.
        tok.add_tokens([f" {c}" for c in CODES] + [f" -{c}" for c in CODES])
    model = build_causal_lm(spec, tok)
    n_params = sum(p.numel() for p in model.parameters())
    ds = Dataset.from_list([{"prompt": r["prompt"], "query": r["query"], "pairs_json": r["pairs_json"]} for r in rows])
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = GRPOConfig(
        output_dir=str(out_dir / "trainer"), per_device_train_batch_size=sizes.batch_size,
        num_generations=sizes.num_generations, max_completion_length=sizes.max_completion_length,
        max_steps=sizes.steps, learning_rate=sizes.learning_rate, logging_steps=1, report_to="none",
        use_cpu=device == "cpu", bf16=device == "cuda", save_strategy="no", seed=sizes.seed, temperature=1.0, beta=0.0,
        disable_tqdm=True, dataloader_num_workers=0,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[make_reward_fn(weights, embedder)], args=cfg,
                          train_dataset=ds, processing_class=tok)
    trainer.add_callback(_progress_callback())
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    rewards = []
    for entry in trainer.state.log_history:
        step = int(entry.get("step", 0))
        for name, value in entry.items():
            if isinstance(value, (int, float)) and name not in ("step", "epoch") and value == value:
                log(step, f"grpo/{name}", float(value))
        if "reward" in entry:
            rewards.append(float(entry["reward"]))
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))
    return GRPOResult(out_dir, sizes.steps, seconds, rewards[0] if rewards else float("nan"),
                      rewards[-1] if rewards else float("nan"), n_params, spec.label, device)
