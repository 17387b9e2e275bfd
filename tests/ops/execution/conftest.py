"""Tiny git repositories whose PRs have known execution outcomes, and one shared test environment
(pytest only, built once per session with uv from the package registry)."""
import shutil
import subprocess
from pathlib import Path

import pytest

from ops.execution.validate import PRUnderTest

GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00", "PATH": "/usr/bin:/bin"}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout.strip()


class FixtureRepo:
    """A repository with a ``main`` line; ``pr(files)`` commits files on top and returns a
    ``PRUnderTest`` whose base is the previous commit."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True)
        _git(path, "init", "-q", "-b", "main")

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        _git(self.path, "add", "-A")
        _git(self.path, "commit", "-q", "-m", message)
        return _git(self.path, "rev-parse", "HEAD")

    def pr(self, files: dict[str, str | None], tests: list[str], message: str = "PR") -> PRUnderTest:
        base = _git(self.path, "rev-parse", "HEAD")
        merge = self.commit(files, message)
        return PRUnderTest(f"fixture/repo#{len(_git(self.path, 'log', '--format=%H').split())}", base, merge, tests,
                           [f for f in files if f.startswith("tests/")])


@pytest.fixture
def fixture_repo(tmp_path) -> FixtureRepo:
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    repo = FixtureRepo(tmp_path / "repo")
    repo.commit({"pyproject.toml": '[project]\nname = "calc"\nversion = "0.1"\n',
                 "calc/__init__.py": "def add(a, b):\n    return a - b\n",
                 "tests/test_calc.py": "import calc\n\n\ndef test_add_zero():\n    assert calc.add(2, 0) == 2\n"},
                "initial")
    return repo


@pytest.fixture(scope="session")
def test_environment(tmp_path_factory):
    """A ready environment with pytest, reused by every test in the session."""
    from ops.execution.environments import ensure_environment
    from ops.execution.recipe import EnvRecipe
    from ops.execution.sandbox import SandboxUnavailable, bwrap_path

    try:
        bwrap_path()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    recipe = EnvRecipe(["pytest>=7"], "calc", ["."], [], ["test"], [])
    env = ensure_environment(recipe, tmp_path_factory.mktemp("envs"))
    assert env.ready, env.error_tail
    return env
