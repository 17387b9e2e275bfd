"""Scale-out workload: per-shard document signatures, one partition per shard, so a backfill
has independent steps to spread over workers (pipelines/scaleout.py, docs/scaleout.md)."""
import io
import os
import socket
import time

import dagster as dg
import polars as pl

from assets.lineage import content_version, lineage_of, with_data_version
from ops.profiles import pick
from ops.scaleout import shard_documents, shard_keys, signature_rows
from pipelines.resources import WarehouseResource
from warehouse.artifact_store import artifact_store

GROUP = "scaleout"
SIZES = {
    "tiny": {"n_shards": 8, "max_files": 48, "rounds": 2},
    "demo": {"n_shards": 8, "max_files": 200, "rounds": 8},
}
N_SHARDS = SIZES["demo"]["n_shards"]  # the partition set must not depend on the profile
shard_partitions = dg.StaticPartitionsDefinition(shard_keys(N_SHARDS))


# Run tag: seconds each step waits before writing, standing in for a slow or rate-limited source
# (benchmarks model API-bound partitions with it; the worker-kill test uses it to kill mid-step).
LATENCY_TAG = "trainyard/simulated_latency_s"


def shard_artifact_key(shard: str) -> str:
    return f"scaleout/doc_signatures/{shard}.parquet"


# No pool: the step's CPU work must run concurrently across workers; the warehouse write itself
# is one short DuckDB transaction serialised by the file lock + retry in warehouse/db.py.
@dg.asset(group_name=GROUP, code_version="1", partitions_def=shard_partitions,
          description="Scale-out demonstration workload, one partition per shard of stdlib documents. "
                      "scaleout_doc_signatures: one row per document (shard, size, SHA-256, MinHash "
                      "signature).")
def doc_signatures(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    sizes = pick(SIZES)
    shard = context.partition_key
    rows = signature_rows(shard, shard_documents(shard, N_SHARDS, sizes["max_files"]), sizes["rounds"])
    frame = pl.DataFrame(rows, schema={"shard": pl.Utf8, "doc_id": pl.Utf8, "n_chars": pl.Int64,
                                       "n_lines": pl.Int64, "n_tokens": pl.Int64, "sha256": pl.Utf8,
                                       "minhash": pl.Utf8, "source_key": pl.Utf8})
    version = content_version(*(r["sha256"] + r["minhash"] for r in rows))
    buf = io.BytesIO()
    frame.write_parquet(buf)
    uri = artifact_store().put_bytes(shard_artifact_key(shard), buf.getvalue())
    time.sleep(float(context.run.tags.get(LATENCY_TAG, 0)))
    warehouse.get().write("scaleout_doc_signatures", frame, with_data_version(lineage_of(context), version))
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version),
        metadata={"documents": len(rows), "artifact": uri,
                  # Which process ran the step: shows a backfill spreading across workers.
                  "worker": f"{socket.gethostname()}:{os.getpid()}"},
    )


SCALEOUT_ASSETS = [doc_signatures]
