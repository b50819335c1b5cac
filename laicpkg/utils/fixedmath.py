"""Fixed-order float64 arithmetic for the data generators: the same bits on every CPU and thread count.

Explained in: book/implementation.md ("Synthetic twins": the same data on every machine).

BLAS (``@``, ``np.dot``, and ``np.linalg.norm`` of a 1-D array, which calls ``dot``) chooses its summation
order by CPU kernel and thread count, so a product computed on another machine can differ in its last bits,
and float32 products differ in the digits that decide k-means. The generators therefore never call BLAS:
every reduction here is numpy's elementwise arithmetic (one IEEE rounding per operation) or its pairwise
``add.reduce`` along a contiguous last axis, whose order depends only on the length. Results are float64;
a generator rounds to float32 once, at the end.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fixed_dot", "fixed_norms", "fixed_unit", "fixed_mix", "fixed_orthonormal", "fixed_gram_argmax"]


def fixed_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Inner products along the last axis, ``sum(a * b, -1)``, in float64 and a fixed order (no BLAS)."""
    prod = np.ascontiguousarray(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64))
    return np.add.reduce(prod, axis=-1)


def fixed_norms(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """Euclidean norms along the last axis in float64 and a fixed order."""
    n = np.sqrt(fixed_dot(x, x))
    return n[..., None] if keepdims else n


def fixed_unit(x: np.ndarray) -> np.ndarray:
    """``x`` with unit rows (last axis), float64, fixed order."""
    x = np.asarray(x, dtype=np.float64)
    return x / fixed_norms(x, keepdims=True)


def fixed_mix(z: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``z @ basis`` ((n, m) weights times (m, d) directions) as ``m`` elementwise updates in a fixed order."""
    z = np.asarray(z, dtype=np.float64)
    basis = np.asarray(basis, dtype=np.float64)
    out = z[:, :1] * basis[0]
    for j in range(1, basis.shape[0]):
        out += z[:, j:j + 1] * basis[j]
    return out


def fixed_orthonormal(V: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the rows of ``V``: Gram–Schmidt in row order, float64, fixed order."""
    out = []
    for v in np.asarray(V, dtype=np.float64):
        for u in out:
            v = v - fixed_dot(v, u) * u
        out.append(fixed_unit(v[None])[0])
    return np.stack(out)


def fixed_gram_argmax(x: np.ndarray, exclude_self: bool = True) -> np.ndarray:
    """For every row of ``x``, the row with the largest inner product (itself excluded), in a fixed order;
    ties go to the lowest index."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape[0], dtype=np.int64)
    for i in range(x.shape[0]):
        sim = fixed_dot(x, x[i])
        if exclude_self:
            sim[i] = -np.inf
        out[i] = int(np.argmax(sim))
    return out
