"""Progress of long loops (training steps, descriptor shards) for whoever shows it.

Plain Python: a loop calls ``report_progress(task, done, total)``; nothing is printed unless a
listener is registered (``trainyard demo`` draws a bar from it). A failing listener never stops
the loop."""
from __future__ import annotations

import contextlib
from typing import Callable, Iterable, Iterator, TypeVar

ProgressFn = Callable[[str, int, int], None]
T = TypeVar("T")
_listeners: list[ProgressFn] = []


def report_progress(task: str, done: int, total: int) -> None:
    """``done`` of ``total`` units of ``task`` (e.g. "train steps", 40, 200) are finished."""
    for listener in list(_listeners):
        try:
            listener(task, done, total)
        except Exception:  # display only: a broken terminal must not fail a training run
            pass


@contextlib.contextmanager
def progress_listener(listener: ProgressFn) -> Iterator[None]:
    """Send every ``report_progress`` call to ``listener`` while the block runs."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def counted(items: Iterable[T], task: str) -> Iterator[T]:
    """Yield ``items``, reporting ``task`` as i of n before each and n of n at the end."""
    items = list(items)
    for i, item in enumerate(items):
        report_progress(task, i, len(items))
        yield item
    report_progress(task, len(items), len(items))


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that have finished (forked
    workers count once their pool is closed): the fair measure of a stage's cost on a shared
    machine, where wall time depends on the other users."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
