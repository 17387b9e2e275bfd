"""Run untrusted repository code in a bubblewrap sandbox.

What the sandboxed command gets: the host's root file system read-only, a private ``/tmp`` and
``/dev``, one writable work directory mounted at ``/tmp/work`` (its cwd), read-only directories
mounted under ``/tmp`` (a test environment at ``/tmp/env``), no network (``--unshare-net``: a connect fails with
ENETUNREACH), its own PID namespace (``--unshare-pid``, everything dies with it), and
``--die-with-parent``. Limits: wall clock (the whole sandbox is killed, recorded as a timeout),
address space, process count and file size (``prlimit``), and the captured output (cut, with the
cut marked). When trainyard runs as root, bwrap keeps only CAP_SETUID/CAP_SETGID and ``setpriv`` drops
to an unprivileged uid with no capabilities, so the process-count limit applies (root is exempt from
RLIMIT_NPROC). Mounting at fixed paths under the sandbox's own ``/tmp`` keeps host paths (and
directories only root may traverse) out of the picture; interpreters must be world-readable (Debian's
``/usr/bin/python3``, not one under ``/root``).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import tempfile
import zlib
import time
from pathlib import Path
from typing import Sequence

SANDBOX_WORK = "/tmp/work"
CPU_FILE = ".trainyard_cpu_seconds"
# Runs the command inside the sandbox and writes the CPU seconds of it and everything it waited
# for to the work tree (the rusage of a process in another PID namespace does not reach us).
_CPU_WRAPPER = ("import resource, subprocess, sys\n"
                "code = subprocess.call(sys.argv[1:])\n"
                "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                f"open('{CPU_FILE}', 'w').write(str(ru.ru_utime + ru.ru_stime))\n"
                "sys.exit(code)\n")
SANDBOX_UID = 61_000  # + a per-work-dir offset, so concurrent sandboxes do not share a process count


class SandboxUnavailable(RuntimeError):
    """bubblewrap (Debian ``bubblewrap``) is missing or cannot create namespaces here."""


@dataclasses.dataclass(frozen=True)
class SandboxLimits:
    wall_s: float = 300.0
    memory_mb: int = 4096  # address space (RLIMIT_AS)
    max_procs: int = 256  # processes of the sandbox uid (RLIMIT_NPROC)
    max_output_bytes: int = 1_000_000  # captured stdout+stderr; the rest is counted, not kept
    max_file_mb: int = 256  # largest file the command may write (RLIMIT_FSIZE)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class SandboxResult:
    returncode: int | None  # None when killed at the wall-clock limit
    output: str  # stdout and stderr interleaved, cut at max_output_bytes (cut marked)
    output_bytes: int  # how much the command printed in all
    timed_out: bool
    seconds: float
    cpu_seconds: float = 0.0  # user + system CPU of the command and its children (0 when unknown)

    @property
    def status(self) -> str:
        if self.timed_out:
            return "timeout"
        return "ok" if self.returncode == 0 else f"exit {self.returncode}"


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if not path:
        raise SandboxUnavailable("bubblewrap is not installed: `apt-get install bubblewrap` "
                                 "(scripts/install-system-deps.sh does it)")
    return path


def _sandbox_uid(workdir: Path) -> int:
    return SANDBOX_UID + zlib.crc32(str(workdir).encode()) % 1000


def sandbox_command(cmd: Sequence[str], workdir: Path, limits: SandboxLimits, env: dict[str, str],
                    ro_mounts: dict[str, Path] | None = None) -> tuple[list[str], int | None]:
    """The argv that runs ``cmd`` sandboxed with ``workdir`` at ``/tmp/work``, each ``ro_mounts``
    host directory read-only at its key (a path under ``/tmp``), and the uid it runs as (None: ours)."""
    limit = ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--nproc={limits.max_procs}",
             f"--fsize={limits.max_file_mb * 2**20}", "--core=0", "--"]
    argv = [bwrap_path(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--bind", str(workdir), SANDBOX_WORK, "--chdir", SANDBOX_WORK, "--unshare-net", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session", "--clearenv"]
    for target, host in (ro_mounts or {}).items():
        if not target.startswith("/tmp/"):
            raise ValueError(f"sandbox mount points live under /tmp, not {target!r}")
        argv += ["--ro-bind", str(host), target]
    for k, v in env.items():
        argv += ["--setenv", k, v]
    uid = None
    if os.geteuid() == 0:
        uid = _sandbox_uid(workdir)
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                 "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all"]
    wrap = ["/usr/bin/python3", "-c", _CPU_WRAPPER] if Path("/usr/bin/python3").exists() else []
    return argv + limit + wrap + list(cmd), uid


def run_sandboxed(cmd: Sequence[str], workdir: Path, limits: SandboxLimits | None = None,
                  env: dict[str, str] | None = None, ro_mounts: dict[str, Path] | None = None) -> SandboxResult:
    """Run ``cmd`` in the sandbox; ``workdir`` (host) is its only writable directory, seen as
    ``/tmp/work`` (its cwd). Paths in ``cmd``/``env`` are sandbox paths."""
    limits = limits or SandboxLimits()
    workdir = Path(workdir).resolve()
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SANDBOX_WORK, "LANG": "C.UTF-8",
                "TMPDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    argv, uid = sandbox_command(cmd, workdir, limits, {**base_env, **(env or {})}, ro_mounts)
    if uid is not None:
        _chown_tree(workdir, uid)
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
        out.seek(0, os.SEEK_END)
        total = out.tell()
        out.seek(0)
        data = out.read(limits.max_output_bytes)
    if uid is not None:
        _chown_tree(workdir, os.geteuid())
    cpu = 0.0
    cpu_file = workdir / CPU_FILE
    if cpu_file.exists():
        try:
            cpu = float(cpu_file.read_text() or 0)
        except ValueError:
            pass
        cpu_file.unlink()
    text = data.decode("utf-8", "replace")
    if total > limits.max_output_bytes:
        text += f"\n[... output cut: {total - limits.max_output_bytes} more bytes]"
    if proc.returncode is not None and proc.returncode != 0 and not timed_out and "bwrap:" in text[:500] \
            and "Creating new namespace failed" in text:
        raise SandboxUnavailable(f"bubblewrap cannot create namespaces here: {text.strip()[:200]}")
    return SandboxResult(None if timed_out else proc.returncode, text, total, timed_out, time.monotonic() - t0, cpu)


def _kill_group(proc: subprocess.Popen) -> None:
    # bwrap is pid 1's parent of the sandbox's PID namespace: killing its session kills everything in it
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _chown_tree(root: Path, uid: int) -> None:
    os.chown(root, uid, uid, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            try:
                os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)
            except FileNotFoundError:
                pass


def sandbox_self_check(scratch: Path | None = None) -> str | None:
    """None when the sandbox works here, else a one-line reason (for ``trainyard doctor``)."""
    try:
        with tempfile.TemporaryDirectory(dir=scratch) as d:
            r = run_sandboxed(["true"], Path(d), SandboxLimits(wall_s=30))
            return None if r.returncode == 0 else f"sandbox self-check failed: {r.output.strip()[:200]}"
    except (SandboxUnavailable, OSError) as exc:
        return str(exc)
