"""Tokens per domain and the training runs of the study (base, components, mixtures, finals),
all through the shared model factory. Every run saves its model with ``save_pretrained``."""
from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Callable, Sequence

from ops.demix.domains import Domain
from ops.demix.sizes import DemixSizes

LogFn = Callable[[int, str, float], None]


@dataclasses.dataclass
class DomainTokens:
    """Token id tensors per domain (1-D LongTensors), in domain order."""

    names: list[str]
    train: list
    held: list


def build_tokens(domains: Sequence[Domain], vocab: int, out_dir: Path):
    """Train one byte-level BPE on all domains' training text (round-robin, so no domain
    dominates the merges), encode train/held-out splits; save both under ``out_dir``.
    Returns (tokenizer, DomainTokens)."""
    import torch

    from ops.lm.tokenizer import train_tokenizer
    from ops.lm.train import encode_corpus

    order = [t for group in zip(*(d.train for d in domains)) for t in group]
    order += [t for d in domains for t in d.train[min(len(x.train) for x in domains):]]
    tokenizer = train_tokenizer(order, vocab_size=vocab)
    tokens = DomainTokens([d.name for d in domains],
                          [encode_corpus(tokenizer, d.train) for d in domains],
                          [encode_corpus(tokenizer, d.held) for d in domains])
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out_dir / "tokenizer"))
    torch.save(dataclasses.asdict(tokens), out_dir / "tokens.pt")
    return tokenizer, tokens


def load_tokens(out_dir: Path):
    """(tokenizer, DomainTokens) saved by ``build_tokens``."""
    import torch

    from ops.lm.tokenizer import load_tokenizer

    return load_tokenizer(out_dir / "tokenizer"), DomainTokens(**torch.load(out_dir / "tokens.pt"))


def component_weights(index: int, n_domains: int, replay: float) -> list[float]:
    """One-hot on ``index`` with ``replay`` of the mass spread uniformly (the base mix)."""
    return [(1 - replay) * (i == index) + replay / n_domains for i in range(n_domains)]


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training run: mixture ``weights`` over domains, from ``init`` (a checkpoint
    directory, or None for a fresh model) for ``steps`` steps at ``lr``."""

    name: str
    weights: tuple[float, ...]
    steps: int
    lr: float
    init: str | None
    seed: int = 0


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` torch intra-op threads (0: unchanged), restoring them after."""
    import torch

    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def eval_windows(tokens: DomainTokens, sizes: DemixSizes):
    """The held-out windows ``evaluate_loss`` would use per domain (the first
    ``eval_batches * batch_size`` contiguous ``seq_len + 1`` windows), stacked for all domains,
    plus each row's domain index."""
    import torch

    rows, owner = [], []
    for d, ids in enumerate(tokens.held):
        n_windows = max(1, min((ids.numel() - 1) // sizes.seq_len, sizes.batch_size * sizes.eval_batches))
        for i in range(n_windows):
            r = ids[i * sizes.seq_len : i * sizes.seq_len + sizes.seq_len + 1]
            if r.numel() == sizes.seq_len + 1:
                rows.append(r)
                owner.append(d)
    return torch.stack(rows), torch.tensor(owner)


def rows_per_forward(sizes: DemixSizes) -> int:
    """Windows per evaluation forward: about 2 Mi logits (8 MB), which stays in cache. On the
    demo model one forward of all 72 windows took 0.055 CPU-s, forwards of 24-48 windows
    0.035 s, of 8 windows 0.05 s (the loss per domain is the same either way)."""
    return max(1, (1 << 21) // (sizes.seq_len * sizes.vocab))


def evaluate_windows(model, windows, owner, n_domains: int, device: str = "cpu",
                     rows_per_forward: int = 32) -> list[float]:
    """Mean next-token loss per domain over pre-built ``eval_windows``: all domains go through
    the model together in forwards of up to ``rows_per_forward`` windows, regardless of which
    domain they come from (the numbers equal ``evaluate_loss``'s up to float rounding)."""
    import torch

    model.eval()
    total = torch.zeros(n_domains, dtype=torch.float64)
    with torch.no_grad():
        for lo in range(0, len(windows), rows_per_forward):
            x = windows[lo : lo + rows_per_forward].to(device)
            logits = model(input_ids=x[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="none")
            per_row = loss.view(x.shape[0], -1).sum(dim=1).double().cpu()
            total.index_add_(0, owner[lo : lo + rows_per_forward], per_row)
    model.train()
    count = torch.bincount(owner, minlength=n_domains).double() * (windows.shape[1] - 1)
    return [float(t / c) if c else float("nan") for t, c in zip(total, count)]


def evaluate_domains(model, tokens: DomainTokens, sizes: DemixSizes, device: str = "cpu") -> list[float]:
    """Held-out loss (nats/token) per domain, in ``tokens.names`` order."""
    windows, owner = eval_windows(tokens, sizes)
    return evaluate_windows(model, windows, owner, len(tokens.names), device, rows_per_forward(sizes))


def train_run(spec: RunSpec, tokens: DomainTokens, tokenizer, sizes: DemixSizes, out_dir: Path,
              log: LogFn, device: str = "auto") -> dict:
    """Train ``spec``, save the model (and tokenizer) to ``out_dir``, return a summary with the
    per-domain held-out losses (``domain_loss``), tokens, seconds and tokens/s."""
    from ops.lm.model import ModelConfig, build_causal_lm
    from ops.lm.train import MixtureSampler, TrainConfig, train_causal_lm

    model_cfg = ModelConfig(checkpoint=spec.init) if spec.init else sizes.model
    model = build_causal_lm(model_cfg, tokenizer)
    cfg = TrainConfig(steps=spec.steps, batch_size=sizes.batch_size, seq_len=sizes.seq_len, lr=spec.lr,
                      warmup_steps=max(1, spec.steps // 10), eval_every=10**9, seed=spec.seed,
                      device=device)
    sampler = MixtureSampler(tokens.train, list(spec.weights), sizes.seq_len, sizes.batch_size, spec.seed)
    with torch_threads(sizes.threads):
        result = train_causal_lm(model, sampler, cfg, log)
        losses = evaluate_domains(model, tokens, sizes, result.device)
    for name, value in zip(tokens.names, losses):
        log(spec.steps, f"val/loss/{name}", value)
    model.to("cpu")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    summary = {"name": spec.name, "weights": list(spec.weights), "domain_loss": losses,
               "tokens": result.tokens, "seconds": result.seconds, "tokens_per_s": result.tokens_per_s,
               "final_train_loss": result.final_train_loss, "device": result.device,
               "checkpoint": str(out_dir)}
    (out_dir / "trainyard_run.json").write_text(json.dumps(summary))
    return summary
