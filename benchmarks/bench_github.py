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


REAL_REPOS = {"more-itertools": "more-itertools/more-itertools", "humanize": "python-humanize/humanize"}


def _real_rows(home: Path) -> list[BenchRow]:
    """Issue #14 on the real repositories in ../shared/data/repos (skipped when absent): merge-PR
    file counts vs ``git diff --name-only $(git merge-base P1 P2) P2``, edges, blame edges
    confirmed by the independent check of ``tests/ops/github/blame_check.py`` (all of them),
    edges whose earlier PR is not an ancestor of the later PR's merge base, fork-internal merges
    excluded."""
    import subprocess
    from collections import Counter

    from ops.github.chains import build_pr_graph_with_evidence
    from ops.github.local_clone import scan_local_clone
    from tests.conftest import SHARED_DATA
    from tests.ops.github.blame_check import confirm_edge, merge_pr_file_count, pr_base

    rows = []
    for name, repo in REAL_REPOS.items():
        bundle = SHARED_DATA / "repos" / f"{name}.bundle"
        if not bundle.exists():
            print(f"{bundle} not present: real-repository rows skipped")
            continue
        path = home / name
        subprocess.run(["git", "clone", "-q", str(bundle), str(path)], check=True, capture_output=True)
        t0 = time.perf_counter()
        snap = scan_local_clone(path, repo)
        seconds = time.perf_counter() - t0
        prs = {p.number: p for p in snap.pull_requests}
        n_files = Counter(f.number for f in snap.files)
        merges = [p for p in snap.pull_requests if p.head_sha != p.merge_commit_sha]
        agree = sum(n_files[p.number] == merge_pr_file_count(path, p.merge_commit_sha) for p in merges)
        graph, evidence = build_pr_graph_with_evidence(snap)
        blame_edges = [e for e in graph if evidence.get(e)]
        confirmed = sum(confirm_edge(path, prs[a].merge_commit_sha, prs[b].merge_commit_sha,
                                     sorted({x["path"] for x in evidence[(a, b)]}))[0] for a, b in blame_edges)
        not_ancestor = sum(1 for a, b in graph if subprocess.run(
            ["git", "-C", str(path), "merge-base", "--is-ancestor", prs[a].merge_commit_sha,
             pr_base(path, prs[b].merge_commit_sha)]).returncode)
        bench = f"github_real_{name}"
        rows += [
            BenchRow(bench, "merge_prs", len(merges), "PRs"),
            BenchRow(bench, "merge_pr_file_counts_agree", agree, "PRs", "goal", len(merges)),
            BenchRow(bench, "edges", len(graph), "edges"),
            BenchRow(bench, "blame_edges", len(blame_edges), "edges"),
            BenchRow(bench, "blame_edges_confirmed_fraction", confirmed / max(1, len(blame_edges)),
                     "fraction", "goal", 0.95),
            BenchRow(bench, "edges_not_ancestor", not_ancestor, "edges", "goal", 0.0),
            BenchRow(bench, "fork_internal_merges_excluded",
                     sum(p.reason.startswith("fork-internal merge") for p in snap.problems), "merges"),
            BenchRow(bench, "blame_links", len(snap.blame_links), "links"),
            BenchRow(bench, "scan_with_blame_seconds", seconds, "s"),
        ]
    return rows


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
        rows += _real_rows(home)
    return rows
