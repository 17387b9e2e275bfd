"""PyGithub source against the local GitHub-compatible server (tests/github_server.py): counts
checked against the generator by hand, conditional re-sync, faults, resume after a kill, bad
input, path traversal."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.github_server import BASE, FakeGitHub, make_fake_repo, touch_pr

TOKEN = "ghp_testtoken_0123456789abcdef"
EVIL_TARGET = "/tmp/trainyard-evil.txt"
# make_fake_repo(n_prs=12): 2 files per PR + a binary file + a huge patch; 1 + k%2 commits; reviews
# and review comments on even k; one issue comment per PR; issues 1,2,3 fixed by k = 0,3,6,9
EXPECTED_COUNTS = {"github_pull_requests": 12, "github_pr_files": 26, "github_commits": 18,
                   "github_reviews": 6, "github_comments": 18, "github_issues": 3, "github_repositories": 1}
LINEAGE_COLS = {"source_key", "dagster_run_id", "asset_key", "partition_key", "code_version",
                "data_version", "materialized_at"}
TABLES = ["github_pull_requests", "github_pr_files", "github_commits", "github_reviews",
          "github_comments", "github_issues", "github_repositories"]


def _sync(server, repo, **kw):
    from ops.github.repo_list import RepoSpec
    from ops.github.sync import sync_repository
    from warehouse.writer import Lineage, Warehouse

    wh = Warehouse()
    options = {"per_page": 5, "backoff_factor": 0.05, "timeout": 1, **kw}
    return sync_repository(RepoSpec(repo=repo, source="api", base_url=server.base_url), wh,
                    Lineage.adhoc("github_repo_data", repo), token=TOKEN, log=lambda m: None, **options)


def dump(repo):
    """Every github_* row for ``repo`` without lineage columns, sorted: comparable across runs."""
    from warehouse.readers import read_sql

    out = {}
    for table in TABLES:
        frame = read_sql(f"SELECT * FROM {table} WHERE repo = ?", [repo])
        cols = [c for c in frame.columns if c not in LINEAGE_COLS]
        out[table] = sorted(map(repr, frame.select(cols).rows()))
    return out


def _quarantine():
    from warehouse.readers import read_sql

    return sorted(read_sql("SELECT record_key, reason, record_json FROM quarantine").rows())


def _no_duplicates():
    from ops.github.store import KEYS
    from warehouse.readers import read_sql

    for table, key in KEYS.items():
        cols = ", ".join(key)
        total = read_sql(f"SELECT count(*) AS n FROM {table}")["n"][0]
        distinct = read_sql(f"SELECT count(*) AS n FROM (SELECT DISTINCT {cols} FROM {table})")["n"][0]
        assert total == distinct, f"duplicate rows in {table}"


@pytest.fixture
def server():
    with FakeGitHub(token=TOKEN, slow_s=2.0) as srv:
        srv.add(make_fake_repo("octo/demo", n_prs=12))
        yield srv


def test_first_sync_counts_bad_input_and_path_traversal(server, warehouse, trainyard_home):
    from warehouse.readers import read_sql

    if os.path.exists(EVIL_TARGET):
        os.remove(EVIL_TARGET)
    result = _sync(server, "octo/demo")
    assert result.prs_written == 12
    d = {t: len(v) for t, v in dump("octo/demo").items()}
    assert d == EXPECTED_COUNTS
    prs = read_sql("SELECT number, linked_issues, task_candidate, state FROM github_pull_requests "
                   "ORDER BY number")
    linked = {r[0]: list(r[1]) for r in prs.rows() if r[1]}
    assert linked == {4: [1], 7: [2], 10: [3], 13: [1]}
    # merged (k % 5 != 4) + exactly one issue + tests and code + 1-15 files: k = 0, 3, 6
    assert [r[0] for r in prs.rows() if r[2]] == [4, 7, 10]
    reasons = sorted(read_sql("SELECT reason FROM quarantine")["reason"].to_list())
    assert len(reasons) == 3
    assert reasons[0] == "binary file: no patch"
    assert reasons[1].startswith("non-UTF-8 PullRequest.body")
    assert reasons[2].startswith("patch too large") and reasons[2].endswith("stored as artifact")
    body = read_sql("SELECT body FROM github_pull_requests WHERE number = 6")["body"][0]
    assert "broken \ufffd text" in body

    # path traversal: the API's file name never becomes a filesystem path
    row = read_sql("SELECT path, patch, patch_too_large, patch_artifact, patch_bytes FROM github_pr_files "
                   "WHERE patch_too_large").row(0, named=True)
    assert row["path"] == "../../../../../tmp/trainyard-evil.txt" and row["patch"] is None
    assert ".." not in row["patch_artifact"] and not os.path.exists(EVIL_TARGET)
    stored = (trainyard_home / row["patch_artifact"]).resolve()
    assert (trainyard_home / "artifacts").resolve() in stored.parents
    assert stored.read_text().count("\n+line ") == 20000 and row["patch_bytes"] > 200_000


def test_unchanged_resync_costs_no_rate_limit(server, warehouse):
    first = _sync(server, "octo/demo")
    assert server.stats.decrementing == first.requests
    # ≤ 5 requests per PR on a first sync
    assert first.requests / first.prs_written <= 5
    server.stats.reset()
    again = _sync(server, "octo/demo")
    assert again.unchanged and again.prs_written == 0
    assert server.stats.requests == 2 and server.stats.not_modified == 2 and server.stats.decrementing == 0


def test_incremental_resync_updates_only_changed_pr(server, warehouse):
    from warehouse.readers import read_sql

    _sync(server, "octo/demo")
    before = dump("octo/demo")
    touch_pr(server.repos["octo/demo"], 9, BASE.replace(year=2025), title="Retitled")
    server.stats.reset()
    result = _sync(server, "octo/demo")
    assert result.prs_written == 1
    fetched = [p for p in server.stats.paths if "/pulls/" in p and p.rsplit("/", 1)[-1] in ("files", "commits", "reviews")]
    assert sorted(fetched) == sorted(f"/api/v3/repos/octo/demo/pulls/9/{w}" for w in ("files", "commits", "reviews"))
    after = dump("octo/demo")
    assert read_sql("SELECT title FROM github_pull_requests WHERE number = 9")["title"][0] == "Retitled"
    changed = [t for t in TABLES if before[t] != after[t]]
    assert changed == ["github_pull_requests"]
    _no_duplicates()


def test_faulted_sync_equals_fault_free(monkeypatch, tmp_path):
    with FakeGitHub(token=TOKEN, slow_s=2.0) as srv:
        srv.add(make_fake_repo("octo/demo", n_prs=12))
        monkeypatch.setenv("TRAINYARD_HOME", str(tmp_path / "clean"))
        _sync(srv, "octo/demo")
        clean = dump("octo/demo")
        clean_quarantine = _quarantine()

        monkeypatch.setenv("TRAINYARD_HOME", str(tmp_path / "faulty"))
        srv.fail(r"/repos/octo/demo/pulls$", "403_reset")
        srv.fail(r"/pulls/5/files$", "429")
        srv.fail(r"/pulls/6/commits$", "502", times=2)
        srv.fail(r"/pulls/7/reviews$", "timeout")
        srv.fail(r"/issues/2$", "truncated")
        srv.fail(r"/pulls/comments$", "cut")
        srv.fail(r"/pulls/9/files$", "truncated")
        srv.stats.reset()
        t0 = time.monotonic()
        result = _sync(srv, "octo/demo")
        waited = time.monotonic() - t0
        assert srv.stats.faults == 8, "every injected fault must have fired"
        assert result.prs_written == 12
        assert dump("octo/demo") == clean
        assert _quarantine() == clean_quarantine and len(clean_quarantine) == 3
        assert waited >= 2.0  # the 403 waited for its reset and the 429 for Retry-After


def test_resume_after_kill(monkeypatch, tmp_path):
    from ops.github.store import read_cursor
    from warehouse.readers import read_sql

    with FakeGitHub(token=TOKEN) as srv:
        srv.add(make_fake_repo("octo/demo", n_prs=12))
        monkeypatch.setenv("TRAINYARD_HOME", str(tmp_path / "clean"))
        _sync(srv, "octo/demo", batch_size=3)
        clean = dump("octo/demo")

        home = tmp_path / "killed"
        monkeypatch.setenv("TRAINYARD_HOME", str(home))
        # the 8th PR in update order is in the third batch: the sync blocks there and is killed
        order = sorted(srv.repos["octo/demo"].pulls, key=lambda p: (p["updated_at"], p["number"]))
        victim = order[7]["number"]
        srv.fail(rf"/pulls/{victim}/files$", "hang")
        code = (
            "from ops.github.api_source import sync_api\n"
            "from ops.github.repo_list import RepoSpec\n"
            "from warehouse.writer import Lineage, Warehouse\n"
            f"sync_api(RepoSpec(repo='octo/demo', source='api', base_url={srv.base_url!r}), Warehouse(),"
            " Lineage.adhoc('github_repo_data', 'octo/demo'), token=__import__('os').environ['GITHUB_TOKEN'],"
            " per_page=5, batch_size=3, timeout=90)\n")
        env = {**os.environ, "TRAINYARD_HOME": str(home), "GITHUB_TOKEN": TOKEN}
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=str(os.getcwd()),
                                start_new_session=True)
        try:
            assert srv.hanging.wait(60), "sync never reached the hanging request"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            srv.release()
        cursor = read_cursor("octo/demo")
        assert cursor["status"] == "running" and cursor["prs_written"] == 6
        assert read_sql("SELECT count(*) AS n FROM github_pull_requests")["n"][0] == 6
        srv.stats.reset()
        result = _sync(srv, "octo/demo", batch_size=3)
        assert result.prs_written == 6  # continued where the killed run stopped
        assert read_cursor("octo/demo")["status"] == "complete"
        assert dump("octo/demo") == clean
        _no_duplicates()


def test_missing_renamed_and_empty_repositories(warehouse):
    from ops.github.api_source import sync_api  # noqa: F401 (import check)
    from warehouse.readers import read_sql

    with FakeGitHub(token=TOKEN) as srv:
        srv.add(make_fake_repo("octo/new-name", n_prs=3, specials=False))
        srv.renamed["octo/old-name"] = "octo/new-name"
        srv.add(make_fake_repo("octo/empty", n_prs=0, specials=False))
        missing = _sync(srv, "octo/missing")
        assert missing.prs_written == 0 and "not found (HTTP 404)" in missing.problems[0].reason
        renamed = _sync(srv, "octo/old-name")
        assert renamed.prs_written == 3
        assert "renamed to octo/new-name" in renamed.problems[0].reason
        assert read_sql("SELECT count(*) AS n FROM github_pull_requests WHERE repo = 'octo/old-name'")["n"][0] == 3
        empty = _sync(srv, "octo/empty")
        assert empty.prs_written == 0 and empty.problems[0].reason == "repository has no pull requests"


def test_primary_rate_limit_is_waited_out_before_a_403(server, warehouse):
    # 20 requests per 1.5 s window; the sync needs ~46, so it must wait for two resets
    server.limit, server.window_s = 20, 1.5
    server.remaining, server.reset_at = 20, time.time() + 1.5
    result = _sync(server, "octo/demo")
    assert result.rate_limit_wait_s > 0.5
    assert server.rate_limit_403s == 0  # waited on X-RateLimit-Remaining: 0 instead of hitting 403
    assert {t: len(v) for t, v in dump("octo/demo").items()} == EXPECTED_COUNTS


def test_activity_marker_for_api_repositories(server, warehouse, monkeypatch):
    from ops.github.activity import activity_marker
    from ops.github.repo_list import RepoSpec
    from ops.github.store import read_cursor

    spec = RepoSpec("octo/demo", "api", base_url=server.base_url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert activity_marker(spec, None)  # never synced: activity
    _sync(server, "octo/demo")
    cursor = read_cursor("octo/demo")
    assert activity_marker(spec, cursor) == ""
    server.stats.reset()
    assert activity_marker(spec, cursor) == ""
    assert server.stats.decrementing == 0 and server.stats.not_modified == 1  # free check
    touch_pr(server.repos["octo/demo"], 9, BASE.replace(year=2025))
    assert activity_marker(spec, cursor) == "20250501T120000"
