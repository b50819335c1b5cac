"""What every findings module shares: the verdict on a paired difference, and how a range is written.

A difference whose mean lies two standard errors or more from zero is *resolved*; otherwise the seeds do not
decide it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["verdict", "span", "standard_error"]


def standard_error(values) -> float:
    """Standard error of the mean of ``values``, ``n − 1`` in the standard deviation; NaN with fewer than two."""
    values = pd.Series(values, dtype=float)
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


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
