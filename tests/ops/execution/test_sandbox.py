"""The sandbox holds: repository tests cannot reach the network (not even the host's loopback),
cannot write outside their work directory, and a test that forks endlessly or sleeps forever is
stopped at the limits and recorded as a timeout, leaving no process behind."""
import os
import socket
import subprocess

import pytest

from ops.execution.sandbox import SandboxLimits, run_sandboxed
from ops.execution.validate import validate_pr

LIMITS = SandboxLimits(wall_s=60, max_procs=64)


def _pytest_run(repo, env, pr, limits=LIMITS):
    return validate_pr(repo.path, pr, env, limits, runs=1)


def test_network_socket_fails_to_connect(fixture_repo, test_environment):
    # a server on the host's loopback that the sandboxed test tries to reach
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        pr = fixture_repo.pr({"tests/test_net.py":
                              "import socket\n\n\ndef test_connect():\n"
                              f"    socket.create_connection(('127.0.0.1', {port}), timeout=5).close()\n\n\n"
                              "def test_connect_internet():\n"
                              "    socket.create_connection(('1.1.1.1', 53), timeout=5).close()\n"},
                             ["tests/test_net.py"])
        v = _pytest_run(fixture_repo, test_environment, pr)
    finally:
        server.close()
    after = next(r for r in v.runs if r.phase == "after")
    outcomes = {t.split("::")[-1]: o for t, o in after.outcomes.items()}
    assert outcomes["test_connect"].outcome == "failed"
    assert outcomes["test_connect_internet"].outcome == "failed"
    assert "unreachable" in after.output.lower() or "refused" in after.output.lower()


def test_write_outside_work_dir_fails_and_host_is_untouched(fixture_repo, test_environment, tmp_path):
    canary = tmp_path / "canary.txt"
    home_file = os.path.expanduser("~/trainyard-sandbox-canary")
    pr = fixture_repo.pr({"tests/test_write.py":
                          "import pathlib\n\n\ndef test_write_host():\n"
                          f"    pathlib.Path({str(canary)!r}).write_text('x')\n\n\n"
                          "def test_write_etc():\n    open('/etc/trainyard-canary', 'w').write('x')\n\n\n"
                          "def test_write_home():\n"
                          f"    open({home_file!r}, 'w').write('x')\n\n\n"
                          "def test_write_work_dir():\n    open('inside.txt', 'w').write('ok')\n"},
                         ["tests/test_write.py"])
    v = _pytest_run(fixture_repo, test_environment, pr)
    after = next(r for r in v.runs if r.phase == "after")
    outcomes = {t.split("::")[-1]: o.outcome for t, o in after.outcomes.items()}
    assert outcomes == {"test_write_host": "failed", "test_write_etc": "failed", "test_write_home": "failed",
                        "test_write_work_dir": "passed"}
    assert not canary.exists() and not os.path.exists("/etc/trainyard-canary") and not os.path.exists(home_file)


@pytest.mark.parametrize("body", [
    "import os, time\n\n\ndef test_fork_forever():\n    while True:\n        try:\n            os.fork()\n"
    "        except OSError:\n            time.sleep(0.01)\n",
    "import time\n\n\ndef test_sleep_forever():\n    time.sleep(10_000)\n",
], ids=["fork_bomb", "sleep_forever"])
def test_runaway_test_is_stopped_and_recorded_as_timeout(fixture_repo, test_environment, body):
    pr = fixture_repo.pr({"tests/test_runaway.py": body}, ["tests/test_runaway.py"])
    v = _pytest_run(fixture_repo, test_environment, pr, SandboxLimits(wall_s=6, max_procs=32))
    assert v.status == "timeout" and "limit" in v.reason
    assert any(r.status == "timeout" for r in v.runs)
    # nothing of the sandbox survives it: no process of the sandbox's uids is left
    left = subprocess.run(["ps", "-eo", "uid,cmd"], capture_output=True, text=True).stdout.splitlines()
    assert not [ln for ln in left if ln.split()[0].isdigit() and 61_000 <= int(ln.split()[0]) < 62_000
                and "test_runaway" in ln]


def test_output_is_capped_with_the_cut_marked(tmp_path):
    r = run_sandboxed(["sh", "-c", "yes | head -c 200000"], tmp_path, SandboxLimits(wall_s=30, max_output_bytes=1000))
    assert r.returncode == 0 and r.output_bytes == 200_000
    assert len(r.output) < 1200 and "output cut: 199000 more bytes" in r.output


def test_memory_limit_stops_a_huge_allocation(tmp_path, test_environment):
    r = run_sandboxed(["/usr/bin/python3", "-c", "x = bytearray(3 * 2**30)"], tmp_path,
                      SandboxLimits(wall_s=30, memory_mb=512))
    assert r.returncode != 0 and "MemoryError" in r.output


def test_cpu_of_the_sandboxed_command_is_measured(tmp_path):
    r = run_sandboxed(["/usr/bin/python3", "-c", "sum(i * i for i in range(3_000_000))"], tmp_path,
                      SandboxLimits(wall_s=60))
    assert r.returncode == 0 and 0.05 < r.cpu_seconds < r.seconds + 1
    idle = run_sandboxed(["sleep", "0.5"], tmp_path, SandboxLimits(wall_s=60))
    assert idle.cpu_seconds < 0.2 and not (tmp_path / ".trainyard_cpu_seconds").exists()
