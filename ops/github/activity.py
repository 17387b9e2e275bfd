"""Cheap "is there anything new?" checks for the activity sensor."""
from __future__ import annotations

from ops.github.repo_list import RepoSpec


def activity_marker(spec: RepoSpec, cursor: dict | None) -> str:
    """A short marker of new activity since ``cursor`` (the repository's sync-cursor row), or ""
    when nothing changed. Local: HEAD sha. API: newest PR's updated_at, asked with a conditional
    request (a 304 does not count against the rate limit)."""
    if spec.source == "local":
        from ops.github.git_cli import run_git

        head = run_git(spec.path, ["rev-parse", "--verify", "HEAD^{commit}"]).decode().strip()
        return "" if cursor and cursor.get("head_sha") == head else head[:12]
    from ops.github.api_source import newest_pr_update

    newest = newest_pr_update(spec)
    if newest is None:
        return ""
    seen = cursor.get("cursor_updated_at") if cursor else None
    return "" if seen is not None and newest <= seen else newest.strftime("%Y%m%dT%H%M%S")
