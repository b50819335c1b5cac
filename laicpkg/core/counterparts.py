"""Stage 2 of LaIC: text counterparts (GradNorm Eq. 9) and clustering of [e; v].

Explained in: notebooks/05_pipeline.

For every image feature ``e_i`` and the selected nouns ``D_pos`` with features
``r̃_j``, the text counterpart is the softmax-weighted mean of Eq. 9,

``v_i = Σ_j softmax_j(e_iᵀ r̃_j / κ) r̃_j``,

which the TAC reference code then L2-normalises (our default; Eq. 9 as written
is ``normalize=False``). The final clusters come from spherical k-means with K
clusters on the concatenation ``[e_i; v_i] ∈ R^{2d}``. This is the "same
Stage 2" under which every noun filter is compared.
"""
from __future__ import annotations

import numpy as np
import torch

from ..utils.errors import ParameterError
from .kmeans import KMeans
from ..utils.validation import check_choice, check_positive
from .density import DensityCoreAssignment

__all__ = ["KAPPA", "retrieval_weights", "text_counterparts", "cluster_noun_weights", "concat_features", "final_clustering"]

#: κ = 0.006, the retrieval temperature of Eq. 9 (GradNorm Sec. 5.1.2).
KAPPA = 0.006


#: Largest (images × selected nouns) block of Eq. 9's weights held at once.
WEIGHT_ELEMENTS = 1 << 24


def retrieval_weights(E, R_pos, kappa: float = KAPPA, *, device: str = "cpu", chunk_size: int = 16384):
    """Eq. 9's weights ``softmax_j(e_iᵀ r_j / κ)`` block by block of images: yields ``(a, b, W, R)`` with ``W``
    the (b − a, |D_pos|) weights of images ``a..b`` and ``R`` the noun features as a tensor on ``device``.

    Blocks hold at most ``chunk_size`` images and 16M weights (64 MB in float32; ImageNet-1K's ~10k selected
    nouns give blocks of ~1,600 images).
    """
    kappa = check_positive(kappa, "kappa")
    E = np.asarray(E, dtype=np.float32)
    R_pos = np.asarray(R_pos, dtype=np.float32)
    if R_pos.ndim != 2 or R_pos.shape[0] == 0:
        raise ParameterError("the selected noun set D_pos is empty: no text counterpart can be built")
    Rt = torch.as_tensor(R_pos, device=device)
    chunk_size = max(1, min(chunk_size, WEIGHT_ELEMENTS // R_pos.shape[0]))
    for a in range(0, E.shape[0], chunk_size):
        Et = torch.as_tensor(E[a:a + chunk_size], device=device)
        yield a, a + Et.shape[0], torch.softmax((Et @ Rt.T) / kappa, dim=1), Rt


def text_counterparts(E, R_pos, kappa: float = KAPPA, *, normalize: bool = True, device: str = "cpu",
                      chunk_size: int = 16384) -> np.ndarray:
    """Text counterparts ``v_i`` of Eq. 9, computed in chunks of images.

    Parameters
    ----------
    E : array (n_samples, d) — image features (unit norm)
    R_pos : array (n_selected, d) — features of the selected nouns D_pos (unit norm)
    kappa : float — κ
    normalize : bool — L2-normalise each ``v_i`` (TAC reference code) or not (Eq. 9 as written)

    Returns
    -------
    V : ndarray (n_samples, d), float32
    """
    V = np.empty((np.shape(E)[0], np.shape(R_pos)[1]), dtype=np.float32)
    for a, b, weights, Rt in retrieval_weights(E, R_pos, kappa, device=device, chunk_size=chunk_size):
        v = weights @ Rt
        if normalize:
            v = torch.nn.functional.normalize(v, dim=1)
        V[a:b] = v.cpu().numpy()
    return V


def cluster_noun_weights(E, R_pos, labels, n_clusters: int, kappa: float = KAPPA, *, device: str = "cpu",
                         chunk_size: int = 16384) -> np.ndarray:
    """Mean Eq. 9 weight of every selected noun over each cluster's images, shape (n_clusters, |D_pos|).

    ``w_ij = softmax_j(e_iᵀ r_j / κ)`` are the weights with which image ``i`` retrieves noun ``j`` in
    its text counterpart (Eq. 9); averaged over the images of a cluster they rank the nouns that
    describe it (the cluster's names, book/implementation.md "Clusters that name themselves").
    """
    labels = np.asarray(labels, dtype=np.int64)
    sums = torch.zeros((n_clusters, np.shape(R_pos)[0]), dtype=torch.float64, device=device)
    for a, b, weights, _ in retrieval_weights(E, R_pos, kappa, device=device, chunk_size=chunk_size):
        sums.index_add_(0, torch.as_tensor(labels[a:b], device=device), weights.double())
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    return (sums.cpu().numpy() / np.maximum(counts, 1)[:, None]).astype(np.float32)


def concat_features(E: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``[e_i; v_i]`` row by row, shape (n_samples, 2d)."""
    return np.ascontiguousarray(np.concatenate([E, V], axis=1), dtype=np.float32)


def final_clustering(X, n_clusters: int, *, assign: str = "kmeans", niter: int = 300, nredo: int = 20,
                     max_points: int | None = 256, device: str = "cpu", random_state: int = 0) -> np.ndarray:
    """The last step of LaIC: spherical k-means, or k-means then IDCL's density-core assignment."""
    check_choice(assign, "final_assign", ("kmeans", "density-core", "density-core-mean"))
    if assign == "kmeans":
        return KMeans(n_clusters, spherical=True, niter=niter, nredo=nredo, max_points_per_centroid=max_points,
                      device=device, random_state=random_state).fit(X).labels_
    return DensityCoreAssignment(n_clusters, reduce="mean" if assign.endswith("mean") else "sum", spherical=True,
                                 kmeans_niter=niter, kmeans_nredo=nredo, kmeans_max_points=max_points,
                                 random_state=random_state).fit(X).labels_
