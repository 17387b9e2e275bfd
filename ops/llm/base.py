"""The interface every LLM backend implements, and the registry of template renderers.

A request names its ``task`` (e.g. ``"task_statement"``, ``"thought"``, ``"rubric"``,
``"judge"``) so the deterministic ``template`` backend can render it offline with the renderer
registered for that task, while model backends just see ``messages``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Callable, Protocol


@dataclasses.dataclass(frozen=True)
class LLMRequest:
    task: str
    messages: tuple[dict[str, str], ...]  # OpenAI chat format: {"role", "content"}
    context: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False, compare=False)
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int = 0
    # the start of the assistant's answer, written into the prompt; the completion text begins with it
    prefill: str = ""
    stop: tuple[str, ...] = ()  # the text is cut at the first of these (the stop itself dropped)
    top_p: float = 1.0  # nucleus sampling (temperature > 0)

    def cache_key(self, backend_id: str) -> str:
        """Stable hash of everything that determines the output (the prompt hash cache key)."""
        fields = {"backend": backend_id, "task": self.task, "messages": self.messages, "n": self.n,
                  "temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}
        for name, default in (("prefill", ""), ("stop", ()), ("top_p", 1.0)):
            if getattr(self, name) != default:  # keys of requests without them stay as they were
                fields[name] = getattr(self, name)
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class Completion:
    text: str
    generator: str  # e.g. "template", "openai:gpt-x", "transformers:/path" — stored with every record
    cached: bool = False


class LLMBackend(Protocol):
    """Optional attributes callers read with ``getattr``: ``deterministic`` (same request, same
    text), ``supports_prefill`` (honours ``LLMRequest.prefill``), ``prompt_style`` (``"full"``
    default; ``"short"``: a small model that gets short few-shot prompts and gated text)."""

    id: str  # names the backend and model; part of the cache key

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        """One list of ``request.n`` completions per request, in order."""
        ...


TemplateFn = Callable[[LLMRequest], str]
TEMPLATES: dict[str, TemplateFn] = {}


def register_template(task: str) -> Callable[[TemplateFn], TemplateFn]:
    """Register the deterministic renderer the ``template`` backend uses for ``task``."""

    def deco(fn: TemplateFn) -> TemplateFn:
        TEMPLATES[task] = fn
        return fn

    return deco
