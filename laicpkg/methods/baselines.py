"""The two CLIP baselines of GradNorm's Tables 1–2: k-means on the image features and zero-shot.

Explained in: notebooks/05_pipeline.
"""
from __future__ import annotations

import numpy as np

from ..core.counterparts import final_clustering
from ..core.zeroshot import zero_shot_predict
from ..utils.validation import as_features
from .base import Estimator, max_points
from ..utils.validation import check_fitted

__all__ = ["CLIPKMeans", "ZeroShot"]


class CLIPKMeans(Estimator):
    """CLIP (k-means): spherical k-means on the image features alone (the paper's baseline row).

    Parameters
    ----------
    n_clusters : int
    kmeans_niter, final_nredo, kmeans_max_points, final_assign, device, random_state :
        as the final k-means of :class:`~laicpkg.methods.base.TwoStage`.

    Attributes
    ----------
    labels_ : (n,) clusters of the last :meth:`fit`
    """

    def __init__(self, n_clusters: int, *, kmeans_niter: int = 300, kmeans_max_points: int | None = 256,
                 final_nredo: int = 20, final_assign: str = "kmeans", device: str = "auto", random_state: int = 0):
        self.n_clusters = n_clusters
        self.kmeans_niter = kmeans_niter
        self.kmeans_max_points = kmeans_max_points
        self.final_nredo = final_nredo
        self.final_assign = final_assign
        self.device = device
        self.random_state = random_state

    def fit(self, E) -> "CLIPKMeans":
        E = as_features(E, "image features")
        self.labels_ = final_clustering(E, self.n_clusters, assign=self.final_assign, niter=self.kmeans_niter,
                                        max_points=max_points(self.kmeans_max_points), device=self.device,
                                        nredo=self.final_nredo, random_state=self.random_state)
        return self

    def fit_predict(self, E) -> np.ndarray:
        return self.fit(E).labels_

    def cluster(self, data) -> np.ndarray:
        """k-means on the test split's image features."""
        return self.fit_predict(data.E_test)


class ZeroShot(Estimator):
    """CLIP (zero-shot): every image to its most similar class-name text feature (Eq. 1).

    A supervised reference, not a clustering method: it reads the true class names.
    ``fit(class_text)`` stores the (K, d) text features; :meth:`predict` assigns images.
    """

    def __init__(self, n_clusters: int | None = None):
        self.n_clusters = n_clusters

    def fit(self, class_text) -> "ZeroShot":
        self.class_text_ = class_text  # checked by zero_shot_predict (None: one clear error)
        return self

    def predict(self, E) -> np.ndarray:
        check_fitted(self, "class_text_")
        return zero_shot_predict(E, self.class_text_)

    def cluster(self, data) -> np.ndarray:
        """The test images against the dataset's class-name features."""
        return self.fit(data.class_text).predict(data.E_test)
