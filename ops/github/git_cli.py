"""Running ``git`` safely on untrusted repositories: read-only plumbing, no repository-configured
programs (fsmonitor, external diff, textconv, pagers), a fixed environment."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Sequence

# Options that stop a repository's own config from making git run a program of its choosing.
SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.quotepath=false", "-c", "core.pager=cat",
               "-c", "diff.external=", "-c", "core.hooksPath=/dev/null", "-c", "log.showSignature=false")


class GitError(RuntimeError):
    """A git command failed; the message carries git's stderr."""


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                "GIT_OPTIONAL_LOCKS": "0"})
    if extra:
        env.update(extra)
    return env


def run_git(repo: Path, args: Sequence[str], stdin: bytes | None = None,
            env: dict[str, str] | None = None, check: bool = True) -> bytes:
    """Run ``git -C repo <args>``; returns stdout bytes (decode yourself: content may be any bytes)."""
    proc = subprocess.run(["git", *SAFE_CONFIG, "-C", str(repo), *args], input=stdin,
                          capture_output=True, env=git_env(env))
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed in {repo}: "
                       f"{proc.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return proc.stdout
