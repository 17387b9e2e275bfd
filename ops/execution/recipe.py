"""What a repository needs to run its tests at one commit, read statically from its files.

Nothing of the repository is executed here: ``pyproject.toml`` and ``setup.cfg`` are parsed as
TOML/INI, ``setup.py`` as a Python AST (literal lists only), requirements files and ``tox.ini`` as
text. The result is an ``EnvRecipe``: runtime and test requirements (lint, docs and type-checking
tools dropped), the distribution name, where its import packages live (``src/`` or the root), and
the version files a build backend would generate (hatch-vcs, setuptools-scm), which the test run
writes itself so the package imports without being built.
"""
from __future__ import annotations

import ast
import configparser
import dataclasses
import hashlib
import json
import re
import tomllib
from pathlib import Path

from ops.github.git_cli import GitError, run_git

# Dependency files whose content decides the environment (the cache key hashes them).
_REQ_FILE_RE = re.compile(r"^(requirements[^/]*\.txt|requirements/[^/]+\.txt|requirements/[^/]+\.in)$")
_TEST_EXTRA_RE = re.compile(r"^(tests?|testing|test-?requirements|pytest)$", re.I)
_TEST_REQ_FILE_RE = re.compile(r"test", re.I)
# Tools that lint, format, type-check, document, release or measure coverage do not affect tests.
_SKIP_TOOLS = {
    "flake8", "black", "ruff", "mypy", "pylint", "isort", "pre-commit", "tox", "twine", "wheel", "build",
    "codespell", "bandit", "readme-renderer", "check-manifest", "pyroma", "pycodestyle", "pyflakes",
    "pydocstyle", "coveralls", "codecov", "pip", "setuptools-scm", "hatch", "nox", "blacken-docs",
    "pytest-codspeed", "pytest-flake8", "pytest-mypy", "pytest-black", "pytest-isort",
}
_SKIP_PREFIXES = ("sphinx", "mkdocs", "types-", "furo", "flake8-", "jaraco.packaging", "rst.linker")
PYTEST = "pytest>=7"
# What ``python -m venv`` seeds on Python 3.11 besides pip: older code imports pkg_resources from it.
SEED = "setuptools<75"


@dataclasses.dataclass
class EnvRecipe:
    """A test environment's recipe; ``key`` identifies environments that can be shared."""

    requirements: list[str]  # PEP 508 strings, runtime + test, deduplicated and sorted
    dist_name: str  # the distribution's name (for importlib.metadata), "" when unknown
    import_roots: list[str]  # repository-relative directories to put on sys.path ("src", ".")
    version_files: list[str]  # files a build backend would generate (written before tests run)
    sources: list[str]  # the files the recipe was read from
    skipped: list[str]  # requirements left out, with why
    python: str = "3.11"

    @property
    def key(self) -> str:
        blob = json.dumps({"python": self.python, "requirements": self.requirements}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self) | {"key": self.key}


def _show(repo: Path, sha: str, path: str) -> str | None:
    try:
        return run_git(repo, ["show", f"{sha}:{path}"]).decode("utf-8", "replace")
    except GitError:
        return None


def _tree(repo: Path, sha: str) -> list[str]:
    return run_git(repo, ["ls-tree", "-r", "--name-only", sha]).decode("utf-8", "replace").splitlines()


def _req_name(req: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() if m else ""


def _keep(req: str, skipped: list[str], source: str) -> str | None:
    req = req.split("#", 1)[0].strip()
    if not req or req.startswith(("-", "git+", "http:", "https:", "file:", ".")):
        if req:
            skipped.append(f"{req} ({source}: not a registry requirement)")
        return None
    name = _req_name(req)
    if not name:
        return None
    if name in _SKIP_TOOLS or name.startswith(_SKIP_PREFIXES):
        skipped.append(f"{req} ({source}: lint/docs/release tool)")
        return None
    return req


def _requirements_file(repo: Path, sha: str, path: str, skipped: list[str], seen: set[str]) -> list[str]:
    if path in seen:
        return []
    seen.add(path)
    text = _show(repo, sha, path)
    if text is None:
        return []
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(("-r ", "--requirement ")):
            ref = s.split(None, 1)[1].strip()
            out += _requirements_file(repo, sha, str(Path(path).parent / ref).lstrip("./") if "/" in path else ref,
                                      skipped, seen)
            continue
        kept = _keep(s, skipped, path)
        if kept:
            out.append(kept)
    return out


def _from_pyproject(text: str, skipped: list[str]) -> tuple[list[str], str, list[str]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        skipped.append(f"pyproject.toml unreadable: {exc}")
        return [], "", []
    project = data.get("project", {})
    reqs = list(project.get("dependencies", []))
    for extra, items in (project.get("optional-dependencies") or {}).items():
        if _TEST_EXTRA_RE.match(extra):
            reqs += items
    for group, items in (data.get("dependency-groups") or {}).items():
        if _TEST_EXTRA_RE.match(group) or group == "dev":
            reqs += [i for i in items if isinstance(i, str)]
    tool = data.get("tool", {})
    version_files = []
    vcs = ((tool.get("hatch") or {}).get("build") or {}).get("hooks", {}).get("vcs", {})
    if vcs.get("version-file"):
        version_files.append(vcs["version-file"])
    scm = tool.get("setuptools_scm") or {}
    for k in ("version_file", "write_to"):
        if scm.get(k):
            version_files.append(scm[k])
    name = project.get("name") or ((tool.get("poetry") or {}).get("name", ""))
    kept = [k for r in reqs if (k := _keep(r, skipped, "pyproject.toml"))]
    return kept, name, version_files


def _from_setup_cfg(text: str, skipped: list[str]) -> tuple[list[str], str]:
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error as exc:
        skipped.append(f"setup.cfg unreadable: {str(exc)[:100]}")
        return [], ""
    reqs = cp.get("options", "install_requires", fallback="").splitlines()
    if cp.has_section("options.extras_require"):
        for extra, val in cp.items("options.extras_require"):
            if _TEST_EXTRA_RE.match(extra):
                reqs += val.splitlines()
    return [k for r in reqs if (k := _keep(r, skipped, "setup.cfg"))], cp.get("metadata", "name", fallback="")


def _from_setup_py(text: str, skipped: list[str]) -> tuple[list[str], str]:
    """Literal ``install_requires``/``tests_require``/test extras of a ``setup(...)`` call."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        skipped.append("setup.py: not parseable as Python 3")
        return [], ""
    reqs, name = [], ""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"):
            continue
        for kw in node.keywords:
            try:
                val = ast.literal_eval(kw.value)
            except ValueError:
                continue
            if kw.arg in ("install_requires", "tests_require") and isinstance(val, (list, tuple)):
                reqs += [str(v) for v in val]
            elif kw.arg == "extras_require" and isinstance(val, dict):
                reqs += [str(v) for k, vs in val.items() if _TEST_EXTRA_RE.match(str(k)) for v in vs]
            elif kw.arg == "name" and isinstance(val, str):
                name = val
    return [k for r in reqs if (k := _keep(r, skipped, "setup.py"))], name


def _from_tox(text: str, skipped: list[str]) -> tuple[list[str], list[str]]:
    """``[testenv] deps`` (requirements) and ``-r`` references (files to read)."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except configparser.Error:
        return [], []
    reqs, files = [], []
    for line in cp.get("testenv", "deps", fallback="").splitlines():
        s = line.strip()
        if s.startswith("-r"):
            files.append(s[2:].strip().replace("{toxinidir}/", ""))
        elif "{" not in s and (k := _keep(s, skipped, "tox.ini")):
            reqs.append(k)
    return reqs, files


def read_recipe(repo: Path, sha: str) -> EnvRecipe:
    """The test-environment recipe of ``repo`` at commit ``sha`` (static reads only)."""
    files = _tree(repo, sha)
    present = set(files)
    skipped: list[str] = []
    reqs: list[str] = []
    sources: list[str] = []
    name = ""
    version_files: list[str] = []
    if "pyproject.toml" in present:
        r, name, version_files = _from_pyproject(_show(repo, sha, "pyproject.toml") or "", skipped)
        reqs += r
        sources.append("pyproject.toml")
    if "setup.cfg" in present:
        r, n = _from_setup_cfg(_show(repo, sha, "setup.cfg") or "", skipped)
        reqs += r
        name = name or n
        sources.append("setup.cfg")
    if "setup.py" in present:
        r, n = _from_setup_py(_show(repo, sha, "setup.py") or "", skipped)
        reqs += r
        name = name or n
        sources.append("setup.py")
    seen: set[str] = set()
    req_files = [f for f in files if _REQ_FILE_RE.match(f) and (f == "requirements.txt" or _TEST_REQ_FILE_RE.search(f))]
    if "tox.ini" in present:
        r, refs = _from_tox(_show(repo, sha, "tox.ini") or "", skipped)
        reqs += r
        req_files += [f for f in refs if f in present]
        sources.append("tox.ini")
    for f in req_files:
        reqs += _requirements_file(repo, sha, f, skipped, seen)
        sources.append(f)
    own = re.sub(r"[-_.]+", "-", name).lower()
    reqs = [r for r in reqs if _req_name(r) != own]  # the package itself comes from the work tree
    if not any(_req_name(r) == "pytest" for r in reqs):
        reqs.append(PYTEST)
    if not any(_req_name(r) == "setuptools" for r in reqs):
        reqs.append(SEED)
    roots = ["src", "."] if any(f.startswith("src/") for f in files) else ["."]
    return EnvRecipe(sorted(set(reqs)), name, roots, version_files, sources, skipped)
