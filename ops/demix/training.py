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


def evaluate_domains(model, tokens: DomainTokens, sizes: DemixSizes, device: str = "cpu") -> list[float]:
    """Held-out loss (nats/token) per domain, in ``tokens.names`` order."""
    from ops.lm.train import evaluate_loss

    return [evaluate_loss(model, ids, sizes.seq_len, sizes.batch_size, sizes.eval_batches, device)
            for ids in tokens.held]


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
