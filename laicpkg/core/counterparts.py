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
from ..utils.timing import timed
from ..utils.validation import as_features, check_choice, check_n_clusters, check_positive, check_same_dim, resolve_device

__all__ = ["KAPPA", "text_counterparts", "concat_features", "final_clustering", "TwoStageClustering"]

#: κ = 0.006, the retrieval temperature of Eq. 9 (GradNorm Sec. 5.1.2).
KAPPA = 0.006


#: Largest (images × selected nouns) block of Eq. 9's weights held at once.
WEIGHT_ELEMENTS = 1 << 24


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
    kappa = check_positive(kappa, "kappa")
    E = np.asarray(E, dtype=np.float32)
    R_pos = np.asarray(R_pos, dtype=np.float32)
    if R_pos.ndim != 2 or R_pos.shape[0] == 0:
        raise ParameterError("the selected noun set D_pos is empty: no text counterpart can be built")
    Rt = torch.as_tensor(R_pos, device=device)
    V = np.empty((E.shape[0], R_pos.shape[1]), dtype=np.float32)
    # images per block: at most chunk_size, and the (block × |D_pos|) weights stay within 16M elements
    # (64 MB in float32; ImageNet-1K's ~10k selected nouns give blocks of ~1,600 images)
    chunk_size = max(1, min(chunk_size, WEIGHT_ELEMENTS // R_pos.shape[0]))
    for a in range(0, E.shape[0], chunk_size):
        Et = torch.as_tensor(E[a:a + chunk_size], device=device)
        weights = torch.softmax((Et @ Rt.T) / kappa, dim=1)
        v = weights @ Rt
        if normalize:
            v = torch.nn.functional.normalize(v, dim=1)
        V[a:a + chunk_size] = v.cpu().numpy()
    return V


def concat_features(E: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``[e_i; v_i]`` row by row, shape (n_samples, 2d)."""
    return np.ascontiguousarray(np.concatenate([E, V], axis=1), dtype=np.float32)


def final_clustering(X, n_clusters: int, *, assign: str = "kmeans", niter: int = 300, nredo: int = 20,
                     max_points: int | None = 256, device: str = "cpu", random_state: int = 0) -> np.ndarray:
    """The last step of LaIC: spherical k-means, or k-means then IDCL's density-core assignment."""
    from .density import DensityCoreAssignment

    check_choice(assign, "final_assign", ("kmeans", "density-core", "density-core-mean"))
    if assign == "kmeans":
        return KMeans(n_clusters, spherical=True, niter=niter, nredo=nredo, max_points_per_centroid=max_points,
                      device=device, random_state=random_state).fit(X).labels_
    return DensityCoreAssignment(n_clusters, reduce="mean" if assign.endswith("mean") else "sum", spherical=True,
                                 kmeans_niter=niter, kmeans_nredo=nredo, kmeans_max_points=max_points,
                                 random_state=random_state).fit(X).labels_


class TwoStageClustering:
    """A noun filter (Stage 1, on the train split) followed by Stage 2 (on any split).

    Parameters
    ----------
    noun_filter : NounFilter or None
        An unfitted filter; subclasses may build it in :meth:`make_filter`.
    n_clusters : int
        K, clusters of the final k-means.
    kappa, normalize_counterparts :
        Eq. 9 settings.
    kmeans_niter, final_nredo :
        Final spherical k-means settings (the GradNorm code: 300 iterations, 20 restarts).
    kmeans_max_points : int or None
        faiss trains each k-means on at most this many points per centroid (a random subsample); 256 is
        faiss' default, which every reference implementation uses; None trains on every point.
    final_assign : {"kmeans", "density-core", "density-core-mean"}
        "kmeans" (the paper); "density-core" keeps the k-means clusters only to build
        IDCL's density cores and assigns every image by density-core similarity
        (IDCL Eq. 9–11; :class:`laicpkg.core.density.DensityCoreAssignment`);
        "density-core-mean" averages the kernel over each core instead of summing.
    random_state : int
        Seed of the final k-means.

    Attributes
    ----------
    filter_ : the fitted filter (its learned attributes are also readable on this object)
    selected_indices_ : indices of D_pos in the noun pool
    text_counterparts_ : (n_samples, d) v of the last :meth:`predict`
    labels_ : (n_samples,) final clusters of the last :meth:`predict`
    timings_ : seconds per stage
    """

    def __init__(self, noun_filter, n_clusters: int, *, kappa: float = KAPPA, normalize_counterparts: bool = True,
                 kmeans_niter: int = 300, kmeans_max_points: int | None = 256, final_nredo: int = 20,
                 final_assign: str = "kmeans", device: str = "cpu", random_state: int = 0):
        self.noun_filter = noun_filter
        self.kmeans_max_points = kmeans_max_points
        self.final_assign = final_assign
        self.n_clusters = n_clusters
        self.kappa = kappa
        self.normalize_counterparts = normalize_counterparts
        self.kmeans_niter = kmeans_niter
        self.final_nredo = final_nredo
        self.device = device
        self.random_state = random_state

    def make_filter(self):
        if self.noun_filter is None:
            raise ParameterError("no noun filter given")
        return self.noun_filter

    def __getattr__(self, name):
        # Forward learned attributes (pseudo_labels_, W_, scores_, ...) to the fitted filter.
        if name.endswith("_") and not name.startswith("__") and "filter_" in self.__dict__:
            return getattr(self.__dict__["filter_"], name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def fit(self, E_train, R) -> "TwoStageClustering":
        """Stage 1: fit the noun filter on the train split's image features and the noun pool."""
        self.timings_ = {}
        R = as_features(R, "noun features")
        self.filter_ = self.make_filter().fit(E_train, R)
        self.timings_.update({f"filter/{k}": v for k, v in self.filter_.timings_.items()})
        self.R_pos_ = R[self.filter_.selected_indices_]
        return self

    def transform(self, E) -> np.ndarray:
        """Text counterparts v (Eq. 9) of images ``E`` from the fitted D_pos."""
        E = as_features(E, "image features")
        check_same_dim(E, self.R_pos_, "image features", "noun features")
        return text_counterparts(E, self.R_pos_, self.kappa, normalize=self.normalize_counterparts,
                                 device=resolve_device(self.device))

    def predict(self, E) -> np.ndarray:
        """Stage 2: cluster images ``E`` into K groups on ``[e; v]``."""
        E = as_features(E, "image features")
        K = check_n_clusters(self.n_clusters, E.shape[0], "n_clusters (K)", "images to cluster")
        with timed(self.timings_, "counterparts"):
            V = self.transform(E)
        with timed(self.timings_, "final_kmeans"):
            labels = final_clustering(concat_features(E, V), K, assign=self.final_assign, niter=self.kmeans_niter,
                                      nredo=self.final_nredo, max_points=self.kmeans_max_points,
                                      device=self.device, random_state=self.random_state)
        self.text_counterparts_, self.labels_ = V, labels
        return labels

    def fit_predict(self, E_train, R, E_test) -> np.ndarray:
        return self.fit(E_train, R).predict(E_test)
