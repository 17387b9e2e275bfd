"""The one record shape both GitHub sources produce (API via PyGithub, offline local clone).

Every record names its repository as ``"owner/name"``; times are naive UTC ``datetime``s; shas are
40-hex git object ids. ``RepoSnapshot`` bundles everything known about one repository and is what
sources return and what ``chains.build_pr_chains`` and the warehouse writers consume.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Optional

# Sources of records, stored in the warehouse so consumers know how much to trust a field.
SOURCE_API = "github_api"
SOURCE_LOCAL = "local_clone"


@dataclasses.dataclass
class Repository:
    """One repository: ``repo`` is "owner/name"."""

    repo: str
    default_branch: str = "main"
    description: str = ""
    head_sha: str = ""
    source: str = SOURCE_LOCAL
    url: str = ""
    updated_at: Optional[dt.datetime] = None

    @property
    def key(self) -> str:
        return self.repo


@dataclasses.dataclass
class PullRequest:
    """A pull request. ``commits`` are the PR's own commit shas, oldest first; for the local source
    they are the merged branch's first-parent range (a squash merge has just the squash commit)."""

    repo: str
    number: int
    title: str
    body: str = ""
    state: str = "merged"  # open | closed | merged
    author: str = ""
    created_at: Optional[dt.datetime] = None
    merged_at: Optional[dt.datetime] = None
    closed_at: Optional[dt.datetime] = None
    base_sha: str = ""
    head_sha: str = ""
    merge_commit_sha: str = ""
    labels: list[str] = dataclasses.field(default_factory=list)
    commits: list[str] = dataclasses.field(default_factory=list)
    updated_at: Optional[dt.datetime] = None
    head_ref: str = ""
    base_ref: str = ""
    merge_style: str = ""  # merge_commit | squash | api
    linked_issues: list[int] = dataclasses.field(default_factory=list)  # closing keywords
    source: str = SOURCE_LOCAL
    # Other commits carrying the same "(#N)" (cherry-picks onto release branches); not the PR itself.
    duplicate_shas: list[str] = dataclasses.field(default_factory=list)
    # The commit the PR's diff starts from: ``git merge-base`` of the merge's parents (what GitHub
    # shows), the squash commit's parent; API: empty (GitHub computed the diff).
    merge_base_sha: str = ""
    # Where ``title`` came from: api | merge_body (first line of the merge message body) |
    # commit_subject (the squash commit, or a one-commit merge without a body) | branch_name |
    # merge_subject (nothing better: the raw "Merge pull request #N from ..." line).
    title_source: str = ""
    # What ``author`` is: github_login (API) | git_name (local clone: the git author name).
    author_kind: str = ""
    # The GitHub login when the source knows it (API; local clone: a users.noreply.github.com
    # author e-mail), else "".
    author_login: str = ""

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"

    @property
    def merged(self) -> bool:
        return self.merged_at is not None or self.state == "merged"


@dataclasses.dataclass
class PRFile:
    """One file a PR changed. ``patch`` is None for binary files and for patches too large to keep
    inline (``patch_too_large``; the full patch then lives in an artifact, see ``patch_artifact``)."""

    repo: str
    number: int
    path: str
    status: str  # added | modified | removed | renamed
    additions: int = 0
    deletions: int = 0
    patch: Optional[str] = None
    is_binary: bool = False
    patch_too_large: bool = False
    previous_path: str = ""
    patch_artifact: str = ""  # relative path under the artifacts root, when stored out of line
    patch_bytes: int = 0

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}:{self.path}"


@dataclasses.dataclass
class Commit:
    """A commit. ``pr_number`` is the PR it belongs to (its own commit or the merge/squash commit)."""

    repo: str
    sha: str
    parents: list[str] = dataclasses.field(default_factory=list)
    author: str = ""
    message: str = ""
    authored_at: Optional[dt.datetime] = None
    pr_number: Optional[int] = None

    @property
    def key(self) -> str:
        return f"{self.repo}@{self.sha}"


@dataclasses.dataclass
class Review:
    """A review on a PR (state: APPROVED | CHANGES_REQUESTED | COMMENTED | ...)."""

    repo: str
    number: int
    id: int
    author: str = ""
    body: str = ""
    state: str = ""
    commit_id: str = ""
    created_at: Optional[dt.datetime] = None

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}/review/{self.id}"


@dataclasses.dataclass
class ReviewComment:
    """A comment on a PR. ``kind`` is "review" (inline, has path/line) or "issue" (conversation)."""

    repo: str
    number: int
    id: int
    author: str = ""
    body: str = ""
    path: str = ""
    line: Optional[int] = None
    commit_id: str = ""
    created_at: Optional[dt.datetime] = None
    kind: str = "review"
    review_id: Optional[int] = None

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}/{self.kind}-comment/{self.id}"


@dataclasses.dataclass
class IssueRecord:
    """An issue (not a PR) that some PR links to."""

    repo: str
    number: int
    title: str = ""
    body: str = ""
    state: str = "open"
    author: str = ""
    created_at: Optional[dt.datetime] = None
    closed_at: Optional[dt.datetime] = None
    labels: list[str] = dataclasses.field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.repo}/issues/{self.number}"


@dataclasses.dataclass
class BlameLink:
    """Evidence for a blame edge: PR ``number`` changes lines ``line_start``-``line_end`` of
    ``path`` (old side, at ``base_sha``, B's merge base) that ``git blame`` at ``base_sha``
    attributes to ``blamed_sha``, a commit of PR ``from_pr`` (whose merge commit is an ancestor of
    ``base_sha``)."""

    repo: str
    number: int
    from_pr: int
    path: str
    line_start: int
    line_end: int
    blamed_sha: str
    base_sha: str = ""

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}<-#{self.from_pr}:{self.path}:{self.line_start}"


@dataclasses.dataclass
class PRChain:
    """An ordered path through the PR dependency graph. ``edges`` are (from_pr, to_pr, reason)
    with from earlier than to; ``span_days`` from the first PR's creation to the last one's merge
    (or creation); ``files_touched`` the sorted union of paths."""

    repo: str
    chain_id: str
    pr_numbers: list[int]
    edges: list[tuple[int, int, str]] = dataclasses.field(default_factory=list)
    span_days: float = 0.0
    files_touched: list[str] = dataclasses.field(default_factory=list)
    # One list per edge (same order as ``edges``): the blame evidence behind it, as dicts
    # {path, line_start, line_end, blamed_sha}; empty for edges with only textual reasons.
    edge_evidence: list[list[dict]] = dataclasses.field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.repo}/chain/{self.chain_id}"

    @property
    def length(self) -> int:
        return len(self.pr_numbers)


@dataclasses.dataclass
class Problem:
    """Bad input seen while reading a source: goes to the quarantine table, never stops the run."""

    record_key: str
    reason: str
    record: Any = None


@dataclasses.dataclass
class RepoSnapshot:
    """Everything one source knows about one repository."""

    repository: Repository
    pull_requests: list[PullRequest] = dataclasses.field(default_factory=list)
    files: list[PRFile] = dataclasses.field(default_factory=list)
    commits: list[Commit] = dataclasses.field(default_factory=list)
    reviews: list[Review] = dataclasses.field(default_factory=list)
    review_comments: list[ReviewComment] = dataclasses.field(default_factory=list)
    issues: list[IssueRecord] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    # Blame evidence for PR-chain edges (local clones only; the API source has no history).
    blame_links: list[BlameLink] = dataclasses.field(default_factory=list)

    @property
    def repo(self) -> str:
        return self.repository.repo

    def pr(self, number: int) -> Optional[PullRequest]:
        for p in self.pull_requests:
            if p.number == number:
                return p
        return None

    def files_of(self, number: int) -> list[PRFile]:
        return [f for f in self.files if f.number == number]


def to_row(record: Any) -> dict[str, Any]:
    """A flat dict for the warehouse: lists become plain Python lists (DuckDB LIST columns)."""
    return dataclasses.asdict(record)
