"""Noun filters: which wild nouns count as candidate positive semantics.

Explained in: notebooks/03_theorem2_limits (TAC and SIC as special cases of Eq. 6)
and notebooks/05_pipeline (the three filters side by side).

A filter sees the *train* split's image features ``E`` (n_samples, d) and the
wild noun features ``R`` (n_nouns, d), and learns ``selected_indices_``: the
indices of the nouns it keeps. GradNorm's own filter lives in
:mod:`laicpkg.core.gradnorm`; this module holds the shared machinery (the
pseudo-class count rule, per-group top-β selection) and the two baselines:

* :class:`TACFilter` — TAC's reference code: maximum softmax probability over
  normalised pseudo-class means (the τ→0 special case, Eq. 13 of GradNorm).
* :class:`SICFilter` — SIC's semantic-space construction (Sec. "Semantic Space
  Construction" of the SIC paper): uniqueness, then γ_r nearest nouns per
  image-cluster centre (the cosine special case, Eq. 14–15 of GradNorm).
"""
from __future__ import annotations

import numpy as np
import torch

from ..utils.errors import ParameterError
from .kmeans import KMeans
from ..utils.timing import timed
from ..utils.validation import (as_features, check_choice, check_int, check_n_clusters, check_positive,
                         check_same_dim)

__all__ = ["NounFilter", "TACFilter", "SICFilter", "pseudo_class_count", "select_per_group",
           "normalized_class_means", "iter_logit_chunks"]

#: elements of one (chunk of nouns × pseudo-classes) block; bounds scoring memory (4 MiB in float32).
BLOCK_ELEMENTS = 1 << 20


def pseudo_class_count(n_samples: int, n_clusters: int, samples_per_class: int) -> int:
    """The pseudo-class count rule of TAC and GradNorm (GradNorm Sec. 5.1.2).

    ``round(N / samples_per_class)`` when the average class size ``N / K``
    exceeds ``samples_per_class``, otherwise ``3K``. GradNorm uses 600, TAC's
    code 300 (CIFAR-10: 83 and 167; ImageNet-1K: 2135 and 4271).
    Halves round up.
    """
    n_samples = check_int(n_samples, "n_samples")
    n_clusters = check_int(n_clusters, "n_clusters")
    if n_samples / n_clusters > samples_per_class:
        return int(np.floor(n_samples / samples_per_class + 0.5))
    return 3 * n_clusters


def select_per_group(scores, groups, n_groups: int, k: int, *, largest: bool = False):
    """Keep the ``k`` best-scored items of every group (GradNorm Eq. 8).

    Parameters
    ----------
    scores : ndarray of shape (n_items,)
    groups : ndarray of shape (n_items,)
        Group (pseudo-class) of every item, in ``[0, n_groups)``.
    k : int
        Items kept per group (β); a group with fewer items keeps all of them.
    largest : bool
        Keep the largest scores instead of the smallest.

    Returns
    -------
    per_group : list of ndarray
        For each group, the kept item indices, best first (ties by index).
    group_sizes : ndarray of shape (n_groups,)
        How many items each group had before selection.
    """
    scores = np.asarray(scores, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    key = -scores if largest else scores
    order = np.lexsort((np.arange(scores.size), key, groups))
    g_sorted = groups[order]
    sizes = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.arange(order.size) - starts[g_sorted]
    keep = order[rank < k]
    kept_groups = groups[keep]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(kept_groups, minlength=n_groups))))
    per_group = [keep[bounds[j]:bounds[j + 1]] for j in range(n_groups)]
    return per_group, sizes


def normalized_class_means(E: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Unit-norm class means as columns, shape (d, n_classes) (GradNorm Eq. 12).

    An empty class gets a zero column.
    """
    sums = np.zeros((n_classes, E.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, E)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    means = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)
    return np.ascontiguousarray(means.T, dtype=np.float32)


def iter_logit_chunks(R: np.ndarray, W: np.ndarray, scale: float, *, device: str = "cpu",
                      chunk_size: int | None = None, dtype=torch.float32):
    """Yield ``(start, stop, scale * R[start:stop] @ W)`` as torch blocks.

    The block size keeps ``chunk × C`` below :data:`BLOCK_ELEMENTS`, so M = 82k
    nouns against C = 2,135 pseudo-classes never materialises the full matrix.
    On the CPU the product is taken by NumPy's BLAS (faster than torch's for
    this tall-skinny shape on the project machines); on CUDA by torch.
    """
    from ..utils.validation import resolve_device

    device = resolve_device(device)
    n_classes = W.shape[1]
    if chunk_size is None:
        chunk_size = max(1, BLOCK_ELEMENTS // max(n_classes, 1))
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    W_scaled = np.ascontiguousarray(np.asarray(W, dtype=np_dtype) * np_dtype(scale))
    # fp16 (the GradNorm authors' scoring): inputs rounded to half precision, product and softmax in half
    Wt = None if device == "cpu" and dtype != torch.float16 else torch.as_tensor(W_scaled, device=device).to(dtype)
    for start in range(0, R.shape[0], chunk_size):
        stop = min(start + chunk_size, R.shape[0])
        Rc = np.asarray(R[start:stop], dtype=np_dtype)
        if Wt is None:
            yield start, stop, torch.from_numpy(Rc @ W_scaled)
        else:
            yield start, stop, torch.as_tensor(Rc, device=device).to(dtype) @ Wt


class NounFilter:
    """Base class of noun filters; subclasses implement :meth:`_fit`.

    Learned attributes (set by :meth:`fit`):

    ``selected_indices_`` : sorted unique noun indices kept (the candidate
    positives D_pos); ``selected_per_group_`` : list, per group, of kept noun
    indices best first; ``group_sizes_`` : nouns available per group;
    ``short_groups_`` : groups that had fewer nouns than asked for;
    ``timings_`` : seconds per step.
    """

    name = "filter"

    def fit(self, E, R) -> "NounFilter":
        E = as_features(E, "image features")
        R = as_features(R, "noun features")
        check_same_dim(E, R, "image features", "noun features")
        self.timings_ = {}
        self._fit(E, R)
        self.selected_indices_ = np.unique(np.concatenate(self.selected_per_group_)).astype(np.int64) \
            if self.selected_per_group_ else np.zeros(0, dtype=np.int64)
        return self

    def _fit(self, E: np.ndarray, R: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _record_groups(self, per_group, sizes, k):
        self.selected_per_group_ = per_group
        self.group_sizes_ = sizes
        self.short_groups_ = np.flatnonzero(sizes < k).astype(np.int64)

    def summary(self) -> dict:
        """A JSON-ready description of what the filter kept."""
        return {
            "filter": self.name,
            "n_groups": int(len(self.selected_per_group_)),
            "n_selected": int(self.selected_indices_.size),
            "short_groups": [int(g) for g in self.short_groups_],
            "n_short_groups": int(self.short_groups_.size),
        }


class TACFilter(NounFilter):
    """TAC's noun filter, as in its public reference code (book/implementation.md, "The baselines' filters").

    Pseudo-classes come from spherical k-means on the image features with
    ``C = pseudo_class_count(N, K, 300)`` centres; ``w_j`` are the normalised
    pseudo-class means; every noun gets ``p_i = softmax_j(r_iᵀ w_j / temperature)``
    (temperature 1: the cosine itself is the logit) and is assigned to
    ``argmax_j p_ij``; each centre keeps the ``top_k`` nouns of highest
    ``max_j p_ij`` — the maximum-softmax-probability score of GradNorm Eq. 13.

    Attributes (besides :class:`NounFilter`'s): ``pseudo_labels_``, ``W_`` (d, C),
    ``msp_`` (n_nouns,), ``noun_assign_`` (n_nouns,).
    """

    name = "tac"

    def __init__(self, n_clusters: int, *, n_pseudo_classes: int | None = None, top_k: int = 5,
                 temperature: float = 1.0, kmeans_niter: int = 300, kmeans_nredo: int = 1,
                 kmeans_max_points: int | None = 256,
                 device: str = "cpu", random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_pseudo_classes = n_pseudo_classes
        self.top_k = top_k
        self.temperature = temperature
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.device = device
        self.random_state = random_state

    def _fit(self, E, R):
        n = E.shape[0]
        k = check_n_clusters(self.n_clusters, n, "n_clusters (K)", "training images")
        C = self.n_pseudo_classes if self.n_pseudo_classes is not None else pseudo_class_count(n, k, 300)
        C = check_n_clusters(C, n, "n_pseudo_classes (C)", "training images")
        top_k = check_int(self.top_k, "top_k")
        temperature = check_positive(self.temperature, "temperature")
        with timed(self.timings_, "kmeans"):
            km = KMeans(C, spherical=True, niter=self.kmeans_niter, nredo=self.kmeans_nredo,
                        max_points_per_centroid=self.kmeans_max_points, device=self.device,
                        random_state=self.random_state).fit(E)
        self.pseudo_labels_ = km.labels_
        self.n_pseudo_classes_ = C
        with timed(self.timings_, "score"):
            self.W_ = normalized_class_means(E, km.labels_, C)
            msp = np.empty(R.shape[0], dtype=np.float32)
            assign = np.empty(R.shape[0], dtype=np.int64)
            for a, b, logits in iter_logit_chunks(R, self.W_, 1.0 / temperature, device=self.device):
                p_max, arg = torch.softmax(logits, dim=1).max(dim=1)
                msp[a:b] = p_max.cpu().numpy()
                assign[a:b] = arg.cpu().numpy()
            self.msp_, self.noun_assign_ = msp, assign
        with timed(self.timings_, "select"):
            per_group, sizes = select_per_group(msp, assign, C, top_k, largest=True)
        self._record_groups(per_group, sizes, top_k)


class SICFilter(NounFilter):
    """SIC's semantic-space construction (SIC paper, Eq. 1 and the paragraph after it).

    1. Uniqueness ``ρ(w) = 1 − cos(w, ē)`` with ``ē`` the mean of all noun
       embeddings (SIC Eq. 1).
    2. Drop the most generic nouns according to ``gamma_u``.
    3. Spherical k-means with ``c = K`` clusters on the image features; keep the
       ``gamma_r`` nouns of highest cosine to each centre (GradNorm Eq. 15's score).

    γ_u: SIC's text says "select ρ(w) ≥ γ_u" and its code keeps the nouns with
    ``cos(w, ē) < 1 − γ_u``: both a *threshold* (``gamma_u_mode="threshold"``, the
    default). Its Table 2 calls γ_u "the number of most unique nouns"; the reading as
    the *fraction* of most generic nouns removed is ``gamma_u_mode="fraction"``.

    Order: the paper selects the γ_r nearest nouns of each centre among the unique
    nouns (``order="sequential"``, default); SIC's code selects them among all nouns
    and intersects with the unique ones (``order="intersect"``), so a centre may keep
    fewer than γ_r.

    Attributes (besides :class:`NounFilter`'s): ``uniqueness_`` (n_nouns,),
    ``unique_mask_`` (n_nouns,), ``centers_`` (K, d), ``image_labels_``.
    """

    name = "sic"

    def __init__(self, n_clusters: int, *, gamma_u: float = 0.05, gamma_r: int = 500,
                 gamma_u_mode: str = "threshold", order: str = "sequential", kmeans_niter: int = 300,
                 kmeans_nredo: int = 1, kmeans_max_points: int | None = 256, device: str = "cpu",
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.device = device
        self.order = order
        self.gamma_u = gamma_u
        self.gamma_r = gamma_r
        self.gamma_u_mode = gamma_u_mode
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.random_state = random_state

    def _fit(self, E, R):
        k = check_n_clusters(self.n_clusters, E.shape[0], "n_clusters (K)", "training images")
        gamma_r = check_int(self.gamma_r, "gamma_r")
        check_choice(self.gamma_u_mode, "gamma_u_mode", ("fraction", "threshold"))
        check_choice(self.order, "order", ("sequential", "intersect"))
        gamma_u = float(self.gamma_u)
        if not (0.0 <= gamma_u < 1.0):
            raise ParameterError(f"gamma_u must be in [0, 1), got {self.gamma_u!r}")
        with timed(self.timings_, "uniqueness"):
            center = R.mean(axis=0)
            center /= max(np.linalg.norm(center), np.finfo(np.float32).tiny)
            rho = 1.0 - R @ center
            cut = np.quantile(rho, gamma_u) if self.gamma_u_mode == "fraction" else gamma_u
            mask = rho >= cut
            self.uniqueness_, self.unique_mask_ = rho, mask
        with timed(self.timings_, "kmeans"):
            km = KMeans(k, spherical=True, niter=self.kmeans_niter, nredo=self.kmeans_nredo,
                        max_points_per_centroid=self.kmeans_max_points, device=self.device,
                        random_state=self.random_state).fit(E)
        self.centers_, self.image_labels_ = km.cluster_centers_, km.labels_
        with timed(self.timings_, "select"):
            # "sequential" (the paper): the γ_r nearest among the unique nouns; "intersect" (SIC's code): the
            # γ_r nearest among all nouns, then only those that are also unique
            pool = np.flatnonzero(mask) if self.order == "sequential" else np.arange(R.shape[0])
            sims = km.cluster_centers_ @ R[pool].T  # (K, |pool|)
            per_group = []
            for j in range(k):
                n_take = min(gamma_r, pool.size)
                top = np.argpartition(-sims[j], n_take - 1)[:n_take]
                top = top[np.lexsort((pool[top], -sims[j, top]))]
                chosen = pool[top].astype(np.int64)
                per_group.append(chosen if self.order == "sequential" else chosen[mask[chosen]])
            sizes = np.full(k, pool.size, dtype=np.int64)
        self._record_groups(per_group, sizes, gamma_r)
