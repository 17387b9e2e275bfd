"""Everything the trajectory ops need about one PR, gathered from a ``RepoSnapshot`` (the GitHub
branch's record shape) into one object: the PR, its files, linked issues, reviews and comments.
"""
from __future__ import annotations

import dataclasses
import re

from ops.github.records import IssueRecord, PRChain, PRFile, PullRequest, RepoSnapshot, Review, ReviewComment

TEST_PATH_RE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$)")


@dataclasses.dataclass
class PRContext:
    pr: PullRequest
    files: list[PRFile]
    issues: list[IssueRecord]
    reviews: list[Review]
    comments: list[ReviewComment]

    @property
    def key(self) -> str:
        return self.pr.key

    @property
    def text_files(self) -> list[PRFile]:
        return [f for f in self.files if not f.is_binary]

    @property
    def test_files(self) -> list[str]:
        return sorted(f.path for f in self.files if TEST_PATH_RE.search(f.path) and f.status != "removed")

    @property
    def lines_changed(self) -> int:
        return sum(f.additions + f.deletions for f in self.files)


def pr_contexts(snapshot: RepoSnapshot) -> dict[int, PRContext]:
    """One ``PRContext`` per merged PR of the snapshot, by PR number."""
    issues = {i.number: i for i in snapshot.issues}
    out: dict[int, PRContext] = {}
    for pr in snapshot.pull_requests:
        if not pr.merged:
            continue
        out[pr.number] = PRContext(
            pr=pr,
            files=snapshot.files_of(pr.number),
            issues=[issues[n] for n in pr.linked_issues if n in issues],
            reviews=[r for r in snapshot.reviews if r.number == pr.number],
            comments=[c for c in snapshot.review_comments if c.number == pr.number],
        )
    return out


def chain_key(chain: PRChain) -> str:
    return chain.key


def chain_source_keys(chain: PRChain) -> list[str]:
    return [f"{chain.repo}#{n}" for n in chain.pr_numbers]
