"""Work trees for test runs: a commit's files (``git archive``, extracted with tarfile's ``data``
filter, so no entry escapes the directory), optionally with some files taken from another commit
(the PR's test changes on top of its base), plus what a build would have generated (version files,
the distribution's metadata) so the package imports from the tree without being built."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

from ops.execution.recipe import EnvRecipe
from ops.github.git_cli import GitError, run_git

SITE_DIR = ".trainyard_site"  # holds <name>-0+local.dist-info so importlib.metadata finds the package


def materialize(repo: Path, sha: str, dest: Path) -> None:
    """Write the tree of ``sha`` into the empty directory ``dest``."""
    data = run_git(repo, ["archive", "--format=tar", sha])
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def overlay(repo: Path, sha: str, paths: list[str], dest: Path) -> None:
    """Make each of ``paths`` in ``dest`` what it is at ``sha`` (deleted when absent there)."""
    for p in paths:
        target = (dest / p).resolve()
        if not target.is_relative_to(dest.resolve()):
            raise ValueError(f"path escapes the work tree: {p!r}")
        try:
            content = run_git(repo, ["show", f"{sha}:{p}"])
        except GitError:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def prepare_imports(recipe: EnvRecipe, dest: Path) -> None:
    """Generated files a build would have made: version modules and the dist-info metadata."""
    for vf in recipe.version_files:
        target = dest / vf
        if not target.exists() and target.resolve().is_relative_to(dest.resolve()):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text('# written by trainyard in place of a build backend\n'
                              '__version__ = version = "0+local"\n__version_tuple__ = version_tuple = (0, "local")\n')
    if recipe.dist_name:
        info = dest / SITE_DIR / f"{recipe.dist_name.replace('-', '_')}-0+local.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {recipe.dist_name}\nVersion: 0+local\n")
