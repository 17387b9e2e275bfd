"""The real repositories in ../shared/data/repos (heavy: tens of minutes on two cores): at least 40
(more-itertools) and 20 (humanize) verified tasks, each FAIL_TO_PASS test failing at the base and
passing at the merge in 2 of 2 runs, and nothing of the host modified."""
import subprocess

import pytest

pytestmark = pytest.mark.heavy


@pytest.mark.parametrize("repo, bundle, target", [
    ("more-itertools/more-itertools", "more-itertools.bundle", 40),
    ("python-humanize/humanize", "humanize.bundle", 20),
])
def test_bundle_yields_verified_tasks(shared_data, tmp_path, repo, bundle, target):
    from ops.execution.verify_repo import VerificationConfig, verify_repository
    from ops.github.local_clone import scan_local_clone

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(shared_data / "repos" / bundle), str(clone)], check=True)
    res = verify_repository(scan_local_clone(clone, repo), clone,
                            VerificationConfig(envs_dir=tmp_path / "envs", max_prs=target * 2, workers=2))
    verified = [r for r in res.validations if r["status"] == "verified"]
    assert len(verified) >= target, res.counts
    by_test: dict[tuple, list] = {}
    for t in res.test_results:
        by_test.setdefault((t["task_id"], t["test_id"]), []).append(t)
    for v in verified:
        for test in v["fail_to_pass"]:
            runs = by_test.get((v["task_id"], test), [])
            after = [r["outcome"] for r in runs if r["phase"] == "after"]
            before = [r["outcome"] for r in runs if r["phase"] == "before"]
            assert after == ["passed", "passed"], (v["task_id"], test, after)
            assert "passed" not in before, (v["task_id"], test, before)
    assert subprocess.run(["git", "-C", str(clone), "status", "--porcelain"], capture_output=True,
                          text=True).stdout == ""
