"""`trainyard query` is truly read-only: each attack from issue 15 exits 2 and creates or
changes no file anywhere under the trainyard home (nor the outside target), while a
Parquet-backed view still answers."""
import hashlib
import os

import duckdb
import pytest

from pipelines.cli import main
from warehouse.writer import Lineage, Warehouse


def _snapshot(*roots):
    """{path: sha256} of every file under the roots (names included: a new file shows)."""
    out = {}
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                p = os.path.join(dirpath, name)
                with open(p, "rb") as f:
                    out[p] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture
def home_with_view(trainyard_home, tmp_path):
    import polars as pl

    from warehouse.paths import artifact_dir

    wh = Warehouse()
    wh.ensure_schema()
    parquet = artifact_dir("spine") / "raw_corpus.parquet"
    pl.DataFrame({"doc_id": ["a", "b", "c"], "text": ["x", "y", "z"]}).write_parquet(parquet)
    wh.create_parquet_view("corpus_texts", parquet)
    wh.write("corpus_documents", [{"doc_id": "a", "origin": "t", "path": "p", "n_chars": 1,
                                   "n_lines": 1, "sha256": "h", "source_key": "a"}],
             Lineage.adhoc("raw_corpus"))
    # Victims: another DuckDB file inside the artifacts (reachable if the policy were only
    # allowed_directories) and one outside the home.
    for victim in (artifact_dir("victim") / "other.duckdb", tmp_path / "outside" / "other.duckdb"):
        victim.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(victim)) as c:
            c.execute("CREATE TABLE t AS SELECT 1 AS a")
    return trainyard_home


ATTACKS = {
    "attach_rw_delete_inside": "ATTACH '{art}/victim/other.duckdb' AS x (READ_WRITE); DELETE FROM x.t",
    "attach_rw_inside": "ATTACH '{art}/victim/other.duckdb' AS x (READ_WRITE)",
    "attach_rw_outside": "ATTACH '{out}/other.duckdb' AS x (READ_WRITE)",
    "copy_to_outside": "COPY (SELECT 1) TO '{out}/leak.csv'",
    "copy_over_view_parquet": "COPY (SELECT 'evil' AS doc_id) TO '{art}/spine/raw_corpus.parquet'",
    "export_database": "EXPORT DATABASE '{art}/export'",
    "read_csv_passwd": "SELECT * FROM read_csv('/etc/passwd', sep=':')",
    "read_text_dotdot": "SELECT * FROM read_text('{art}/../../../../../../etc/passwd')",
    "install_httpfs": "INSTALL httpfs",
    "load_httpfs": "LOAD httpfs",
    "multi_statement": "SELECT 1; DROP TABLE corpus_documents",
    "set_external_access": "SET enable_external_access = true",
    "reset_lock": "RESET lock_configuration",
    "create_temp": "CREATE TEMP TABLE z AS SELECT 1",
    "explain_analyze_copy": "EXPLAIN ANALYZE COPY (SELECT 1) TO '{art}/x.csv'",
    "checkpoint": "CHECKPOINT",
    "pragma_set": "PRAGMA enable_profiling",
    "delete": "DELETE FROM corpus_documents",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_exits_2_and_changes_no_file(home_with_view, tmp_path, capsys, name):
    art = home_with_view / "artifacts"
    out = tmp_path / "outside"
    sql = ATTACKS[name].format(art=art, out=out)
    before = _snapshot(home_with_view, out)
    assert main(["query", sql]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert _snapshot(home_with_view, out) == before
    # the Parquet-backed view still answers, with the original rows
    assert main(["query", "select count(*) AS n from corpus_texts"]) == 0
    assert "3" in capsys.readouterr().out


def test_reads_still_work(home_with_view, capsys):
    from warehouse.readers import read_sql

    assert read_sql("select count(*) from corpus_texts").item() == 3
    assert read_sql("from corpus_documents").height == 1
    assert read_sql("describe corpus_documents").height > 5
    assert read_sql("summarize corpus_documents").height > 5
    assert read_sql("with a as (select 41 AS x) select x + 1 from a").item() == 42
    assert read_sql("select ? + 1", [1]).item() == 2
    assert read_sql("pragma version").height == 1
    assert read_sql("explain select 1").height >= 1
    assert "corpus_documents" in read_sql("show tables")["name"].to_list()
    assert main(["query", "select doc_id from corpus_texts order by 1"]) == 0
    assert "a" in capsys.readouterr().out


def test_policy_settings_on_reader_connection(home_with_view):
    from warehouse.db import connect

    with connect(read_only=True) as conn:
        ext, locked, auto_i, auto_l, dirs = conn.execute(
            "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), "
            "current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions'), "
            "current_setting('allowed_directories')").fetchone()
    assert (ext, locked, auto_i, auto_l) == (False, True, False, False)
    assert f"{(home_with_view / 'artifacts').resolve()}/" in dirs
