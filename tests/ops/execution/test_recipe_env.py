"""Recipes are read statically (no repository code runs), lint/docs tools are left out, generated
version files are written, and environments are cached by recipe key."""
import json

from ops.execution.environments import ensure_environment
from ops.execution.recipe import EnvRecipe, read_recipe
from ops.execution.workdir import materialize, prepare_imports

PYPROJECT = '''[project]
name = "demo-pkg"
dependencies = ["attrs>=22"]
[project.optional-dependencies]
tests = ["freezegun", "pytest>=8", "pytest-cov"]
docs = ["sphinx"]
[tool.hatch.build.hooks.vcs]
version-file = "src/demo_pkg/_version.py"
'''
SETUP_PY = '''import os
os.system("echo this must never run")
from setuptools import setup
setup(name="demo-pkg", install_requires=["six"], tests_require=["mock"], extras_require={"testing": ["hypothesis"]},
      version=open("VERSION").read())
'''


def test_recipe_reads_every_declaration_statically(fixture_repo, tmp_path):
    sha = fixture_repo.commit({"pyproject.toml": PYPROJECT, "setup.py": SETUP_PY,
                               "requirements/test.txt": "-r base.txt\nruff\nflake8-bugbear\n",
                               "requirements/base.txt": "requests>=2  # http\n",
                               "tox.ini": "[testenv]\ndeps =\n    pytest-timeout\n    -r requirements/test.txt\n",
                               "src/demo_pkg/__init__.py": "from ._version import __version__\n"})
    r = read_recipe(fixture_repo.path, sha)
    assert r.requirements == sorted(["attrs>=22", "freezegun", "pytest>=8", "pytest-cov", "six", "mock", "setuptools<75",
                                     "hypothesis", "pytest-timeout", "requests>=2"])
    assert r.dist_name == "demo-pkg" and r.import_roots == ["src", "."]
    assert r.version_files == ["src/demo_pkg/_version.py"]
    assert any("ruff" in s for s in r.skipped) and any("flake8-bugbear" in s for s in r.skipped)
    assert not any("sphinx" in x for x in r.requirements)
    # the generated version module and dist-info let the package import from the work tree
    tree = tmp_path / "tree"
    materialize(fixture_repo.path, sha, tree)
    prepare_imports(r, tree)
    assert "__version__" in (tree / "src/demo_pkg/_version.py").read_text()
    assert (tree / ".trainyard_site/demo_pkg-0+local.dist-info/METADATA").read_text().startswith("Metadata-Version")


def test_recipe_key_depends_only_on_what_is_installed(fixture_repo):
    a = read_recipe(fixture_repo.path, fixture_repo.commit({"README.md": "x"}))
    b = read_recipe(fixture_repo.path, fixture_repo.commit({"calc/__init__.py": "def add(a, b):\n    return 0\n"}))
    c = read_recipe(fixture_repo.path, fixture_repo.commit({"requirements-test.txt": "hypothesis\n"}))
    assert a.key == b.key != c.key and a.requirements == ["pytest>=7", "setuptools<75"]


def test_environment_is_cached_and_a_failed_install_keeps_the_error(tmp_path, test_environment):
    again = ensure_environment(test_environment.recipe, test_environment.path.parent)
    assert again.ready and again.cache_hit and again.resolved == test_environment.resolved
    bad = EnvRecipe(["this-package-does-not-exist-trainyard-xyz==9.9"], "", ["."], [], [], [])
    env = ensure_environment(bad, tmp_path / "envs")
    assert env.status == "failed" and not env.cache_hit and "this-package-does-not-exist" in env.error_tail
    marker = json.loads((tmp_path / "envs" / f"{bad.key}.json").read_text())
    assert marker["status"] == "failed"
    assert ensure_environment(bad, tmp_path / "envs").cache_hit  # not retried on every PR
