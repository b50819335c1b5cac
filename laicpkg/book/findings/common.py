"""What every findings module shares: the verdict on a paired difference, and how a range is written.

A difference whose mean lies two standard errors or more from zero is *resolved*; otherwise the seeds do not
decide it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["verdict", "span"]


def verdict(mean: float, se: float, n: int) -> str:
    """"yes" when ``mean`` − 2·``se`` > 0, "no" when ``mean`` + 2·``se`` < 0, "tie" otherwise (also with one seed)."""
    if n < 2 or not np.isfinite(se):
        return "tie"
    if mean - 2 * se > 0:
        return "yes"
    if mean + 2 * se < 0:
        return "no"
    return "tie"


def span(values, fmt: str = ".0f") -> str:
    """"lo–hi" of ``values``, or one number where both read the same in ``fmt``."""
    lo, hi = format(min(values), fmt), format(max(values), fmt)
    return lo if lo == hi else f"{lo}–{hi}"
