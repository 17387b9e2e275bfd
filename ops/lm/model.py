"""A small Llama-style causal LM built from a config (random init), or any local checkpoint."""
from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture of the tiny model; ``checkpoint`` (a local path) replaces it entirely."""

    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 344
    max_positions: int = 512
    checkpoint: str | None = None
    seed: int = 0

    def __post_init__(self):
        if self.checkpoint is None and self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be divisible by num_heads")


def build_causal_lm(cfg: ModelConfig, tokenizer):
    """Return a ``LlamaForCausalLM`` sized by ``cfg`` for ``tokenizer``'s vocabulary, or the local
    checkpoint named by ``cfg.checkpoint``."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if cfg.checkpoint:
        path = Path(cfg.checkpoint)
        if not path.exists():
            raise FileNotFoundError(f"model checkpoint {path} does not exist")
        return AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    torch.manual_seed(cfg.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config)


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested != "auto":
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"
