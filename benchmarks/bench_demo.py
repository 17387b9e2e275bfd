"""Whole `trainyard demo` wall time on the default profile in a fresh home (target ≤ 600 s on
2 cores), plus the time of each job it ran."""
import os
import re
import subprocess
import sys
import tempfile

from benchmarks.harness import BenchRow, timed
from warehouse.paths import PROJECT_ROOT


def run() -> list[BenchRow]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, TRAINYARD_HOME=home, TRAINYARD_PROFILE="demo")
        with timed() as elapsed:
            out = subprocess.run([sys.executable, "-m", "pipelines.cli", "demo"], cwd=PROJECT_ROOT,
                                 env=env, capture_output=True, text=True)
        seconds = elapsed()
    if out.returncode != 0:
        raise RuntimeError(f"demo failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    rows = [BenchRow("demo", "wall_s", seconds, "s", "target", 600.0)]
    job = None
    for line in out.stdout.splitlines():  # libraries may print between a job's two lines
        if m := re.match(r"running (.+) \.\.\.$", line):
            job = m.group(1)
        elif (m := re.match(r"\s+ok in ([0-9.]+)s", line)) and job:
            rows.append(BenchRow("demo", f"job:{job}", float(m.group(1)), "s"))
            job = None
    return rows
