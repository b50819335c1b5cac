"""Wall-clock timing of pipeline stages."""
from __future__ import annotations

import time
from contextlib import contextmanager

__all__ = ["timed"]


@contextmanager
def timed(timings: dict, key: str):
    """Add the seconds spent in the ``with`` block to ``timings[key]``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
