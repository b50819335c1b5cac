"""Density information of IDCL (Zheng et al., ICMR 2024, Sec. 3): local density, the
curriculum's pacing function and per-cluster selection, density cores, and the
density-core Student-t assignment.

Explained in: notebooks/09_idcl.

* :func:`cutoff_distance` — ``d_c``, the value ranked at λ₁ = 2 % among the sorted
  pairwise distances (IDCL Sec. 3.1, after Rodriguez and Laio 2014); exact, computed
  in blocks of rows so it scales past a few thousand samples.
* :func:`local_density` — ``ρ_i = Σ_j exp(−‖z_i − z_j‖² / d_c²)`` (Eq. 1), in blocks.
* :func:`difficulty_scores` — max–min normalised density (Eq. 2): higher is easier.
* :func:`pace` — ``ζ^t = min(ζ_max, 2^{−(log₂ζ⁰/T_grow) t + log₂ζ⁰})`` (Eq. 5–6).
* :func:`curriculum_mask` — per cluster, the ``⌈ζ^t |C_k|⌉`` easiest samples (Eq. 7–8, Algorithm 1).
* :func:`density_cores` — per cluster, the samples whose density ranks in the top λ₂ = 5 % (Eq. 9).
* :func:`core_similarity` / :func:`core_assignment` — ``s_ik = Σ_{j∈C_k^core} (1 + ‖z_i − z_j‖²)⁻¹``
  (Eq. 10) and its row-normalised form ``q_ik`` (Eq. 11); torch, differentiable.
* :func:`target_distribution` — DEC's auxiliary target ``P`` (Xie et al. 2016, Eq. 3).
* :class:`DensityCoreAssignment` — k-means followed by density-core assignment, the
  option that replaces the final k-means of LaIC's Stage 2.

Choices where the paper is silent (all parameters):

* the λ₁ rank is taken among the ``n(n−1)/2`` distinct pairs (the paper says "n²
  distances", which would count each pair twice and the n zero self-distances);
  the value is the ``⌈λ₁ P⌉``-th smallest of the ``P`` pair distances;
* Eq. 1 sums over every j, the sample itself included (a constant +1 for every ρ_i);
* a cluster of size m keeps ``⌈ζ m⌉`` samples in the curriculum and ``max(1, ⌈λ₂ m⌉)``
  in its density core; ties are broken by sample index.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..utils.errors import FeatureError, ParameterError
from .kmeans import KMeans
from ..utils.validation import as_features, check_choice, check_int, check_n_clusters, check_positive

__all__ = ["DC_QUANTILE", "CORE_FRACTION", "ZETA0", "ZETA_MAX", "cutoff_distance", "local_density",
           "difficulty_scores", "pace", "curriculum_mask", "density_cores", "core_similarity", "core_assignment",
           "target_distribution", "DensityCoreAssignment"]

#: λ₁ = 2 %: rank of d_c among the sorted pairwise distances (IDCL Sec. 3.1 and 4).
DC_QUANTILE = 0.02
#: λ₂ = 5 %: share of a cluster's densest samples forming its density core (Eq. 9, Sec. 4).
CORE_FRACTION = 0.05
#: ζ⁰ = 0.6, initial share of the training set; ζ_max = 0.95, its cap (Eq. 5–6, Sec. 4).
ZETA0, ZETA_MAX = 0.6, 0.95

_BLOCK_ELEMENTS = 1 << 22  # distances held at once (32 MiB in float64)
_DIRECT_PAIRS = 1 << 24   # below this many pairs the distances are sorted directly


def _as_points(Z, name="embeddings") -> np.ndarray:
    return as_features(Z, name, normalize=False, dtype=np.float64)


def _sq_dists(A: np.ndarray, B: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between rows of A and B (``nb`` = squared norms of B), clipped at 0."""
    D = (A * A).sum(1)[:, None] + nb[None, :] - 2.0 * (A @ B.T)
    np.maximum(D, 0.0, out=D)
    return D


def _rows(n: int, block_rows: int | None) -> int:
    return max(8, _BLOCK_ELEMENTS // max(n, 1)) if block_rows is None else check_int(block_rows, "block_rows")


def _upper_blocks(Z: np.ndarray, block_rows: int | None):
    """Yield the distances of the pairs i < j, one block of rows i at a time (1-D arrays)."""
    nz = (Z * Z).sum(1)
    n = Z.shape[0]
    block_rows = _rows(n, block_rows)
    for a in range(0, n - 1, block_rows):
        b = min(a + block_rows, n)
        D = np.sqrt(_sq_dists(Z[a:b], Z[a:], nz[a:]))
        rows, cols = np.triu_indices(b - a, k=1, m=n - a)
        yield D[rows, cols]


def cutoff_distance(Z, quantile: float = DC_QUANTILE, *, block_rows: int | None = None, n_bins: int = 1 << 16) -> float:
    """``d_c``: the ``⌈quantile · P⌉``-th smallest of the ``P = n(n−1)/2`` pairwise distances.

    Exact at any ``n``: for large inputs two passes over blocks of rows (a histogram
    locates the bin holding the wanted rank, the second pass sorts only that bin),
    so memory stays at one block of distances.

    Raises :class:`FeatureError` when fewer than two samples are given or when the
    distance is 0 (the samples are constant or mostly duplicates), since Eq. 1 then
    divides by zero.
    """
    Z = _as_points(Z)
    n = Z.shape[0]
    if n < 2:
        raise FeatureError(f"density needs at least 2 samples, got {n}")
    q = float(quantile)
    if not (0.0 < q <= 1.0):
        raise ParameterError(f"quantile must be in (0, 1], got {quantile!r}")
    P = n * (n - 1) // 2
    rank = max(1, math.ceil(q * P))  # 1-based
    if P <= _DIRECT_PAIRS:
        d = np.concatenate(list(_upper_blocks(Z, block_rows)))
        dc = float(np.partition(d, rank - 1)[rank - 1])
    else:
        hi = 2.0 * float(np.sqrt((Z * Z).sum(1)).max()) + 1e-12
        width = hi / n_bins
        counts = np.zeros(n_bins, dtype=np.int64)
        for d in _upper_blocks(Z, block_rows):
            counts += np.bincount(np.minimum((d / width).astype(np.int64), n_bins - 1), minlength=n_bins)
        cum = np.cumsum(counts)
        b = int(np.searchsorted(cum, rank))
        before = int(cum[b - 1]) if b > 0 else 0
        inside = []
        for d in _upper_blocks(Z, block_rows):
            inside.append(d[np.minimum((d / width).astype(np.int64), n_bins - 1) == b])
        inside = np.concatenate(inside)
        dc = float(np.partition(inside, rank - before - 1)[rank - before - 1])
    if not dc > 0.0:
        raise FeatureError(f"the {q:.0%} quantile of pairwise distances is 0: the {n} samples are constant or "
                           "mostly duplicates, so their density (IDCL Eq. 1) is undefined")
    return dc


def local_density(Z, d_c: float | None = None, *, quantile: float = DC_QUANTILE,
                  block_rows: int | None = None) -> np.ndarray:
    """Local density ``ρ_i = Σ_j exp(−‖z_i − z_j‖² / d_c²)`` of IDCL Eq. 1, in blocks of rows.

    ``d_c`` defaults to :func:`cutoff_distance` at ``quantile``.
    """
    Z = _as_points(Z)
    d_c = cutoff_distance(Z, quantile, block_rows=block_rows) if d_c is None else check_positive(d_c, "d_c")
    nz = (Z * Z).sum(1)
    rho = np.empty(Z.shape[0], dtype=np.float64)
    block_rows = _rows(Z.shape[0], block_rows)
    for a in range(0, Z.shape[0], block_rows):
        b = min(a + block_rows, Z.shape[0])
        rho[a:b] = np.exp(-_sq_dists(Z[a:b], Z, nz) / d_c ** 2).sum(1)
    return rho


def difficulty_scores(rho) -> np.ndarray:
    """Max–min normalised density (IDCL Eq. 2): 1 for the densest (easiest) sample, 0 for the sparsest."""
    rho = np.asarray(rho, dtype=np.float64)
    lo, hi = rho.min(), rho.max()
    if not hi > lo:
        return np.ones_like(rho)
    return (rho - lo) / (hi - lo)


def pace(t, *, zeta0: float = ZETA0, zeta_max: float = ZETA_MAX, t_grow: float = 100.0,
         kind: str = "exponential"):
    """Share ``ζ^t`` of each cluster used for training at epoch ``t`` (IDCL Eq. 5–6).

    ``kind="exponential"`` (the paper): ``min(ζ_max, 2^{−(log₂ζ⁰/T_grow) t + log₂ζ⁰})``
    = ``min(ζ_max, (ζ⁰)^{1 − t/T_grow})`` — increasing (Eq. 3) with increasing
    increments (Eq. 4, "slow then fast"), reaching 1 at ``t = T_grow`` before the cap.
    ``kind="linear"``: the fixed pace of the ablation (Table 4, Model-5),
    ``min(ζ_max, ζ⁰ + (1 − ζ⁰) t/T_grow)`` — equal increments. ``kind="none"``: 1 (no curriculum).
    """
    check_choice(kind, "kind", ("exponential", "linear", "none"))
    zeta0 = float(zeta0)
    if not (0.0 < zeta0 <= 1.0) or not (0.0 < float(zeta_max) <= 1.0):
        raise ParameterError(f"zeta0 and zeta_max must be in (0, 1], got {zeta0!r} and {zeta_max!r}")
    t_grow = check_positive(t_grow, "t_grow")
    t = np.asarray(t, dtype=np.float64)
    if kind == "none":
        out = np.ones_like(t)
    elif kind == "exponential":
        out = np.minimum(zeta_max, 2.0 ** (-(math.log2(zeta0) / t_grow) * t + math.log2(zeta0)))
    else:
        out = np.minimum(zeta_max, zeta0 + (1.0 - zeta0) * t / t_grow)
    return float(out) if out.ndim == 0 else out


def _top_per_cluster(values, labels, n_clusters: int, counts_fn) -> list[np.ndarray]:
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    out = []
    for k in range(n_clusters):
        idx = np.flatnonzero(labels == k)
        m = counts_fn(idx.size)
        order = np.lexsort((idx, -values[idx]))
        out.append(idx[order[:m]])
    return out


def curriculum_mask(scores, labels, n_clusters: int, zeta: float) -> np.ndarray:
    """Training-set indicator ``v_i^t`` (IDCL Eq. 7–8, Algorithm 1).

    In every cluster ``C_k`` the ``⌈ζ |C_k|⌉`` samples of highest difficulty score
    (densest first) are kept; the union over clusters is ``D^t``.
    """
    zeta = float(zeta)
    if not (0.0 < zeta <= 1.0):
        raise ParameterError(f"zeta must be in (0, 1], got {zeta!r}")
    keep = _top_per_cluster(scores, labels, n_clusters, lambda m: math.ceil(zeta * m - 1e-12))
    mask = np.zeros(len(np.asarray(labels)), dtype=bool)
    for idx in keep:
        mask[idx] = True
    return mask


def density_cores(rho, labels, n_clusters: int, fraction: float = CORE_FRACTION) -> list[np.ndarray]:
    """Density cores ``C_k^core`` (IDCL Eq. 9): per cluster, its ``max(1, ⌈λ₂ |C_k|⌉)`` densest samples.

    An empty cluster has an empty core.
    """
    fraction = float(fraction)
    if not (0.0 < fraction <= 1.0):
        raise ParameterError(f"core fraction must be in (0, 1], got {fraction!r}")
    return _top_per_cluster(rho, labels, n_clusters, lambda m: min(m, max(1, math.ceil(fraction * m - 1e-12))))


def _core_index(cores: list[np.ndarray]):
    idx = np.concatenate(cores).astype(np.int64) if cores else np.zeros(0, dtype=np.int64)
    lab = np.concatenate([np.full(len(c), k, dtype=np.int64) for k, c in enumerate(cores)])
    if idx.size == 0:
        raise ParameterError("every density core is empty")
    return idx, lab


def core_similarity(z: torch.Tensor, core_points: torch.Tensor, core_labels, n_clusters: int,
                    reduce: str = "sum") -> torch.Tensor:
    """``s_ik = Σ_{j ∈ C_k^core} (1 + ‖z_i − z_j‖²)⁻¹`` (IDCL Eq. 10), shape (n, K); differentiable in ``z``.

    ``reduce="mean"`` divides by the core's size (our variant: with the sum of Eq. 10 a
    larger cluster has a larger core and so a larger similarity to every sample; on
    unit-norm CLIP features, where the kernel only ranges over [0.2, 1], that size
    effect dominates).

    ``core_points`` (n_core, d) are the embeddings of the core members, ``core_labels``
    (n_core,) their clusters. With one point per cluster (the cluster centres) this is
    DEC's Student-t kernel (Xie et al. 2016, Eq. 1) before normalisation.
    """
    core_labels = torch.as_tensor(np.asarray(core_labels), dtype=torch.long, device=z.device)
    d2 = torch.cdist(z, core_points.to(z.dtype)).pow(2)
    kern = 1.0 / (1.0 + d2)
    onehot = torch.zeros(core_points.shape[0], n_clusters, dtype=z.dtype, device=z.device)
    onehot[torch.arange(core_points.shape[0], device=z.device), core_labels] = 1.0
    check_choice(reduce, "reduce", ("sum", "mean"))
    if reduce == "mean":
        onehot = onehot / onehot.sum(0, keepdim=True).clamp_min(1.0)
    return kern @ onehot


def core_assignment(z: torch.Tensor, core_points: torch.Tensor, core_labels, n_clusters: int,
                    reduce: str = "sum") -> torch.Tensor:
    """Soft assignment ``q_ik = s_ik / Σ_k' s_ik'`` (IDCL Eq. 11); rows sum to 1."""
    s = core_similarity(z, core_points, core_labels, n_clusters, reduce)
    return s / s.sum(dim=1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's target ``p_ik = (q_ik² / f_k) / Σ_k' (q_ik'² / f_k')`` with ``f_k = Σ_i q_ik``."""
    w = q.pow(2) / q.sum(dim=0, keepdim=True).clamp_min(torch.finfo(q.dtype).tiny)
    return w / w.sum(dim=1, keepdim=True)


def assign_to_cores(Z, labels, n_clusters: int, *, rho=None, fraction: float = CORE_FRACTION,
                    quantile: float = DC_QUANTILE, reduce: str = "sum", block_rows: int = 4096):
    """One density-core reassignment on fixed embeddings: cores from ``labels`` and ``rho``, then Eq. 11.

    Returns ``(q, cores)`` with ``q`` a (n, K) float64 array.
    """
    Z = _as_points(Z)
    if rho is None:
        rho = local_density(Z, quantile=quantile)
    cores = density_cores(rho, labels, n_clusters, fraction)
    idx, lab = _core_index(cores)
    Zc = torch.from_numpy(Z[idx])
    q = np.empty((Z.shape[0], n_clusters), dtype=np.float64)
    for a in range(0, Z.shape[0], block_rows):
        q[a:a + block_rows] = core_assignment(torch.from_numpy(Z[a:a + block_rows]), Zc, lab, n_clusters,
                                            reduce).numpy()
    return q, cores


class DensityCoreAssignment:
    """k-means, then IDCL's density-core assignment on the same (fixed) features.

    The clusters of k-means give the density cores (Eq. 9); every sample then goes
    to ``argmax_k q_ik`` (Eq. 10–11), the assignment step of IDCL's Algorithm 2
    (lines 5–10) without the network. With ``n_iter > 1`` cores and assignment are
    recomputed from the new labels until fewer than ``tol`` of the labels change.

    Parameters
    ----------
    n_clusters : int
    core_fraction : float, default 0.05 (λ₂)
    dc_quantile : float, default 0.02 (λ₁)
    n_iter : int, default 1
    tol : float, default 1e-3 (μ of Algorithm 2)
    reduce : "sum" (Eq. 10) or "mean" over the core members (see :func:`core_similarity`)
    spherical, kmeans_niter, kmeans_nredo, random_state : settings of the k-means step

    Attributes
    ----------
    labels_, q_ (n, K), rho_ (n,), d_c_, cores_ (list of index arrays), kmeans_labels_, n_iter_
    """

    def __init__(self, n_clusters: int, *, core_fraction: float = CORE_FRACTION, dc_quantile: float = DC_QUANTILE,
                 n_iter: int = 1, tol: float = 1e-3, reduce: str = "sum", spherical: bool = True,
                 kmeans_niter: int = 300, kmeans_nredo: int = 1, kmeans_max_points: int | None = None,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.reduce = reduce
        self.core_fraction = core_fraction
        self.dc_quantile = dc_quantile
        self.n_iter = n_iter
        self.tol = tol
        self.spherical = spherical
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.random_state = random_state

    def fit(self, X) -> "DensityCoreAssignment":
        X = as_features(X, "features", normalize=self.spherical)
        K = check_n_clusters(self.n_clusters, X.shape[0], "n_clusters (K)", "samples")
        n_iter = check_int(self.n_iter, "n_iter")
        km = KMeans(K, spherical=self.spherical, niter=self.kmeans_niter, nredo=self.kmeans_nredo,
                    max_points_per_centroid=self.kmeans_max_points, random_state=self.random_state).fit(X)
        self.kmeans_labels_ = labels = km.labels_
        self.d_c_ = cutoff_distance(X, self.dc_quantile)
        self.rho_ = local_density(X, self.d_c_)
        for it in range(n_iter):
            q, cores = assign_to_cores(X, labels, K, rho=self.rho_, fraction=self.core_fraction, reduce=self.reduce)
            new = q.argmax(1)
            changed = float(np.mean(new != labels))
            labels = new
            if changed < self.tol:
                break
        self.q_, self.cores_, self.labels_, self.n_iter_ = q, cores, labels, it + 1
        return self

    def fit_predict(self, X) -> np.ndarray:
        return self.fit(X).labels_
