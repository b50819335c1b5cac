"""Explicit argument checks shared by every module (no ``assert``)."""
from __future__ import annotations

import numbers

import numpy as np

from .errors import FeatureError, ParameterError
from .errors import NotFittedError


def as_features(X, name: str = "features", *, normalize: bool = True, dtype=np.float32) -> np.ndarray:
    """Return ``X`` as a C-contiguous 2-D float array with unit-norm rows.

    Accepts numpy arrays and torch tensors. Raises :class:`FeatureError` when the
    array is not 2-D, is empty, holds NaN/inf, or has a zero row (which cannot be
    L2-normalised). With ``normalize=False`` a float32 C-contiguous array is returned as is (no copy).
    """
    if hasattr(X, "detach"):  # torch tensor
        X = X.detach().cpu()
        if X.is_complex():
            raise FeatureError(f"{name} must be real numbers, got dtype {X.dtype}")
        X = X.numpy() if X.is_floating_point() and X.element_size() >= 4 else X.float().numpy()
    X = np.asarray(X)
    if X.ndim != 2:
        raise FeatureError(f"{name} must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise FeatureError(f"{name} is empty (shape {X.shape})")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating) or X.dtype == bool:
        raise FeatureError(f"{name} must be real numbers, got dtype {X.dtype}")
    if np.issubdtype(X.dtype, np.floating):  # NaN/inf and values float32 cannot hold, told apart, before the cast
        _check_finite(X, name, np.float64 if dtype == np.float64 else np.float32)
    X = np.ascontiguousarray(X, dtype=np.float64 if dtype == np.float64 else np.float32)
    if normalize:
        X = unit_rows(X, nonzero_norms(X, name))
    return X.astype(dtype, copy=False)


def _check_finite(X: np.ndarray, name: str, target) -> None:
    """:class:`FeatureError` for rows with NaN or inf, and for finite values beyond ``target``'s range."""
    finite = np.concatenate([np.isfinite(X[a:a + _BLOCK]).all(axis=1) for a in range(0, X.shape[0], _BLOCK)])
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise FeatureError(f"{name} has {bad.size} row(s) with NaN or inf (first: row {bad[0]})")
    big = float(np.finfo(target).max)
    if float(np.finfo(X.dtype).max) > big:  # as Python floats: no float32 overflow when the target is wider
        over = np.concatenate([(np.abs(X[a:a + _BLOCK]) > big).any(axis=1) for a in range(0, X.shape[0], _BLOCK)])
        if over.any():
            bad = np.flatnonzero(over)
            raise FeatureError(f"{name} has {bad.size} row(s) with values beyond {np.dtype(target).name}'s range "
                               f"(|x| > {big:.3g}; first: row {bad[0]}); rescale the features")


def nonzero_norms(X: np.ndarray, name: str = "features") -> np.ndarray:
    """:func:`row_norms` of ``X``; :class:`FeatureError` if a row is zero (it cannot be L2-normalised)."""
    norms = row_norms(X)
    zero = norms <= np.finfo(X.dtype).tiny
    if zero.any():
        bad = np.flatnonzero(zero)
        raise FeatureError(f"{name} has {bad.size} zero row(s) that cannot be L2-normalised (first: row {bad[0]})")
    return norms


def unit_rows(X: np.ndarray, norms: np.ndarray, rows=None) -> np.ndarray:
    """``X[rows] / norms[rows]`` (all rows when ``rows`` is None or a slice) in ``X``'s dtype, block by block.

    Each row is divided by its float64 norm and rounded once, so a row's bits do not depend on which
    other rows are normalised with it: a block, a subsample or the whole array give the same values.
    When every selected row already equals its normalised self (features normalised by this function
    before), the selection of ``X`` itself is returned and nothing is copied.
    """
    idx = np.arange(X.shape[0])[rows if rows is not None else slice(None)]
    contiguous = idx.size > 0 and idx[-1] - idx[0] == idx.size - 1 and bool((np.diff(idx) == 1).all())
    source = X[idx[0]:idx[-1] + 1] if contiguous else None  # a view: copy only if a row changes
    out = None
    for a in range(0, idx.size, _BLOCK):
        part = idx[a:a + _BLOCK]
        rows_x = source[a:a + _BLOCK] if contiguous else X[part]
        block = (rows_x / norms[part, None]).astype(X.dtype)
        if out is None and contiguous and np.array_equal(block, rows_x):
            continue
        if out is None:
            out = np.empty((idx.size, X.shape[1]), dtype=X.dtype)
            if a:
                out[:a] = source[:a]
        out[a:a + _BLOCK] = block
    return source if out is None else out


_BLOCK = 65536


def row_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of every row, accumulated in float64 row block by row block.

    Rows whose squares overflow float32 (values near 1e19 and above) still get their true norm, and
    the float64 work array never exceeds one block.
    """
    out = np.empty(X.shape[0], dtype=np.float64)
    for a in range(0, X.shape[0], _BLOCK):
        out[a:a + _BLOCK] = np.linalg.norm(X[a:a + _BLOCK].astype(np.float64), axis=1)
    return out


def check_same_dim(A: np.ndarray, B: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise :class:`FeatureError` unless ``A`` and ``B`` have the same feature dimension."""
    if A.shape[1] != B.shape[1]:
        raise FeatureError(
            f"dimension mismatch: {name_a} has d={A.shape[1]} but {name_b} has d={B.shape[1]} "
            "(image and text features must come from the same CLIP model)"
        )


def check_fitted(estimator, attribute: str) -> None:
    """Raise :class:`~laicpkg.utils.errors.NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):  # presence, as scikit-learn's check_is_fitted (a fitted None is fitted)
        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet: call fit before using it")


def check_int(value, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as int after checking ``minimum <= value <= maximum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ParameterError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"{name}={value} is larger than allowed ({maximum})")
    return value


def check_positive(value, name: str) -> float:
    """Return ``value`` as float after checking it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ParameterError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> str:
    """Raise :class:`ParameterError` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


def check_n_clusters(n_clusters, n_samples: int, name: str = "n_clusters", what: str = "samples") -> int:
    """Check ``1 <= n_clusters <= n_samples`` with a message that names both numbers."""
    n_clusters = check_int(n_clusters, name)
    if n_clusters > n_samples:
        raise ParameterError(f"{name}={n_clusters} is larger than the number of {what} ({n_samples})")
    return n_clusters


def resolve_device(device: str = "auto") -> str:
    """Map ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``; validate explicit names."""
    import torch

    check_choice(device, "device", ("auto", "cpu", "cuda"))
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device='cuda' was requested but torch sees no CUDA device")
    return device


def check_finite_loss(value: float, method: str, epoch: int, lr_name: str, lr) -> float:
    """Stop training with one line when the loss is no longer finite (a diverging learning rate, usually).

    ``lr_name`` names the parameter as the command line spells it (``--tacstar-lr``).
    """
    value = float(value)
    if not np.isfinite(value):
        raise ParameterError(f"{method}: the training loss became {value} in epoch {epoch + 1}; the learning rate "
                             f"{lr_name}={lr!r} is too large for these data (lower it)")
    return value
