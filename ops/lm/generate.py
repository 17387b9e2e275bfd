"""Batched generation with a transformers causal LM: left padding, KV cache, greedy or sampled,
stop sequences; returns texts and the number of generated tokens so callers log tokens/s."""
from __future__ import annotations

import dataclasses
import time
from typing import Sequence


@dataclasses.dataclass
class Generated:
    texts: list[str]
    new_tokens: int  # generated tokens summed over the batch (up to eos / stop)
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.new_tokens / max(self.seconds, 1e-9)


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to the earliest stop sequence (the stop itself dropped)."""
    cut = len(text)
    for s in stop:
        if s:
            at = text.find(s)
            if 0 <= at < cut:
                cut = at
    return text[:cut]


def generate_batch(model, tok, prompts: Sequence[Sequence[int]], max_new_tokens: int, *, batch_size: int = 8,
                   temperature: float = 0.0, num_return_sequences: int = 1, seed: int = 0,
                   stop: Sequence[str] = (), device: str | None = None,
                   repetition_penalty: float = 1.0, top_p: float = 1.0,
                   no_repeat_ngram_size: int = 0) -> Generated:
    """Generate for token-id ``prompts`` in batches of ``batch_size`` (left-padded, KV cache on).
    With ``temperature > 0`` each prompt gets ``num_return_sequences`` samples (texts are grouped per
    prompt, in order); greedy returns one text per prompt. Texts are cut at ``stop`` sequences.
    ``repetition_penalty`` > 1 (CTRL-style, transformers) keeps small models out of greedy loops;
    ``no_repeat_ngram_size`` > 0 forbids repeating any n-gram (a gentler guard for sampled text);
    ``top_p`` < 1 samples from the nucleus only."""
    import torch

    device = device or str(next(model.parameters()).device)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    sample = temperature > 0
    k = max(1, num_return_sequences) if sample else 1
    texts: list[str] = []
    new_tokens = 0
    model.eval()
    t0 = time.perf_counter()
    for b in range(0, len(prompts), batch_size):
        chunk = [list(p) for p in prompts[b:b + batch_size]]
        width = max(len(p) for p in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, p in enumerate(chunk):
            ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p):] = 1
        torch.manual_seed(seed + b)
        with torch.no_grad():
            out = model.generate(
                input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
                do_sample=sample, temperature=temperature if sample else None,
                top_p=top_p if sample and top_p < 1.0 else None, top_k=None,
                no_repeat_ngram_size=no_repeat_ngram_size or None,
                num_return_sequences=k, pad_token_id=pad, eos_token_id=tok.eos_token_id, use_cache=True,
                repetition_penalty=repetition_penalty if repetition_penalty != 1.0 else None)
        gen = out[:, width:]
        for row in gen:
            row = row.tolist()
            n = next((i + 1 for i, t in enumerate(row) if t == tok.eos_token_id), len(row))
            new_tokens += n
            texts.append(cut_at_stop(tok.decode(row[:n], skip_special_tokens=True), stop))
    return Generated(texts, new_tokens, time.perf_counter() - t0)
