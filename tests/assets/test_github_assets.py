"""GitHub assets through Dagster: the demo plan end to end (numbers hand-checked against
ops/github/demo_repo.py) and the token-leak scan over logs, metadata, warehouse and artifacts."""
import logging

import dagster as dg
import pytest

from tests.github_server import FakeGitHub, make_fake_repo

TOKEN = "ghp_leakcheck_SECRET_9f8e7d6c5b4a"


def _run(job_name, instance, partition_key=None, run_config=None):
    from pipelines.definitions import defs

    return defs.resolve_job_def(job_name).execute_in_process(
        instance=instance, partition_key=partition_key, run_config=run_config, raise_on_error=True)


def test_demo_plan_end_to_end(warehouse):
    from pipelines.github import demo_plan
    from warehouse.readers import read_sql

    with dg.DagsterInstance.ephemeral() as instance:
        plan = demo_plan(instance)
        assert plan == [("github_sync_job", "acme/widgets"), ("github_report_job", None)]
        for job, key in plan:
            assert _run(job, instance, key).success
        prs = read_sql("SELECT count(*) AS n, count(*) FILTER (WHERE task_candidate) AS c "
                       "FROM github_pull_requests").row(0)
        assert prs == (11, 3)  # PRs 2 (closes #1), 4 (fixes #3), 14 (closes #13) are candidates
        chains = read_sql("SELECT chain_id FROM github_pr_chains ORDER BY length DESC, chain_id")
        assert chains["chain_id"].to_list() == ["6-7-8-14", "2-4-12", "2-12", "2-5", "6-11", "6-14"]
        edges = read_sql("SELECT reason, evidence_path, evidence_lines, evidence_sha, n_evidence "
                         "FROM github_pr_chain_edges WHERE chain_id = '6-7-8-14' ORDER BY position")
        assert edges["reason"][1] == "blame(widgets/units.py); reverts"
        assert edges.row(2)[1:3] == ("widgets/units.py", "8-8") and edges["n_evidence"].to_list() == [1, 1, 1]
        pr8 = read_sql("SELECT merge_commit_sha FROM github_pull_requests WHERE number = 8")["merge_commit_sha"][0]
        assert edges["evidence_sha"][2] == pr8  # #14 rewrites a line the revert #8 wrote
        links = read_sql("SELECT number, from_pr FROM github_pr_blame_links ORDER BY number, from_pr").rows()
        assert links == [(4, 2), (7, 6), (8, 7), (12, 2), (12, 4), (14, 6), (14, 8)]
        metrics = dict(read_sql("SELECT metric, value FROM eval_metrics WHERE report_id = "
                                "'github_chain_report/pr_chains'").rows())
        assert metrics["chains"] == 6 and metrics["max_length"] == 4
        assert metrics["coverage"] == pytest.approx(9 / 11)
        cov = read_sql("SELECT ci_low, ci_high FROM eval_metrics WHERE metric = 'coverage'").row(0)
        assert cov == pytest.approx((0.5230, 0.9486), abs=1e-4)  # Wilson 95 % for 9 of 11
        assert read_sql("SELECT reason FROM quarantine")["reason"].to_list() == ["binary file: no patch"]
        # a second run is a no-op for the data (HEAD unchanged) and never duplicates rows
        for job, key in demo_plan(instance):
            assert _run(job, instance, key).success
        assert read_sql("SELECT count(*) AS n FROM github_pull_requests")["n"][0] == 11
        assert read_sql("SELECT count(*) AS n FROM github_pr_chains")["n"][0] == 6
        assert read_sql("SELECT count(*) AS n FROM eval_reports WHERE suite = 'github_pr_chains'")["n"][0] == 1


def _scan(root, needle: bytes) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            hits.append(str(path))
    return hits


def test_token_never_leaks(warehouse, trainyard_home, monkeypatch, caplog, capfd, tmp_path):
    from ops.github.repo_list import RepoSpec
    from pipelines.github import register_repo
    from warehouse.readers import read_sql, table_names

    # the scanner itself must find a planted token, or the test proves nothing
    (tmp_path / "planted.txt").write_bytes(b"x" + TOKEN.encode() + b"y")
    assert _scan(tmp_path, TOKEN.encode())

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)  # PyGithub/urllib3 debug logging on, too
    with FakeGitHub(token=TOKEN) as srv:
        srv.add(make_fake_repo("octo/demo", n_prs=6))
        srv.fail(r"/pulls/3/files$", "502")  # an error path is logged as well
        srv.add(make_fake_repo("octo/gone", n_prs=0))
        (trainyard_home / "dagster_instance").mkdir()
        with dg.DagsterInstance.local_temp(str(trainyard_home / "dagster_instance")) as instance:
            register_repo(instance, RepoSpec("octo/demo", "api", base_url=srv.base_url))
            register_repo(instance, RepoSpec("octo/missing", "api", base_url=srv.base_url))
            result = _run("github_sync_job", instance, "octo/demo")
            assert result.success
            assert _run("github_sync_job", instance, "octo/missing").success
            assert srv.stats.requests > 10  # the token was really used (the server checks it)
            texts = [str(e) for e in instance.all_logs(result.run_id)]
            for mat in result.get_asset_materialization_events():
                texts.append(repr(mat.materialization.metadata))
    needle = TOKEN.encode()
    assert read_sql("SELECT count(*) AS n FROM github_pull_requests")["n"][0] == 6
    for table in table_names():
        frame = read_sql(f"SELECT * FROM {table}")
        assert TOKEN not in repr(frame.rows()), f"token in warehouse table {table}"
    assert not _scan(trainyard_home, needle), "token in a file under the trainyard home"
    assert not any(TOKEN in t for t in texts), "token in Dagster logs/metadata"
    assert TOKEN not in caplog.text
    out, err = capfd.readouterr()
    assert TOKEN not in out and TOKEN not in err
