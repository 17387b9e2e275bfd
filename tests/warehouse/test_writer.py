import multiprocessing as mp
import os

import polars as pl
import pytest

from warehouse.readers import ReadOnlyViolation, read_sql, scalar
from warehouse.writer import Lineage, Warehouse


def _rows(n, tag):
    return [{"origin": f"o{i}", "n_docs": i, "n_chars": 10 * i, "n_lines": 1, "n_tokens": 2,
             "source_key": f"{tag}:{i}"} for i in range(n)]


def test_replace_rerun_replaces_partition_rows_instead_of_duplicating(warehouse):
    lin = Lineage("run-1", "corpus_stats", partition_key="p1")
    warehouse.write("corpus_stats", _rows(3, "a"), lin)
    warehouse.write("corpus_stats", _rows(3, "a"), Lineage("run-2", "corpus_stats", partition_key="p1"))
    warehouse.write("corpus_stats", _rows(2, "b"), Lineage("run-3", "corpus_stats", partition_key="p2"))
    counts = read_sql("SELECT partition_key, count(*) AS n, min(dagster_run_id) AS run FROM corpus_stats "
                      "GROUP BY 1 ORDER BY 1")
    assert counts.rows() == [("p1", 3, "run-2"), ("p2", 2, "run-3")]


def test_upsert_by_natural_key(warehouse):
    warehouse.write("corpus_documents", [
        {"doc_id": "a", "origin": "x", "path": "a", "n_chars": 1, "n_lines": 1, "sha256": "1", "source_key": "a"},
        {"doc_id": "b", "origin": "x", "path": "b", "n_chars": 1, "n_lines": 1, "sha256": "1", "source_key": "b"},
    ], Lineage("r1", "docs"), mode="upsert", key=["doc_id"])
    warehouse.write("corpus_documents", [
        {"doc_id": "b", "origin": "x", "path": "b", "n_chars": 5, "n_lines": 1, "sha256": "2", "source_key": "b"},
        {"doc_id": "c", "origin": "x", "path": "c", "n_chars": 1, "n_lines": 1, "sha256": "1", "source_key": "c"},
    ], Lineage("r2", "docs"), mode="upsert", key=["doc_id"])
    rows = read_sql("SELECT doc_id, n_chars, dagster_run_id FROM corpus_documents ORDER BY doc_id").rows()
    assert rows == [("a", 1, "r1"), ("b", 5, "r2"), ("c", 1, "r2")]


def test_lineage_columns_filled_and_source_key_required(warehouse):
    lin = Lineage("run-x", "corpus_stats", "p", code_version="7", data_version="abc")
    warehouse.write("corpus_stats", _rows(1, "k"), lin)
    row = read_sql("SELECT source_key, dagster_run_id, asset_key, partition_key, code_version, data_version, "
                   "materialized_at IS NOT NULL FROM corpus_stats").row(0)
    assert row == ("k:0", "run-x", "corpus_stats", "p", "7", "abc", True)
    with pytest.raises(ValueError, match="source_key"):
        warehouse.write("corpus_stats", [{"origin": "o"}], lin)


def test_failed_write_rolls_back_and_keeps_old_rows(warehouse):
    lin = Lineage("run-1", "corpus_stats")
    warehouse.write("corpus_stats", _rows(2, "a"), lin)
    bad = pl.DataFrame({"origin": ["x"], "n_docs": ["not a number"], "source_key": ["s"]})
    with pytest.raises(Exception):
        warehouse.write("corpus_stats", bad, lin)
    assert scalar("SELECT count(*) FROM corpus_stats") == 2


def test_query_connection_refuses_writes(warehouse):
    with pytest.raises(ReadOnlyViolation, match="read-only"):
        read_sql("INSERT INTO quarantine (record_key, reason) VALUES ('a', 'b')")
    with pytest.raises(ReadOnlyViolation):
        read_sql("DROP TABLE quarantine")


def _writer_process(home, worker, n_batches):
    os.environ["TRAINYARD_HOME"] = home
    wh = Warehouse()
    for b in range(n_batches):
        wh.write("corpus_stats", _rows(5, f"w{worker}b{b}"),
                 Lineage(f"run-{worker}", "corpus_stats", partition_key=f"w{worker}b{b}"))


def _reader_process(home, n_reads, out):
    os.environ["TRAINYARD_HOME"] = home
    ok = 0
    for _ in range(n_reads):
        ok += scalar("SELECT count(*) FROM corpus_stats") is not None
    out.put(ok)


def test_concurrent_writers_and_readers_never_hit_lock_errors(warehouse, trainyard_home):
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer_process, args=(str(trainyard_home), w, 8)) for w in range(4)]
    procs.append(ctx.Process(target=_reader_process, args=(str(trainyard_home), 20, out)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0] * len(procs), "a writer or reader failed (lock error?)"
    assert out.get(timeout=5) == 20
    counts = read_sql("SELECT count(*), count(DISTINCT partition_key), count(DISTINCT source_key) FROM corpus_stats").row(0)
    assert counts == (4 * 8 * 5, 32, 4 * 8 * 5)
