"""One training loop for every branch that trains a causal LM; reads top to bottom.

Data arrive from a sampler whose ``batch()`` returns either a LongTensor of ``seq_len + 1`` token
windows (plain LM) or a dict ``{input_ids, labels, attention_mask}`` with labels already shifted
into place and ``-100`` on positions that carry no loss (SFT). The loop: AdamW, linear warmup then
cosine decay, gradient accumulation, bf16 autocast on CUDA only (CPU stays fp32), periodic
checkpoints (model + optimiser + sampler RNG + step) with resume, tokens/s. Metrics go to a
``log(step, name, value)`` callback so callers record them in the run registry without this module
touching the warehouse.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Sequence

from ops.progress import report_progress

LogFn = Callable[[int, str, float], None]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    steps: int = 100
    batch_size: int = 8
    seq_len: int = 128
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 10
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    eval_every: int = 50
    eval_batches: int = 8
    seed: int = 0
    device: str = "auto"
    grad_accum: int = 1  # micro-batches per optimiser step (effective batch = batch_size * grad_accum)
    checkpoint_every: int = 0  # optimiser steps between resumable checkpoints (0: none)
    checkpoint_dir: str = ""  # where ``last.pt`` lives; an existing one is resumed from
    autocast_bf16: bool = True  # bf16 autocast on CUDA (never on CPU)


@dataclasses.dataclass
class TrainResult:
    steps: int
    tokens: int
    seconds: float
    tokens_per_s: float
    final_train_loss: float
    val_loss: float | None
    device: str
    resumed_from: int = 0  # the step a checkpoint resumed from (0: fresh start)


def encode_corpus(tokenizer, texts: Sequence[str]):
    """Concatenate documents into one 1-D LongTensor, eos between documents."""
    import torch

    ids: list[int] = []
    for enc in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
        ids.append(tokenizer.eos_token_id)
    return torch.tensor(ids, dtype=torch.long)


class MixtureSampler:
    """Random windows of ``seq_len + 1`` tokens; each row's source drawn by ``weights``."""

    def __init__(self, sources, weights: Sequence[float], seq_len: int, batch_size: int, seed: int):
        import torch

        if len(sources) != len(weights):
            raise ValueError("one weight per source")
        total = float(sum(weights))
        if not math.isfinite(total) or total <= 0 or any(w < 0 for w in weights):
            raise ValueError(f"mixture weights must be non-negative with a positive sum: {weights}")
        for i, src in enumerate(sources):
            if weights[i] > 0 and src.numel() < seq_len + 2:
                raise ValueError(f"source {i} has {src.numel()} tokens, fewer than seq_len+2")
        self.sources = sources
        self.probs = torch.tensor([w / total for w in weights], dtype=torch.double)
        self.seq_len, self.batch_size = seq_len, batch_size
        self.gen = torch.Generator().manual_seed(seed)

    def state(self):
        return self.gen.get_state()

    def set_state(self, state) -> None:
        self.gen.set_state(state)

    def batch(self):
        import torch

        picks = torch.multinomial(self.probs, self.batch_size, replacement=True, generator=self.gen)
        rows = []
        for p in picks.tolist():
            src = self.sources[p]
            start = int(torch.randint(0, src.numel() - self.seq_len - 1, (1,), generator=self.gen))
            rows.append(src[start : start + self.seq_len + 1])
        return torch.stack(rows)


def evaluate_loss(model, ids, seq_len: int, batch_size: int = 8, max_batches: int = 8,
                  device: str = "cpu") -> float:
    """Mean next-token loss (nats per token) over contiguous windows from the start of ``ids``."""
    import torch

    model.eval()
    n_windows = max(1, min((ids.numel() - 1) // seq_len, batch_size * max_batches))
    total, count = 0.0, 0
    with torch.no_grad():
        for b in range(0, n_windows, batch_size):
            rows = [ids[i * seq_len : i * seq_len + seq_len + 1] for i in range(b, min(b + batch_size, n_windows))]
            rows = [r for r in rows if r.numel() == seq_len + 1]
            if not rows:
                break
            x = torch.stack(rows).to(device)
            logits = model(input_ids=x[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="sum")
            total += float(loss)
            count += x[:, 1:].numel()
    model.train()
    return total / count if count else float("nan")


def lr_at(cfg: TrainConfig, step: int) -> float:
    """Linear warmup to ``cfg.lr`` over ``warmup_steps``, then cosine decay to ``min_lr_ratio``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def batch_loss(model, batch, device: str):
    """(mean loss over labelled positions, number of input tokens) for one micro-batch."""
    import torch

    if isinstance(batch, dict):
        ids = batch["input_ids"].to(device)
        labels = batch["labels"].to(device)
        mask = batch.get("attention_mask")
        logits = model(input_ids=ids, attention_mask=None if mask is None else mask.to(device)).logits
        tokens = int(mask.sum()) if mask is not None else ids.numel()
    else:
        x = batch.to(device)
        ids, labels = x[:, :-1], x[:, 1:]
        logits = model(input_ids=ids).logits
        tokens = ids.numel()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1),
                                             ignore_index=-100)
    return loss, tokens


def _save_checkpoint(path, model, opt, sampler, step: int, tokens: int) -> None:
    import os

    import torch

    state = {"step": step, "tokens": tokens, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "torch_rng": torch.get_rng_state()}
    if hasattr(sampler, "state"):
        state["sampler"] = sampler.state()
    tmp = f"{path}.tmp{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a kill -9 leaves the previous checkpoint intact


def train_causal_lm(model, sampler, cfg: TrainConfig, log: LogFn, val_ids=None) -> TrainResult:
    """Train ``model`` for ``cfg.steps`` optimiser steps (see module doc); logs ``train/loss`` and
    ``train/lr`` every step, ``val/loss`` every ``eval_every`` steps and at the end, and
    ``tokens_per_s`` at the end. With ``checkpoint_dir`` and an existing ``last.pt`` there, training
    resumes after the checkpointed step and ends at the same ``cfg.steps``."""
    import contextlib
    from pathlib import Path

    import torch

    from ops.lm.model import pick_device

    if cfg.grad_accum < 1:
        raise ValueError("grad_accum must be >= 1")
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    model.to(device).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.95),
    )
    ckpt = Path(cfg.checkpoint_dir) / "last.pt" if cfg.checkpoint_dir else None
    start, tokens = 0, 0
    if ckpt is not None and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        if "sampler" in state and hasattr(sampler, "set_state"):
            sampler.set_state(state["sampler"])
        start, tokens = int(state["step"]), int(state["tokens"])
        log(start, "train/resumed_from_step", float(start))
    if ckpt is not None:
        ckpt.parent.mkdir(parents=True, exist_ok=True)
    use_autocast = cfg.autocast_bf16 and device.startswith("cuda")

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16) if use_autocast else contextlib.nullcontext()

    t0 = time.perf_counter()
    loss_value = float("nan")
    val_loss = None
    run_tokens = 0
    for step in range(start, cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(cfg, step)
        opt.zero_grad(set_to_none=True)
        step_loss = 0.0
        for _ in range(cfg.grad_accum):
            with autocast():
                loss, n_tok = batch_loss(model, sampler.batch(), device)
            (loss / cfg.grad_accum).backward()
            step_loss += loss.detach()
            run_tokens += n_tok
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        loss_value = float(step_loss) / cfg.grad_accum
        log(step, "train/loss", loss_value)
        report_progress("train steps", step + 1, cfg.steps)
        if val_ids is not None and ((step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps):
            with autocast():
                val_loss = evaluate_loss(model, val_ids, cfg.seq_len, cfg.batch_size, cfg.eval_batches, device)
            log(step, "val/loss", val_loss)
        if ckpt is not None and cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0 \
                and step + 1 < cfg.steps:
            _save_checkpoint(ckpt, model, opt, sampler, step + 1, tokens + run_tokens)
    seconds = time.perf_counter() - t0
    tokens += run_tokens
    tps = run_tokens / max(seconds, 1e-9)
    log(cfg.steps, "tokens_per_s", tps)
    return TrainResult(cfg.steps, tokens, seconds, tps, loss_value, val_loss, device, start)
