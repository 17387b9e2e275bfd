"""One training loop for every branch that trains a causal LM; reads top to bottom.

Data arrive as token tensors per source with mixture weights; each batch row draws a source by
weight, then a random window. Metrics go to a ``log(step, name, value)`` callback so callers
record them in the run registry without this module touching the warehouse.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Sequence

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


@dataclasses.dataclass
class TrainResult:
    steps: int
    tokens: int
    seconds: float
    tokens_per_s: float
    final_train_loss: float
    val_loss: float | None
    device: str


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


def train_causal_lm(model, sampler: MixtureSampler, cfg: TrainConfig, log: LogFn,
                    val_ids=None) -> TrainResult:
    """AdamW with linear warmup and cosine decay; logs train/loss every step and val/loss every
    ``eval_every`` steps and at the end."""
    import torch

    from ops.lm.model import pick_device

    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    model.to(device).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.95),
    )

    def lr_at(step: int) -> float:
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)

    t0 = time.perf_counter()
    loss_value = float("nan")
    val_loss = None
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        x = sampler.batch().to(device)
        logits = model(input_ids=x[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        loss_value = loss.item()
        log(step, "train/loss", loss_value)
        if val_ids is not None and ((step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps):
            val_loss = evaluate_loss(model, val_ids, cfg.seq_len, cfg.batch_size, cfg.eval_batches, device)
            log(step, "val/loss", val_loss)
    seconds = time.perf_counter() - t0
    tokens = cfg.steps * cfg.batch_size * cfg.seq_len
    log(cfg.steps, "tokens_per_s", tokens / max(seconds, 1e-9))
    return TrainResult(cfg.steps, tokens, seconds, tokens / max(seconds, 1e-9), loss_value, val_loss, device)
