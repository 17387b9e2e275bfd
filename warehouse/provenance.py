"""Where a measured number came from: the machine and the git commit of the writing process.

Both are read once per process (cached). Neither imports torch: the GPU is named from the NVIDIA
driver's ``/proc`` entries, so recording an evaluation stays cheap in any step."""
from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from pathlib import Path

from warehouse.paths import PROJECT_ROOT


def _gpu_names() -> list[str]:
    names = []
    for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
        try:
            for line in info.read_text().splitlines():
                if line.startswith("Model:"):
                    names.append(line.split(":", 1)[1].strip())
        except OSError:
            continue
    torch = sys.modules.get("torch")  # already loaded (a training step): ask it, never import it here
    if not names and torch is not None:
        try:
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception:  # a CPU build or a broken driver: no GPU to name
            names = []
    return names


@functools.lru_cache(maxsize=1)
def machine_description() -> str:
    """``'<OS> <CPU>, <cores> cores, <GPU or "no GPU">, Python <version>'``."""
    cpu = platform.processor() or platform.machine()
    gpus = _gpu_names()
    gpu = ", ".join(gpus) if gpus else "no GPU"
    return f"{platform.system()} {cpu}, {os.cpu_count()} cores, {gpu}, Python {platform.python_version()}"


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """Short commit of the project checkout (``+dirty`` when tracked files differ), else
    ``$TRAINYARD_GIT_COMMIT`` (set it in images built without ``.git``), else ``'unknown'``."""
    env = os.environ.get("TRAINYARD_GIT_COMMIT", "").strip()
    if env:
        return env
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=10)
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=30)
        return sha.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
