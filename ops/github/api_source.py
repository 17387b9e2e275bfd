"""GitHub API source through an unmodified PyGithub client: incremental, resumable, cheap on
rate limit.

``sync_api(spec, wh, lineage, token=...)``:

1. ``GET /repos/{repo}`` (404 → quarantine row, nothing else; a rename is followed by PyGithub and
   recorded as a quarantine note).
2. List PRs by ``updated`` descending until reaching the cursor (``updated_at``, ``number``) of
   the last fully written PR. An unchanged repository stops at the first (revalidated, 304) page.
3. If anything changed: review comments and issue comments updated since the cursor (repository-
   wide lists, amortised over all PRs), written first.
4. Changed PRs oldest first, in batches: files, commits, reviews per PR, linked issues (closing
   keywords in body/commits, one conditional ``GET /issues/N`` each). Each batch is upserted and
   then the cursor advances, so a killed sync resumes at the first unwritten batch and re-writing
   a batch cannot duplicate rows.

Every GET goes through ``http_cache.CachingAdapter`` (ETag / 304). 5xx, timeouts, secondary rate
limits (Retry-After, 403 or 429) and primary rate limits (403 + reset) are retried by PyGithub's
``GithubRetry``. The token only reaches ``github.Auth.Token``.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from ops.github.local_clone import closing_references
from ops.github.records import (
    SOURCE_API, Commit, IssueRecord, PRFile, Problem, PullRequest, RepoSnapshot, Repository, Review,
    ReviewComment,
)
from ops.github.repo_list import RepoSpec
from ops.github.sync import SyncResult

_NUMBER_RE = re.compile(r"/(?:pulls|issues)/(\d+)$")


def _utc(value) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _login(user) -> str:
    return user.login if user is not None else ""


def make_client(spec: RepoSpec, token: str | None, *, per_page: int = 100, timeout: int = 15,
                retry_total: int = 8, backoff_factor: float = 0.5, max_rate_limit_wait: float = 3600,
                secondary_rate_wait: float = 60, seconds_between_requests: float | None = None):
    """An unmodified ``github.Github`` with PyGithub's own retry (5xx, timeouts, rate limits).
    ``seconds_between_requests`` defaults to PyGithub's polite spacing (0.25 s), or 0 for a
    loopback server."""
    import urllib.parse

    from github import Auth, Consts, Github, GithubRetry

    if seconds_between_requests is None:
        host = urllib.parse.urlparse(spec.base_url).hostname or ""
        seconds_between_requests = 0.0 if host in ("127.0.0.1", "localhost", "::1") else \
            Consts.DEFAULT_SECONDS_BETWEEN_REQUESTS

    retry = GithubRetry(total=retry_total, backoff_factor=backoff_factor,
                        status_forcelist=[429, 500, 502, 503, 504],
                        max_rate_limit_wait=max_rate_limit_wait, secondary_rate_wait=secondary_rate_wait)
    return Github(base_url=spec.base_url.rstrip("/"), auth=Auth.Token(token) if token else None,
                  per_page=per_page, timeout=max(1, int(timeout)), retry=retry,
                  seconds_between_requests=seconds_between_requests)


def _adapter(spec: RepoSpec, max_rate_limit_wait: float, stats=None):
    import hashlib

    from ops.github.http_cache import CachingAdapter, RequestStats, ResponseCache
    from warehouse.paths import artifact_dir

    host = hashlib.sha256(spec.base_url.encode()).hexdigest()[:8]
    cache = ResponseCache(artifact_dir("github", "http_cache", host, spec.repo.replace("/", "__")))
    return CachingAdapter(cache, stats or RequestStats(), max_rate_limit_wait)


def newest_pr_update(spec: RepoSpec, token: str | None = None) -> dt.datetime | None:
    """updated_at of the most recently updated PR (one conditional request), or None."""
    import os

    from ops.github.http_cache import caching_connections

    token = token if token is not None else os.environ.get("GITHUB_TOKEN")
    adapter = _adapter(spec, 60)
    with caching_connections(adapter):
        # a sensor tick must stay short: one retry, short timeout
        gh = make_client(spec, token, per_page=1, timeout=10, retry_total=1, backoff_factor=0.1)
        pulls = gh.get_repo(spec.repo, lazy=True).get_pulls(state="all", sort="updated", direction="desc")
        for pr in pulls:
            return _utc(pr.updated_at)
    return None


def _pr_record(repo: str, pr) -> PullRequest:
    merged_at = _utc(pr.merged_at)
    return PullRequest(
        repo=repo, number=pr.number, title=pr.title or "", body=pr.body or "",
        state="merged" if merged_at else pr.state, author=_login(pr.user),
        created_at=_utc(pr.created_at), merged_at=merged_at, closed_at=_utc(pr.closed_at),
        updated_at=_utc(pr.updated_at), base_sha=pr.base.sha, head_sha=pr.head.sha,
        base_ref=pr.base.ref, head_ref=pr.head.ref, merge_commit_sha=pr.merge_commit_sha or "",
        labels=[label.name for label in pr.labels], merge_style="api", source=SOURCE_API,
        title_source="api", author_kind="github_login", author_login=_login(pr.user))


def _file_record(repo: str, number: int, f) -> PRFile:
    patch = f.patch
    changes = (f.additions or 0) + (f.deletions or 0)
    # GitHub omits "patch" both for binary files and for diffs too large to show.
    binary = patch is None and changes == 0 and f.status != "renamed"
    return PRFile(repo=repo, number=number, path=f.filename, status=f.status,
                  additions=f.additions or 0, deletions=f.deletions or 0, patch=patch,
                  is_binary=binary, patch_too_large=patch is None and changes > 0,
                  previous_path=f.previous_filename or "")


def _fetch_pr(repo: str, gh_repo, pr, known_prs: set[int], issues_cache: dict,
              problems: list[Problem]) -> RepoSnapshot:
    """Everything about one PR: files, commits, reviews, linked issues."""
    from github import GithubException

    record = _pr_record(repo, pr)
    files = [_file_record(repo, pr.number, f) for f in pr.get_files()]
    commits = []
    for c in pr.get_commits():
        git = c.commit
        commits.append(Commit(repo=repo, sha=c.sha, parents=[p.sha for p in c.parents],
                              author=_login(c.author) or (git.author.name if git.author else ""),
                              message=git.message or "", authored_at=_utc(git.author.date) if git.author else None,
                              pr_number=pr.number))
    record.commits = [c.sha for c in commits]
    reviews = [Review(repo=repo, number=pr.number, id=r.id, author=_login(r.user), body=r.body or "",
                      state=r.state or "", commit_id=r.commit_id or "", created_at=_utc(r.submitted_at))
               for r in pr.get_reviews()]
    text = "\n".join([record.body, *(c.message for c in commits)])
    issues = []
    for n in closing_references(text):
        if n in known_prs or n == pr.number:
            continue
        if n not in issues_cache:
            try:
                issue = gh_repo.get_issue(n)
                issues_cache[n] = None if issue.pull_request is not None else IssueRecord(
                    repo=repo, number=n, title=issue.title or "", body=issue.body or "",
                    state=issue.state, author=_login(issue.user), created_at=_utc(issue.created_at),
                    closed_at=_utc(issue.closed_at), labels=[label.name for label in issue.labels])
            except GithubException as exc:
                issues_cache[n] = None
                problems.append(Problem(f"{repo}/issues/{n}", f"linked issue not readable: HTTP {exc.status}",
                                        {"pr": pr.number}))
        if issues_cache[n] is not None:
            record.linked_issues.append(n)
            issues.append(issues_cache[n])
    return RepoSnapshot(repository=Repository(repo=repo, source=SOURCE_API), pull_requests=[record],
                        files=files, commits=commits, reviews=reviews, issues=issues)


def _comments(repo: str, gh_repo, since: dt.datetime | None) -> list[ReviewComment]:
    kwargs = {"sort": "updated", "direction": "asc"}
    if since is not None:
        kwargs["since"] = since.replace(tzinfo=dt.timezone.utc)
    out = []
    for c in gh_repo.get_pulls_comments(**kwargs):
        m = _NUMBER_RE.search(c.pull_request_url or "")
        if m:
            out.append(ReviewComment(repo=repo, number=int(m.group(1)), id=c.id, author=_login(c.user),
                                     body=c.body or "", path=c.path or "", line=c.line or c.original_line,
                                     commit_id=c.commit_id or "", created_at=_utc(c.created_at),
                                     kind="review", review_id=c.pull_request_review_id))
    for c in gh_repo.get_issues_comments(**kwargs):
        m = _NUMBER_RE.search(c.issue_url or "")
        if m:
            out.append(ReviewComment(repo=repo, number=int(m.group(1)), id=c.id, author=_login(c.user),
                                     body=c.body or "", created_at=_utc(c.created_at), kind="issue"))
    return out


def sync_api(spec: RepoSpec, wh, lineage, token: str | None = None,
             log: Callable[[str], None] = print, per_page: int = 100, batch_size: int = 20,
             max_rate_limit_wait: float = 3600, on_batch: Callable[[int], None] | None = None,
             **client_options) -> SyncResult:
    """Incremental, resumable sync of ``spec.repo`` (see module doc). ``on_batch(prs_written)``
    is called after each committed batch (tests use it to kill a sync mid-way)."""
    from github import GithubException, UnknownObjectException

    from ops.github.http_cache import caching_connections
    from ops.github.store import read_cursor, write_cursor, write_snapshot

    result = SyncResult(spec.repo, SOURCE_API)
    problems = result.problems
    adapter = _adapter(spec, max_rate_limit_wait)
    cursor = read_cursor(spec.repo, path=wh.path) or {}
    since = cursor.get("cursor_updated_at")
    mark = (since, cursor.get("cursor_number") or 0) if since else None

    def finish(status: str) -> SyncResult:
        result.requests = adapter.stats.requests
        result.not_modified = adapter.stats.not_modified
        result.rate_limited_requests = adapter.stats.rate_limited
        result.rate_limit_wait_s = adapter.stats.rate_limit_waits_s
        write_cursor(wh, lineage, spec.repo, SOURCE_API, status=status, prs_written=result.prs_written,
                     cursor_updated_at=mark[0] if mark else None, cursor_number=mark[1] if mark else None,
                     requests=result.requests, not_modified=result.not_modified)
        return result

    with caching_connections(adapter):
        gh = make_client(spec, token, per_page=per_page, max_rate_limit_wait=max_rate_limit_wait,
                         **client_options)
        try:
            gh_repo = gh.get_repo(spec.repo)
        except UnknownObjectException:
            problems.append(Problem(spec.repo, "repository not found (HTTP 404): deleted, private "
                                               "without access, or misspelled", {"base_url": spec.base_url}))
            return finish("failed")
        if gh_repo.full_name.lower() != spec.repo.lower():
            problems.append(Problem(spec.repo, f"repository was renamed to {gh_repo.full_name}; records "
                                               f"keep the requested name", {"full_name": gh_repo.full_name}))
        repository = Repository(repo=spec.repo, default_branch=gh_repo.default_branch or "",
                                description=gh_repo.description or "", source=SOURCE_API,
                                url=gh_repo.html_url or "", updated_at=_utc(gh_repo.updated_at))
        pending = []
        for pr in gh_repo.get_pulls(state="all", sort="updated", direction="desc"):
            key = (_utc(pr.updated_at), pr.number)
            if mark and key <= mark:
                break
            pending.append(pr)
        if not pending:
            if not cursor:
                problems.append(Problem(spec.repo, "repository has no pull requests", {}))
            result.unchanged = bool(cursor)
            log(f"{spec.repo}: no new or updated pull requests")
            return finish("complete")
        pending.sort(key=lambda p: (_utc(p.updated_at), p.number))
        known_prs = {p.number for p in pending}
        from warehouse.readers import read_sql

        known_prs |= set(read_sql("SELECT number FROM github_pull_requests WHERE repo = ?", [spec.repo],
                                  path=wh.path)["number"].to_list() if since else [])
        comments = _comments(spec.repo, gh_repo, since)
        result.rows = write_snapshot(wh, RepoSnapshot(repository=repository, review_comments=comments),
                                     lineage, problems)
        write_cursor(wh, lineage, spec.repo, SOURCE_API, status="running",
                     cursor_updated_at=mark[0] if mark else None, cursor_number=mark[1] if mark else None)
        issues_cache: dict = {}
        for start in range(0, len(pending), batch_size):
            batch = RepoSnapshot(repository=repository)
            for pr in pending[start:start + batch_size]:
                try:
                    one = _fetch_pr(spec.repo, gh_repo, pr, known_prs, issues_cache, problems)
                except GithubException as exc:
                    problems.append(Problem(f"{spec.repo}#{pr.number}", f"PR unreadable: HTTP {exc.status}",
                                            {"number": pr.number}))
                    continue
                batch.pull_requests += one.pull_requests
                batch.files += one.files
                batch.commits += one.commits
                batch.reviews += one.reviews
                batch.issues += one.issues
            rows = write_snapshot(wh, batch, lineage, problems)
            for table, n in rows.items():
                result.rows[table] = result.rows.get(table, 0) + n
            last = pending[min(start + batch_size, len(pending)) - 1]
            mark = (_utc(last.updated_at), last.number)
            result.prs_written += len(batch.pull_requests)
            write_cursor(wh, lineage, spec.repo, SOURCE_API, status="running", prs_written=result.prs_written,
                         cursor_updated_at=mark[0], cursor_number=mark[1],
                         requests=adapter.stats.requests, not_modified=adapter.stats.not_modified)
            if on_batch:
                on_batch(result.prs_written)
        log(f"{spec.repo}: {result.prs_written} PRs written, {adapter.stats.requests} requests "
            f"({adapter.stats.not_modified} not modified)")
        return finish("complete")
