"""``make_backend(config)``: the one way to get a backend, chosen by config (default: template).

Config (an ``LLMConfig`` or a plain dict with the same keys):
- ``kind``: ``template`` | ``transformers`` | ``openai`` | ``vllm``; default from
  ``$TRAINYARD_LLM_BACKEND``, else ``template``.
- ``model``: model name for openai/vllm; ``checkpoint``: for transformers, any ``ModelSpec`` source
  (a checkpoint directory, a ``.gguf`` file, or ``smollm2``); ``dtype`` fp32/bf16; ``batch_size``.
- ``base_url``: openai endpoint (else ``$TRAINYARD_LLM_BASE_URL`` / ``$OPENAI_BASE_URL``);
  ``api_key_env``: the variable holding the key (default ``OPENAI_API_KEY``).
- ``concurrency``, ``max_retries``, ``timeout_s``: openai bounds.
- ``device``: transformers device (``auto`` picks CUDA when available).
A ``cache`` store (see ``ops.llm.cache``) wraps the backend in the prompt-hash cache.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Mapping

from ops.llm.base import LLMBackend

KINDS = ("template", "transformers", "openai", "vllm")


@dataclasses.dataclass(frozen=True)
class LLMConfig:
    kind: str = ""
    model: str = ""
    checkpoint: str = ""
    base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    max_retries: int = 3
    timeout_s: float = 60.0
    device: str = "auto"
    dtype: str = "fp32"
    batch_size: int = 8

    @classmethod
    def from_any(cls, config: "LLMConfig | Mapping[str, Any] | None") -> "LLMConfig":
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        unknown = set(config) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown LLM config keys {sorted(unknown)}")
        return cls(**dict(config))


def make_backend(config: "LLMConfig | Mapping[str, Any] | None" = None, cache=None) -> LLMBackend:
    """Build the configured backend; wrap it in the prompt-hash cache when ``cache`` is given."""
    cfg = LLMConfig.from_any(config)
    kind = cfg.kind or os.environ.get("TRAINYARD_LLM_BACKEND", "") or "template"
    if kind not in KINDS:
        raise ValueError(f"LLM backend kind must be one of {KINDS}, not {kind!r}")
    backend: LLMBackend
    if kind == "template":
        from ops.llm.template import TemplateBackend

        backend = TemplateBackend()
    elif kind == "transformers":
        from ops.llm.transformers_backend import TransformersBackend

        if not cfg.checkpoint:
            raise ValueError("transformers backend needs 'checkpoint' (a model directory, a .gguf file or "
                             "'smollm2')")
        backend = TransformersBackend(cfg.checkpoint, device=cfg.device, dtype=cfg.dtype,
                                      batch_size=cfg.batch_size)
    elif kind == "openai":
        from ops.llm.openai_backend import OpenAIBackend

        backend = OpenAIBackend(cfg.model or "default", base_url=cfg.base_url or None,
                                api_key_env=cfg.api_key_env, concurrency=cfg.concurrency,
                                max_retries=cfg.max_retries, timeout_s=cfg.timeout_s)
    else:
        from ops.llm.vllm_backend import VLLMBackend

        if not cfg.model:
            raise ValueError("vllm backend needs 'model' (a local path or model name)")
        backend = VLLMBackend(cfg.model)
    if cache is not None:
        from ops.llm.cache import CachedBackend

        backend = CachedBackend(backend, cache)
    return backend
