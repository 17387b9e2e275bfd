"""The spine's proof that the model factory works end to end: train the tokenizer and a tiny LM
on the embedded corpus and measure held-out loss. Sizes per profile."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable

from ops.corpus import Document
from ops.lm.model import ModelConfig, build_causal_lm
from ops.lm.tokenizer import train_tokenizer
from ops.lm.train import MixtureSampler, TrainConfig, TrainResult, encode_corpus, train_causal_lm

SIZES = {
    "tiny": {"stdlib_files": 12, "vocab": 512, "train": TrainConfig(steps=6, batch_size=4, seq_len=64, eval_every=6, eval_batches=2)},
    "demo": {"stdlib_files": 80, "vocab": 2048, "train": TrainConfig(steps=120, batch_size=8, seq_len=128, eval_every=40)},
    "full": {"stdlib_files": 400, "vocab": 8192, "train": TrainConfig(steps=2000, batch_size=16, seq_len=256, eval_every=200)},
}


@dataclasses.dataclass
class CorpusLM:
    result: TrainResult
    checkpoint: Path
    model_config: ModelConfig
    train_config: TrainConfig


def train_corpus_lm(
    train_docs: list[Document],
    held_docs: list[Document],
    out_dir: Path,
    vocab_size: int,
    train_cfg: TrainConfig,
    model_cfg: ModelConfig,
    log: Callable[[int, str, float], None],
) -> CorpusLM:
    """Train tokenizer + model, save both with ``save_pretrained`` into ``out_dir``."""
    tokenizer = train_tokenizer((d.text for d in train_docs), vocab_size=vocab_size)
    model = build_causal_lm(model_cfg, tokenizer)
    train_ids = encode_corpus(tokenizer, [d.text for d in train_docs])
    val_ids = encode_corpus(tokenizer, [d.text for d in held_docs])
    sampler = MixtureSampler([train_ids], [1.0], train_cfg.seq_len, train_cfg.batch_size, train_cfg.seed)
    result = train_causal_lm(model, sampler, train_cfg, log, val_ids=val_ids)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    (out_dir / "trainyard_result.json").write_text(json.dumps(dataclasses.asdict(result)))
    return CorpusLM(result, out_dir, model_cfg, train_cfg)
