"""The warehouse-backed prompt-hash cache store for ``ops.llm.cache.CachedBackend``.

Rows live in ``llm_cache`` (one per cache key; upserted, so re-runs never duplicate). Reads go
through the read-only reader; writes through ``Warehouse.write`` with the caller's lineage.
"""
from __future__ import annotations

import datetime as dt
import json

from warehouse.readers import read_sql
from warehouse.writer import Lineage, Warehouse


class WarehouseLLMCache:
    """``get_many(keys) -> {key: (texts, generator)}``, ``put_many(entries)``."""

    def __init__(self, wh: Warehouse, lineage: Lineage):
        self.wh = wh
        self.lineage = lineage

    def get_many(self, keys: list[str]) -> dict[str, tuple[list[str], str]]:
        if not keys:
            return {}
        self.wh.ensure_schema() if not self.wh._migrated else None
        found: dict[str, tuple[list[str], str]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            frame = read_sql(f"SELECT cache_key, completions_json, generator FROM llm_cache "
                             f"WHERE cache_key IN ({marks})", chunk, path=self.wh.path)
            for key, texts, gen in frame.iter_rows():
                found[key] = (json.loads(texts), gen)
        return found

    def put_many(self, entries) -> None:
        if not entries:
            return
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        rows = [{"cache_key": e.key, "backend_id": e.backend_id, "task": e.task,
                 "completions_json": json.dumps(list(e.texts), ensure_ascii=False),
                 "generator": e.generator, "created_at": now, "source_key": e.source_key}
                for e in entries]
        self.wh.write("llm_cache", rows, self.lineage, mode="upsert", key=["cache_key"])
