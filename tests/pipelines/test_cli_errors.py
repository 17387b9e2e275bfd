"""One error style: a one-line message on stderr, exit 2; the traceback only with --debug.
And `trainyard warehouse check|backup|restore`."""
import subprocess
import sys

import pytest

from pipelines.cli import main
from warehouse.writer import Lineage, Warehouse


def _one_line_exit_2(capsys, argv, *expect):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for e in expect:
        assert e in lines[0], (e, lines[0])
    return lines[0]


def test_ingest_missing_path(capsys, tmp_path):
    _one_line_exit_2(capsys, ["github", "ingest", str(tmp_path / "nope")], "does not exist")


def test_ingest_non_git_folder(capsys, tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.txt").write_text("hi")
    _one_line_exit_2(capsys, ["github", "ingest", str(tmp_path / "plain")], "not a git repository")


def test_ingest_empty_repository(capsys, tmp_path):
    repo = tmp_path / "empty"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    _one_line_exit_2(capsys, ["github", "ingest", str(repo)], "without commits")


def test_ingest_a_file(capsys, tmp_path):
    (tmp_path / "f.txt").write_text("x")
    _one_line_exit_2(capsys, ["github", "ingest", str(tmp_path / "f.txt")], "not a folder")


def test_failed_precheck_registers_nothing(capsys, tmp_path, trainyard_home):
    _one_line_exit_2(capsys, ["github", "ingest", str(tmp_path / "nope")])
    from ops.github.repo_list import read_repo_list

    assert [s.repo for s in read_repo_list()] == []


def _write_some(rows=5):
    wh = Warehouse()
    wh.write("corpus_documents", [{"doc_id": f"d{i}", "origin": "o", "path": "p", "n_chars": i,
                                   "n_lines": 1, "sha256": "h", "source_key": f"d{i}"}
                                  for i in range(rows)], Lineage.adhoc("raw_corpus"))
    return wh


BAD_WAREHOUSES = {
    "empty": lambda good: b"",
    "truncated_head": lambda good: good[:5000],
    "truncated_half": lambda good: good[: len(good) // 2],
    "not_duckdb_text": lambda good: b"this is a CSV, not a database\n1,2,3\n" * 200,
    "sqlite_header": lambda good: b"SQLite format 3\x00" + b"\x00" * 8192,
}


@pytest.mark.parametrize("kind", sorted(BAD_WAREHOUSES))
@pytest.mark.parametrize("argv", [["query", "select count(*) from corpus_documents"], ["warehouse", "check"], ["warehouse", "backup"]],
                         ids=["query", "check", "backup"])
def test_bad_warehouse_file_one_line(capsys, trainyard_home, kind, argv):
    if kind == "truncated_half" and argv[0] == "query":
        pytest.skip("a query may not touch the lost half; `warehouse check` scans it all")
    _write_some()
    db = trainyard_home / "warehouse.duckdb"
    db.write_bytes(BAD_WAREHOUSES[kind](db.read_bytes()))
    before = db.read_bytes()
    line = _one_line_exit_2(capsys, argv)
    assert "warehouse" in line and ("restore" in line or "DuckDB" in line), line
    assert db.read_bytes() == before  # nothing "repaired" behind the user's back


def test_debug_shows_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "--debug", "github", "ingest",
                           str(tmp_path / "nope")], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_unexpected_error_is_one_line(capsys, monkeypatch):
    import pipelines.cli as cli

    def boom(args):
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "cmd_doctor", boom)
    line = _one_line_exit_2(capsys, ["doctor"], "KeyError", "--debug")
    assert "surprise" in line


def test_check_backup_restore_roundtrip(capsys, trainyard_home, tmp_path):
    wh = _write_some(7)
    assert main(["warehouse", "check"]) == 0
    out = capsys.readouterr().out
    assert "corpus_documents" in out and "7" in out
    dest = tmp_path / "b.duckdb"
    assert main(["warehouse", "backup", str(dest)]) == 0
    assert dest.exists()
    # change the warehouse after the backup, then restore: the 7 rows come back, the extra go
    wh.write("corpus_documents", [{"doc_id": "late", "origin": "o", "path": "p", "n_chars": 1,
                                   "n_lines": 1, "sha256": "h", "source_key": "late"}],
             Lineage.adhoc("other_asset"))
    from warehouse.readers import scalar

    assert scalar("select count(*) from corpus_documents") == 8
    assert main(["warehouse", "restore", str(dest)]) == 0
    assert scalar("select count(*) from corpus_documents") == 7
    assert (trainyard_home / "warehouse.duckdb.pre-restore").exists()
    capsys.readouterr()
    # a damaged backup is refused and the warehouse is untouched
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(dest.read_bytes()[:4096])
    _one_line_exit_2(capsys, ["warehouse", "restore", str(bad)])
    assert scalar("select count(*) from corpus_documents") == 7
    _one_line_exit_2(capsys, ["warehouse", "restore", str(tmp_path / "missing.duckdb")], "does not exist")


def test_check_reports_a_view_whose_parquet_is_gone(capsys, trainyard_home):
    import polars as pl

    from warehouse.paths import artifact_dir

    wh = _write_some()
    parquet = artifact_dir("spine") / "raw_corpus.parquet"
    pl.DataFrame({"doc_id": ["a"]}).write_parquet(parquet)
    wh.create_parquet_view("corpus_texts", parquet)
    assert main(["warehouse", "check"]) == 0
    parquet.unlink()
    line = _one_line_exit_2(capsys, ["warehouse", "check"], "corpus_texts")
    assert "1 of" in line


def test_backup_waits_for_writer(trainyard_home, tmp_path):
    """Backup takes the writer lock: while another process holds it, backup waits."""
    import threading
    import time

    from warehouse import maintenance
    from warehouse.db import writer_lock

    _write_some()
    db = trainyard_home / "warehouse.duckdb"
    held = threading.Event()
    release = threading.Event()

    def holder():
        with writer_lock(db):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    done = []
    b = threading.Thread(target=lambda: done.append(maintenance.backup(tmp_path / "b.duckdb")))
    b.start()
    time.sleep(0.5)
    assert not done  # still waiting for the writer
    release.set()
    b.join(20)
    t.join(5)
    assert done and done[0][0].exists()
