"""Benchmark rows and the machine description every row carries."""
import dataclasses
import os
import platform
import resource
import time
from contextlib import contextmanager


@dataclasses.dataclass
class BenchRow:
    benchmark: str
    metric: str
    value: float
    unit: str = ""
    peer: str = ""
    peer_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.peer_value in (None, 0):
            return None
        return self.value / self.peer_value


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    except Exception:
        gpu = "no torch"
    return f"{platform.system()} {cpu}, {os.cpu_count()} cores, {gpu}, Python {platform.python_version()}"


@contextmanager
def timed():
    """``with timed() as t: ...`` then ``t()`` is the elapsed seconds."""
    start = time.perf_counter()
    end = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
