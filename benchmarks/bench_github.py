"""GitHub branch benchmark: HTTP requests per PR (first sync, unchanged re-sync) against the local
GitHub-compatible server, and PRs/s of the local-clone source on a generated repository with
thousands of commits. Goals (issue #3): ≤ 5 requests/PR, 0 rate-limit-decrementing requests on an
unchanged re-sync, ≥ 1,000 PRs/s for the local clone's PR scan (without the blame pass, issue #14,
which runs one ``git blame`` per changed file and is measured beside it)."""
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import BenchRow

N_API_PRS = 200
N_LOCAL_PRS = 3000


def _api_rows(home: Path) -> list[BenchRow]:
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from ops.github.api_source import sync_api
    from ops.github.repo_list import RepoSpec
    from tests.github_server import FakeGitHub, make_fake_repo
    from warehouse.writer import Lineage, Warehouse

    token = "bench-token"
    rows = []
    with FakeGitHub(token=token) as srv:
        srv.add(make_fake_repo("bench/repo", n_prs=N_API_PRS, specials=False))
        spec = RepoSpec(repo="bench/repo", source="api", base_url=srv.base_url)
        wh = Warehouse(home / "bench_github.duckdb")
        t0 = time.perf_counter()
        first = sync_api(spec, wh, Lineage.adhoc("bench/github"), token=token, log=lambda m: None,
                         batch_size=50)
        seconds = time.perf_counter() - t0
        n = first.prs_written
        rows += [
            BenchRow("github_api_first_sync", "requests_per_pr", srv.stats.requests / n, "req/PR",
                     "goal", 5.0),
            BenchRow("github_api_first_sync", "rate_limited_requests_per_pr", srv.stats.decrementing / n,
                     "req/PR", "goal", 5.0),
            BenchRow("github_api_first_sync", "prs_per_s_local_server", n / seconds, "PR/s"),
        ]
        srv.stats.reset()
        again = sync_api(spec, wh, Lineage.adhoc("bench/github"), token=token, log=lambda m: None)
        assert again.unchanged
        rows += [
            BenchRow("github_api_resync_unchanged", "requests_per_pr", srv.stats.requests / n, "req/PR",
                     "goal", 5.0),
            BenchRow("github_api_resync_unchanged", "rate_limited_requests", srv.stats.decrementing,
                     "requests", "goal", 0.0),
            BenchRow("github_api_resync_unchanged", "not_modified_304", srv.stats.not_modified, "requests"),
        ]
    return rows


def _local_rows(home: Path) -> list[BenchRow]:
    from ops.github.local_clone import scan_local_clone
    from ops.github.synthetic_repo import generate_repo

    repo = generate_repo(home / "synthetic", n_prs=N_LOCAL_PRS, seed=1)
    best = float("inf")
    for _ in range(3):  # the PR scan itself (PRs, files, merge bases); blame measured below
        t0 = time.perf_counter()
        snap = scan_local_clone(repo.path, "bench/synthetic", with_blame=False)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    snap = scan_local_clone(repo.path, "bench/synthetic")  # what a sync runs: with blame evidence
    with_blame = time.perf_counter() - t0
    from ops.github.chains import build_pr_chains

    t0 = time.perf_counter()
    chains = build_pr_chains(snap)
    chain_seconds = time.perf_counter() - t0
    found = {p.number for p in snap.pull_requests}
    recall = len(found & set(repo.pr_numbers)) / len(repo.pr_numbers)
    return [
        BenchRow("github_local_clone", "prs_per_s", len(snap.pull_requests) / best, "PR/s", "goal", 1000.0),
        BenchRow("github_local_clone", "commits", repo.n_commits, "commits"),
        BenchRow("github_local_clone", "scan_seconds_best_of_3", best, "s"),
        BenchRow("github_local_clone", "scan_with_blame_seconds", with_blame, "s"),
        BenchRow("github_local_clone", "prs_per_s_with_blame", len(snap.pull_requests) / with_blame, "PR/s"),
        BenchRow("github_local_clone", "blame_links", len(snap.blame_links), "links"),
        BenchRow("github_local_clone", "recall", recall, "fraction", "goal", 1.0),
        BenchRow("github_pr_chains", "build_seconds", chain_seconds, "s"),
        BenchRow("github_pr_chains", "chains", len(chains), "chains"),
    ]


def run() -> list[BenchRow]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        previous = os.environ.get("TRAINYARD_HOME")
        # the API sync's HTTP cache and patch artifacts go to a scratch home
        os.environ["TRAINYARD_HOME"] = str(home)
        try:
            rows = _api_rows(home)
        finally:
            if previous is None:
                os.environ.pop("TRAINYARD_HOME", None)
            else:
                os.environ["TRAINYARD_HOME"] = previous
        rows += _local_rows(home)
    return rows
