"""Task filters reject bots, releases, raw merge subjects, housekeeping-only and test-only PRs, each
with its reason, and keep a PR that changes source."""
import pytest

from ops.github.records import PRFile, PullRequest
from ops.trajectories.pr_context import PRContext
from ops.trajectories.task_filters import TaskFilterConfig, filter_pr


def _ctx(title="Fix chunked on empty input", author="Jane Dev", files=("pkg/more.py", "tests/test_more.py"),
         body="", head_ref="jane/fix"):
    pr = PullRequest(repo="o/r", number=7, title=title, body=body, author=author, head_ref=head_ref)
    return PRContext(pr, [PRFile(repo="o/r", number=7, path=p, status="modified") for p in files], [], [], [])


@pytest.mark.parametrize("ctx, why", [
    (_ctx(author="dependabot[bot]"), "bot author"),
    (_ctx(author="pre-commit-ci[bot]"), "bot author"),
    (_ctx(head_ref="renovate/pytest-8.x"), "bot author"),
    (_ctx(title="Bump version to 3.2.0"), "version bump or release"),
    (_ctx(title="Release 2.6"), "version bump or release"),
    (_ctx(title="4.1.0"), "version bump or release"),
    (_ctx(title="Merge pull request #12 from someone/master"), "raw merge subject"),
    (_ctx(files=("docs/index.rst", "CHANGELOG.md")), "only docs/CI/changelog"),
    (_ctx(files=(".github/workflows/ci.yml", "requirements/test.txt", "poetry.lock")), "only docs/CI/changelog"),
    (_ctx(files=("tests/test_more.py", "tests/conftest.py")), "no non-test source"),
], ids=["dependabot", "pre-commit-ci", "renovate-branch", "bump", "release", "bare-version", "merge-title",
        "docs", "ci-lock", "tests-only"])
def test_rejected_with_reason(ctx, why):
    keep, reason = filter_pr(ctx)
    assert not keep and why in reason


def test_source_change_is_kept_and_filters_can_be_turned_off():
    assert filter_pr(_ctx()) == (True, "passed the task filters")
    assert filter_pr(_ctx(title="Merge pull request #3 from x/y", body="Make chunked lazy"))[0]
    assert filter_pr(_ctx(author="dependabot[bot]"), TaskFilterConfig(drop_bots=False))[0]

