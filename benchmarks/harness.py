"""Benchmark rows, timing and memory helpers (the machine and commit every row carries come from
``warehouse.provenance``)."""
import dataclasses
import os
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


@contextmanager
def scoped_environ(values: dict, clear: tuple = (), restore: tuple = ()):
    """Set ``values`` and unset ``clear`` in ``os.environ`` for the block, then put back exactly
    what was there for those keys and for ``restore`` (keys the block may set, e.g. DAGSTER_HOME
    through ``prepare_dagster_home``); a key that was absent is removed again."""
    saved = {k: os.environ.get(k) for k in set(values) | set(clear) | set(restore)}
    for k in clear:
        os.environ.pop(k, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def bare_training_tokens(model, batches, lr: float, weight_decay: float, grad_clip: float, clock) -> tuple[int, float]:
    """The peer of the project's training loop: plain AdamW steps over ``batches`` (each
    ``[batch, seq + 1]`` token ids) with the same optimiser settings. Returns (tokens, seconds by
    ``clock``, e.g. ``time.perf_counter`` or ``time.process_time``)."""
    import torch

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    c0 = clock()
    tokens = 0
    for x in batches:
        logits = model(input_ids=x[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        tokens += x[:, :-1].numel()
    return tokens, clock() - c0
