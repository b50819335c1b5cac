"""Exceptions raised by :mod:`laicpkg`.

Every error a user can cause derives from :class:`LaicError`, so the command
line can turn it into one clear line and a non-zero exit while the Python API
raises a specific type that callers can catch.
"""


class LaicError(ValueError):
    """Base class of every user-facing error in laicpkg."""


class FeatureError(LaicError):
    """Features that cannot be used: wrong shape, NaN/inf, zero rows, dimension mismatch."""


class ParameterError(LaicError):
    """A hyper-parameter outside its valid range (beta <= 0, C > N, ...)."""


class UnknownNameError(LaicError):
    """An unknown dataset, method, preset or model name."""


class EmptyClusterError(LaicError):
    """k-means left one or more clusters without any sample."""


class CacheError(LaicError):
    """A feature cache that is missing, truncated or does not match what was asked for."""


class DatasetError(LaicError):
    """Image data that is missing or does not match the dataset's expected layout and sizes."""


class WeightsUnavailableError(LaicError):
    """Pretrained CLIP weights that cannot be fetched (offline) or loaded."""


def did_you_mean(name: str, choices) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to a mistyped ``name``, or ``""``."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def look_up(registry: dict, name: str, what: str):
    """``registry[name]`` (``name`` itself where ``registry`` is a sequence of names), or :class:`UnknownNameError`
    with one line: "unknown ``what`` 'name' (did you mean …?); choose one of …"."""
    if name not in registry:
        raise UnknownNameError(f"unknown {what} {name!r}{did_you_mean(name, registry)}; choose one of "
                               f"{', '.join(map(str, registry))}")
    return registry[name] if isinstance(registry, dict) else name


def one_line(text, limit: int | None = None) -> str:
    """A message on one line: its non-empty lines joined with " / " (so no cause is cut off), ANSI colours
    removed, shortened to ``limit`` characters when given."""
    import re

    text = " / ".join(line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(text)).splitlines() if line.strip())
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def __getattr__(name: str):
    """``NotFittedError``: an estimator used before ``fit``; both a :class:`LaicError` and scikit-learn's
    ``NotFittedError`` (so callers catching either get it). Made on first use, so importing this module (as
    ``laic --help`` does) does not load scikit-learn."""
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError as _SklearnNotFitted

        cls = type("NotFittedError", (LaicError, _SklearnNotFitted),
                   {"__module__": __name__, "__doc__": "An estimator used before ``fit``."})
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
