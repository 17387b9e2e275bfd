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


_RUN_SPINE = textwrap.dedent("""
    import dagster as dg
    from pipelines.instance import prepare_dagster_home
    from pipelines.scaleout import reconstructable_job
    prepare_dagster_home()
    with dg.DagsterInstance.get() as instance:
        with dg.execute_job(reconstructable_job("spine_job", "default"), instance,
                            raise_on_error=False) as result:
            print("RUN", result.run_id, result.success)
""")


@pytest.mark.parametrize("profile", ["tiny", pytest.param("demo", marks=pytest.mark.heavy)])
def test_corpus_stats_finishes_while_corpus_lm_trains(trainyard_home, profile):
    """corpus_stats finishes inside corpus_lm's step, before its training ends (tiny: make test;
    demo: heavy, ~2.5 min, a 115 s training). With the old whole-step ``warehouse`` pool (limit 1)
    corpus_stats either finished before corpus_lm started or waited for all of it."""
    import dagster as dg

    env = dict(os.environ, TRAINYARD_EXECUTOR="multiprocess", TRAINYARD_PROFILE=profile)
    proc = subprocess.run([sys.executable, "-c", _RUN_SPINE], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RUN ")]
    assert line and line[0].endswith("True"), proc.stdout[-2000:] + proc.stderr[-4000:]
    run_id = line[0].split()[1]
    os.environ["DAGSTER_HOME"] = str(trainyard_home / "dagster_home")
    times = {}
    with dg.DagsterInstance.get() as instance:
        for kind in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS):
            for rec in instance.all_logs(run_id, of_type=kind):
                times[(rec.dagster_event.step_key, kind.value)] = rec.timestamp
    stats_end = times[("corpus_stats", "STEP_SUCCESS")]
    lm_start, lm_end = times[("corpus_lm", "STEP_START")], times[("corpus_lm", "STEP_SUCCESS")]
    from warehouse.readers import read_sql

    run = read_sql("SELECT started_at, finished_at FROM training_runs WHERE training_run_id = 'corpus_lm/lm'")
    epoch = lambda t: t.replace(tzinfo=dt.timezone.utc).timestamp()  # noqa: E731
    train_start, train_end = epoch(run["started_at"][0]), epoch(run["finished_at"][0])
    print(f"corpus_lm step {lm_start:.2f}..{lm_end:.2f} (training {train_start:.2f}..{train_end:.2f}); "
          f"corpus_stats finished at {stats_end:.2f}")
    # corpus_stats finished inside corpus_lm's training (the old whole-step pool made this impossible)
    assert lm_start < stats_end < lm_end
    # corpus_stats did not wait for the training: it was done long before the training ended
    # (measured, demo profile: 119 s before; its own step starts with corpus_lm's, so it usually
    # ends while corpus_lm still imports torch, before training_runs.started_at)
    assert stats_end < train_end
    if profile != "tiny":
        assert train_end - stats_end > 0.5 * (train_end - train_start)
