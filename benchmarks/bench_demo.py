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
    for line in out.stdout.splitlines():  # pipelines/demo.py: "  <job [partition]>: ok in <s>s (run <id>)"
        if m := re.match(r"  (\S.*): ok in ([0-9.]+)s \(run ", line):
            rows.append(BenchRow("demo", f"job:{m.group(1)}", float(m.group(2)), "s"))
    return rows
