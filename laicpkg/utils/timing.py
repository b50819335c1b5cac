"""Wall-clock timing of pipeline stages."""
from __future__ import annotations

import time
from contextlib import contextmanager

__all__ = ["timed", "torch_threads"]


@contextmanager
def timed(timings: dict, key: str):
    """Add the seconds spent in the ``with`` block to ``timings[key]``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0


@contextmanager
def torch_threads(n: int = 1):
    """Run torch's CPU ops on ``n`` threads inside the block (restored after).

    The cluster heads of TAC* and SIC run thousands of tiny steps; on a 2-core
    machine shared with other work, torch's default thread pool spins and makes
    them up to 17× slower (measured: SIC 3 epochs 32 s on 2 threads vs 1.9 s on 1).
    """
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def bar_disabled(progress: bool | None) -> bool | None:
    """tqdm's ``disable`` for a ``progress`` setting: True shows the bar, False hides it, None shows it only on a
    terminal (tqdm's own rule)."""
    return None if progress is None else not progress
