"""Warehouse correctness under many concurrent writers (what Celery workers do during a
backfill): six processes write at once, in replace and upsert mode, while a reader polls. No lock
error escapes, no row is lost or duplicated, and re-writes replace instead of appending."""
import multiprocessing
import os
import time

from warehouse.writer import Lineage

WRITERS, BATCHES, ROWS = 6, 8, 25


def _rows(writer: int, batch: int, version: int) -> list:
    return [{"shard": f"w{writer}", "doc_id": f"w{writer}-b{batch}-d{i}", "n_chars": version * 1000 + i,
             "n_lines": i, "n_tokens": i, "sha256": "", "minhash": "", "source_key": f"w{writer}-b{batch}-d{i}"}
            for i in range(ROWS)]


def _writer(home: str, writer: int, start_at: float) -> None:
    os.environ["TRAINYARD_HOME"] = home
    from warehouse.writer import Warehouse

    wh = Warehouse()
    time.sleep(max(0.0, start_at - time.time()))  # start together: maximum contention
    for batch in range(BATCHES):
        lineage = Lineage(dagster_run_id=f"run-{writer}", asset_key="stress", partition_key=f"w{writer}-b{batch}")
        # Twice per partition, like a retried step: the second write must replace the first.
        wh.write("scaleout_doc_signatures", _rows(writer, batch, 1), lineage, mode="replace")
        wh.write("scaleout_doc_signatures", _rows(writer, batch, 2), lineage, mode="replace")
        # And an upsert of the same five records every batch, as incremental assets do.
        up = Lineage(dagster_run_id=f"run-{writer}", asset_key="stress_upsert", partition_key=f"w{writer}")
        rows = [{**r, "doc_id": f"u-w{writer}-d{i}", "n_chars": batch} for i, r in enumerate(_rows(writer, batch, 3)[:5])]
        wh.write("scaleout_doc_signatures", rows, up, mode="upsert", key=["doc_id"])


def _reader(home: str, stop_at: float, out) -> None:
    os.environ["TRAINYARD_HOME"] = home
    from warehouse.readers import scalar

    n, worst = 0, 0.0
    while time.time() < stop_at:
        t0 = time.perf_counter()
        scalar("SELECT count(*) FROM scaleout_doc_signatures")
        worst = max(worst, time.perf_counter() - t0)
        n += 1
    out.put((n, worst))


def test_six_concurrent_writers_lose_and_duplicate_nothing(warehouse, trainyard_home):
    from warehouse.readers import read_sql

    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0
    writers = [ctx.Process(target=_writer, args=(str(trainyard_home), w, start_at)) for w in range(WRITERS)]
    out = ctx.Queue()
    reader = ctx.Process(target=_reader, args=(str(trainyard_home), start_at + 4.0, out))
    for p in [*writers, reader]:
        p.start()
    for p in writers:
        p.join(timeout=240)
    reads, worst_read_s = out.get(timeout=120)
    reader.join(timeout=30)
    assert [p.exitcode for p in writers] == [0] * WRITERS  # a lock error would exit non-zero
    assert reader.exitcode == 0 and reads > 0

    got = read_sql("SELECT asset_key, doc_id, n_chars FROM scaleout_doc_signatures")
    replaced = got.filter(got["asset_key"] == "stress")
    assert replaced.height == WRITERS * BATCHES * ROWS  # nothing lost, the first writes replaced
    assert replaced["doc_id"].n_unique() == replaced.height
    assert (replaced["n_chars"] // 1000).unique().to_list() == [2]
    upserted = got.filter(got["asset_key"] == "stress_upsert")
    assert upserted.height == WRITERS * 5 and upserted["doc_id"].n_unique() == upserted.height
    assert upserted["n_chars"].unique().to_list() == [BATCHES - 1]  # the last upsert won
    # Readers wait only for short write transactions, never for a whole step.
    assert worst_read_s < 30, worst_read_s
