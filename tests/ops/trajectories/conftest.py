"""Shared fixtures for the trajectory ops tests: the embedded demo repository (real git history),
its snapshot and PR chains, built once per module."""
import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from ops.github.chains import build_pr_chains
    from ops.github.demo_repo import DEMO_REPO, create_demo_repo
    from ops.github.local_clone import scan_local_clone
    from ops.trajectories.pr_context import pr_contexts

    path = create_demo_repo(tmp_path_factory.mktemp("demo") / "widgets")
    snapshot = scan_local_clone(path, DEMO_REPO)
    chains = build_pr_chains(snapshot)

    class Demo:
        pass

    d = Demo()
    d.path, d.snapshot, d.chains = path, snapshot, chains
    d.contexts = pr_contexts(snapshot)
    d.commits = {c.sha: c for c in snapshot.commits}
    d.chain = lambda cid: next(c for c in chains if c.chain_id == cid)
    return d
