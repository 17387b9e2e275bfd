"""Test environments: one virtual environment per recipe key, built with ``uv`` from the package
registries and cached, so consecutive PRs with the same dependency files share one.

Only registry packages are installed here (outside the sandbox); the repository itself is never
built or installed: its tests import it from the work tree (``ops.execution.workdir``). A failed
install is kept as a marker with the tail of the installer's error, so the same recipe is not
retried on every PR (``retry_failed=True`` retries).
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ops.execution.recipe import EnvRecipe

INSTALL_TIMEOUT_S = 900


@dataclasses.dataclass
class Environment:
    env_id: str  # the recipe key
    path: Path
    python: str  # the interpreter inside the environment
    status: str  # ready | failed
    resolved: dict[str, str]  # name -> version, as installed
    error_tail: str
    cache_hit: bool
    seconds: float
    recipe: EnvRecipe

    @property
    def ready(self) -> bool:
        return self.status == "ready"


def base_interpreter(version: str = "3.11") -> str:
    """A world-readable interpreter the sandbox's unprivileged uid can run (Debian's, when present)."""
    for cand in (f"/usr/bin/python{version}", "/usr/bin/python3"):
        if Path(cand).exists():
            return cand
    return sys.executable


def _uv() -> str:
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise RuntimeError("uv is not installed: it is a dependency of trainyard (pip install uv)")
        return found


def _tail(text: str, n: int = 1500) -> str:
    return text.strip()[-n:]


def ensure_environment(recipe: EnvRecipe, envs_dir: Path, retry_failed: bool = False) -> Environment:
    """The environment for ``recipe`` under ``envs_dir/<key>``: reused when built before, else built."""
    envs_dir.mkdir(parents=True, exist_ok=True)
    root = envs_dir / recipe.key
    marker = envs_dir / f"{recipe.key}.json"
    t0 = time.monotonic()
    with open(envs_dir / f"{recipe.key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes building one key wait for each other
        if marker.exists():
            info = json.loads(marker.read_text())
            if info["status"] == "ready" or not retry_failed:
                return Environment(recipe.key, root, str(root / "bin" / "python"), info["status"], info["resolved"],
                                   info.get("error_tail", ""), True, time.monotonic() - t0, recipe)
        shutil.rmtree(root, ignore_errors=True)
        status, resolved, err = _build(recipe, root)
        info = {"status": status, "resolved": resolved, "error_tail": err, "recipe": recipe.as_dict(),
                "built_seconds": round(time.monotonic() - t0, 2)}
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=1))
        os.replace(tmp, marker)
    return Environment(recipe.key, root, str(root / "bin" / "python"), status, resolved, err, False,
                       time.monotonic() - t0, recipe)


def _build(recipe: EnvRecipe, root: Path) -> tuple[str, dict[str, str], str]:
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["UV_NO_PROGRESS"] = "1"
    try:
        p = subprocess.run([uv, "venv", "--quiet", "--python", base_interpreter(recipe.python), str(root)],
                           capture_output=True, text=True, env=env, timeout=120)
        if p.returncode != 0:
            return "failed", {}, _tail(p.stderr or p.stdout)
        p = subprocess.run([uv, "pip", "install", "--quiet", "--python", str(root / "bin" / "python"),
                            *recipe.requirements], capture_output=True, text=True, env=env,
                           timeout=INSTALL_TIMEOUT_S)
        if p.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            return "failed", {}, _tail(p.stderr or p.stdout)
        p = subprocess.run([uv, "pip", "list", "--format", "json", "--python", str(root / "bin" / "python")],
                           capture_output=True, text=True, env=env, timeout=120)
        resolved = {d["name"]: d["version"] for d in json.loads(p.stdout or "[]")}
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(root, ignore_errors=True)
        return "failed", {}, f"install timed out after {exc.timeout} s"
    return "ready", resolved, ""
