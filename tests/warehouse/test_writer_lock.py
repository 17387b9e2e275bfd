"""The warehouse lock covers only write transactions (issue 15): writers of different processes
take turns on a file lock; a step computing for a long time does not hold it, so a short asset
finishes while a long one (corpus_lm training) is still running, in one multiprocess run."""
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

import pytest

from warehouse.paths import PROJECT_ROOT

_WRITER = textwrap.dedent("""
    import json, sys, time
    from warehouse.db import connect
    from warehouse.writer import Lineage, Warehouse
    wh = Warehouse(); wh.ensure_schema()
    out = []
    for i in range(int(sys.argv[2])):
        with connect() as conn:          # holds the writer lock while open
            t0 = time.time()
            conn.execute("INSERT INTO corpus_documents (doc_id, source_key, asset_key) VALUES (?, ?, ?)",
                         [f"{sys.argv[1]}-{i}", f"{sys.argv[1]}-{i}", sys.argv[1]])
            time.sleep(0.02)
            out.append((t0, time.time()))
    print(json.dumps(out))
""")


def test_writers_of_two_processes_take_turns(trainyard_home):
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, name, "15"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, text=True) for name in ("a", "b")]
    windows = [w for p in procs for w in json.loads(p.communicate(timeout=120)[0])]
    assert all(p.returncode == 0 for p in procs)
    windows.sort()
    overlapping = [(x, y) for x, y in zip(windows, windows[1:]) if y[0] < x[1]]
    assert not overlapping, overlapping
    from warehouse.readers import scalar

    assert scalar("SELECT count(DISTINCT doc_id) FROM corpus_documents") == 30


_RUN_ASSETS = textwrap.dedent("""
    import sys
    import dagster as dg
    from pipelines.instance import prepare_dagster_home
    from pipelines.scaleout import reconstructable_job
    prepare_dagster_home()
    with dg.DagsterInstance.get() as instance:
        with dg.execute_job(reconstructable_job("spine_job", "default"), instance, raise_on_error=False,
                            asset_selection=[dg.AssetKey(k) for k in sys.argv[1:]]) as result:
            print("RUN", result.run_id, result.success, flush=True)
""")


def _spine_steps(selection, profile, executor="in_process"):
    env = dict(os.environ, TRAINYARD_EXECUTOR=executor, TRAINYARD_PROFILE=profile)
    return subprocess.Popen([sys.executable, "-c", _RUN_ASSETS, *selection], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _step_times(home, run_id):
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    times = {}
    with dg.DagsterInstance.get() as instance:
        for kind in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS):
            for rec in instance.all_logs(run_id, of_type=kind):
                times[(rec.dagster_event.step_key, kind.value)] = rec.timestamp
    return times


def test_corpus_stats_finishes_while_corpus_lm_trains(trainyard_home):
    """A spine_job run of corpus_lm is training (its training_runs row says 'running'); a second
    spine_job run of corpus_stats starts and finishes meanwhile. With the old whole-step
    ``warehouse`` pool (limit 1, both assets in it) the second run's step waited for all of
    corpus_lm. corpus_lm uses the demo profile (a ~2 min training) and is stopped afterwards."""
    import signal
    import time

    from warehouse.readers import read_sql

    first = _spine_steps(["raw_corpus"], "tiny")
    out, err = first.communicate(timeout=300)
    assert "True" in out, err[-3000:]
    lm = _spine_steps(["corpus_lm"], "demo")
    try:
        deadline = time.monotonic() + 240
        status = []
        while time.monotonic() < deadline and lm.poll() is None:
            status = read_sql("SELECT status FROM training_runs WHERE training_run_id = 'corpus_lm/lm'")
            if status.height and status["status"][0] == "running":
                break
            time.sleep(0.5)
        assert lm.poll() is None and status.height and status["status"][0] == "running", \
            lm.stderr.read()[-3000:] if lm.poll() is not None else status
        t0 = time.time()
        stats = _spine_steps(["corpus_stats"], "tiny")
        out, err = stats.communicate(timeout=240)
        elapsed = time.time() - t0
        line = [ln for ln in out.splitlines() if ln.startswith("RUN ")]
        assert line and line[0].endswith("True"), err[-3000:]
        still = read_sql("SELECT status FROM training_runs WHERE training_run_id = 'corpus_lm/lm'")
        print(f"corpus_stats run took {elapsed:.1f} s while corpus_lm trained; corpus_lm still "
              f"{still['status'][0]!r}, its process alive: {lm.poll() is None}")
        assert lm.poll() is None and still["status"][0] == "running"
        times = _step_times(trainyard_home, line[0].split()[1])
        assert ("corpus_stats", "STEP_SUCCESS") in times
    finally:
        if lm.poll() is None:
            os.killpg(lm.pid, signal.SIGKILL)
        lm.wait(timeout=30)
