"""Prompt-hash cache in front of any backend, so re-runs do not pay for the same call twice.

The storage is passed in (ops never open DuckDB): anything with ``get_many(keys) -> {key: [text]}``
and ``put_many(entries)`` works — ``MemoryLLMCache`` here, ``warehouse.llm_cache.WarehouseLLMCache``
for the warehouse table ``llm_cache``. Keys are ``LLMRequest.cache_key(backend.id)`` (sha256 of
backend id, task, messages, n, temperature, max_tokens, seed).
"""
from __future__ import annotations

import dataclasses
from typing import Protocol

from ops.llm.base import Completion, LLMBackend, LLMRequest


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    key: str
    backend_id: str
    task: str
    texts: tuple[str, ...]
    generator: str
    source_key: str


class LLMCacheStore(Protocol):
    def get_many(self, keys: list[str]) -> dict[str, tuple[list[str], str]]:
        """{key: (texts, generator)} for the keys present."""
        ...

    def put_many(self, entries: list[CacheEntry]) -> None: ...


class MemoryLLMCache:
    """A dict-backed store (tests, one-off scripts)."""

    def __init__(self):
        self.data: dict[str, tuple[list[str], str]] = {}

    def get_many(self, keys):
        return {k: self.data[k] for k in keys if k in self.data}

    def put_many(self, entries):
        for e in entries:
            self.data[e.key] = (list(e.texts), e.generator)


class CachedBackend:
    """Wraps ``inner``: cached requests come back with ``cached=True``; misses go to ``inner`` in
    one batch and are stored only after the whole batch succeeded."""

    def __init__(self, inner: LLMBackend, store: LLMCacheStore):
        self.inner = inner
        self.store = store
        # a backend whose outputs depend on more than its id (e.g. decoding settings) names it in cache_id
        self.id = getattr(inner, "cache_id", inner.id)
        self.deterministic = getattr(inner, "deterministic", False)
        self.supports_prefill = getattr(inner, "supports_prefill", False)
        self.prompt_style = getattr(inner, "prompt_style", "full")
        self.hits = 0
        self.misses = 0

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        keys = [r.cache_key(self.id) for r in requests]
        found = self.store.get_many(sorted(set(keys)))
        out: list[list[Completion] | None] = [None] * len(requests)
        todo: list[int] = []
        for i, k in enumerate(keys):
            if k in found and len(found[k][0]) >= requests[i].n:
                texts, gen = found[k]
                out[i] = [Completion(t, gen, cached=True) for t in texts[: requests[i].n]]
            else:
                todo.append(i)
        self.hits += len(requests) - len(todo)
        self.misses += len(todo)
        if todo:
            fresh = self.inner.generate([requests[i] for i in todo])
            entries = {}
            for i, comps in zip(todo, fresh):
                out[i] = comps
                entries[keys[i]] = CacheEntry(
                    keys[i], self.id, requests[i].task, tuple(c.text for c in comps),
                    comps[0].generator if comps else self.id,
                    str(requests[i].context.get("source_key", f"llm:{requests[i].task}")))
            self.store.put_many(list(entries.values()))
        return out  # type: ignore[return-value]
