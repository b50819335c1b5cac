"""What every estimator shares: scikit-learn's contract, configuration names, Stage 1 and Stage 2.

Explained in: book/implementation.md ("One class per method") and notebooks/05_pipeline.

Every method of the package is one class deriving from :class:`Estimator`
(scikit-learn's ``BaseEstimator``): ``__init__`` stores its keyword arguments
unchanged, ``get_params``/``set_params``/``clone`` work, learned attributes end
in ``_``. The estimator's signature is the only place a hyper-parameter and its
default are declared; the run configuration, the command-line flags and the
run records derive their names from it (:meth:`Estimator.config_name`):

* a parameter shared by several methods with one meaning (``kmeans_niter``,
  ``device``, ...) keeps its name (``config_shared``);
* a method's own parameter carries the method's prefix (``sic_gamma_r``,
  ``tacstar_epochs``); GradNorm's have none (it is the paper's method);
* ``config_renamed`` names the few exceptions (``SIC.lam`` is ``sic_lambda``).

Two-stage methods (:class:`TwoStage`): Stage 1 selects candidate positive nouns on
the train split (:meth:`NounSelector.select_nouns`); Stage 2 (GradNorm Eq. 9 and
the final k-means) clusters any split on ``[e; v]``.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone

from ..core.counterparts import KAPPA, concat_features, final_clustering, text_counterparts
from ..core.filters import pseudo_class_count
from ..core.kmeans import KMeans
from ..utils.errors import ParameterError
from ..utils.timing import timed
from ..utils.validation import as_features, check_n_clusters, check_same_dim, resolve_device
from ..utils.validation import check_fitted

__all__ = ["Estimator", "NounSelector", "TwoStage", "max_points"]


def max_points(value) -> int | None:
    """``kmeans_max_points``: 0 or None means every point (faiss subsamples nothing)."""
    return value or None


class Estimator(BaseEstimator):
    """Base of every method: scikit-learn's parameter contract plus configuration names.

    Subclasses implement :meth:`cluster`, which says which parts of a dataset the
    method reads (train split and nouns, test split, class names, raw images).
    """

    #: prefix of this method's own parameters in configurations, flags and records
    config_prefix = ""
    #: parameters named without the prefix: the same meaning in every method
    config_shared: tuple = ("kmeans_niter", "kmeans_nredo", "kmeans_max_points", "final_nredo", "final_assign",
                            "normalize_counterparts", "device")
    #: explicit configuration names where the prefix rule does not apply
    config_renamed: dict = {}
    #: constructor arguments that are not run hyper-parameters (never configured by name)
    not_configured = ("n_clusters", "random_state", "progress", "noun_filter")
    #: whether :meth:`cluster` takes raw images (:class:`~laicpkg.features.container.ImageData`)
    accepts_images = False

    @classmethod
    def config_name(cls, name: str) -> str:
        """The configuration (and flag, and record) name of constructor argument ``name``."""
        if name in cls.config_renamed:
            return cls.config_renamed[name]
        return name if name in cls.config_shared else cls.config_prefix + name

    @classmethod
    def configured(cls) -> dict:
        """``{python name: default}`` of every configurable constructor argument, in signature order."""
        import inspect

        sig = inspect.signature(cls.__init__)
        return {n: p.default for n, p in sig.parameters.items()
                if n != "self" and n not in cls.not_configured and p.kind is p.KEYWORD_ONLY}

    def cluster(self, data) -> np.ndarray:  # pragma: no cover - abstract
        """Cluster a dataset (:class:`~laicpkg.features.container.LaICData`) and return the test labels."""
        raise NotImplementedError


class NounSelector(Estimator):
    """An estimator with a Stage 1: it selects candidate positive nouns from a wild pool.

    :meth:`select_nouns` runs Stage 1 alone on the train split's image features ``E``
    and the noun features ``R``. Learned attributes: ``selected_indices_`` (sorted unique
    indices of D_pos), ``selected_per_group_`` (per pseudo-class, best first),
    ``group_sizes_`` (nouns available per group), ``short_groups_`` (groups that had
    fewer nouns than asked for), ``timings_``.
    """

    #: the name written in run records' ``filter`` entry
    filter_name = "filter"
    #: constructor arguments that Stage 1 reads (the rest belong to later stages)
    stage1_params: tuple = ()

    def select_nouns(self, E, R) -> "NounSelector":
        """Stage 1 only: fit the noun filter on the train image features and the noun pool."""
        E = as_features(E, "image features")
        R = as_features(R, "noun features")
        check_same_dim(E, R, "image features", "noun features")
        self.timings_ = {}
        self._select(E, R)
        groups = self.selected_per_group_
        self.selected_indices_ = np.unique(np.concatenate(groups)).astype(np.int64) if groups \
            else np.zeros(0, dtype=np.int64)
        return self

    def _select(self, E: np.ndarray, R: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _record_groups(self, per_group, sizes, k: int) -> None:
        self.selected_per_group_ = per_group
        self.group_sizes_ = sizes
        self.short_groups_ = np.flatnonzero(sizes < k).astype(np.int64)

    def pseudo_classes_for(self, n: int) -> int:
        """C for ``n`` training images (``SAMPLES_PER_PSEUDO_CLASS`` of the class: GradNorm 600, TAC 300); raises
        :class:`ParameterError` when C or K exceeds ``n`` (checked before Stage 1, e.g. before images are encoded)."""
        return self._pseudo_classes(n, self.SAMPLES_PER_PSEUDO_CLASS)

    def _pseudo_classes(self, n: int, samples_per_class: int) -> int:
        """C: ``n_pseudo_classes`` or the C rule of TAC and GradNorm (Sec. 5.1.2), checked against ``n`` images."""
        k = check_n_clusters(self.n_clusters, n, "n_clusters (K)", "training images")
        C = self.n_pseudo_classes if self.n_pseudo_classes is not None else pseudo_class_count(n, k, samples_per_class)
        return check_n_clusters(C, n, "n_pseudo_classes (C)", "training images")

    def _kmeans(self, E: np.ndarray, n_clusters: int) -> KMeans:
        """Stage 1's spherical k-means with this estimator's k-means settings (timed as ``kmeans``)."""
        with timed(self.timings_, "kmeans"):
            return KMeans(n_clusters, spherical=True, niter=self.kmeans_niter, nredo=self.kmeans_nredo,
                          max_points_per_centroid=max_points(self.kmeans_max_points), device=self.device,
                          random_state=self.random_state).fit(E)

    def _select_with(self, noun_filter, E, R) -> None:
        """Stage 1 by another method's estimator (a fitted clone is kept as ``noun_filter_``)."""
        if noun_filter is None:
            raise ParameterError(f"{type(self).__name__} needs a noun_filter (e.g. TAC(K) or GradNorm(K))")
        f = clone(noun_filter).select_nouns(E, R)
        self.noun_filter_ = f
        self.filter_name = f.filter_name
        self.timings_.update(f.timings_)
        self.selected_per_group_, self.group_sizes_, self.short_groups_ = (f.selected_per_group_, f.group_sizes_,
                                                                           f.short_groups_)

    def filter_summary(self) -> dict:
        """A JSON-ready description of what Stage 1 kept (the run record's ``filter`` entry)."""
        return {
            "filter": self.filter_name,
            "n_groups": int(len(self.selected_per_group_)),
            "n_selected": int(self.selected_indices_.size),
            "short_groups": [int(g) for g in self.short_groups_],
            "n_short_groups": int(self.short_groups_.size),
        }


class TwoStage(NounSelector):
    """Stage 1 (a noun filter on the train split) followed by GradNorm's Stage 2 (on any split).

    Used as is, ``TwoStage(K, noun_filter=TAC(K))`` is another method's Stage 1 under
    GradNorm's Stage 2 (the filter comparison of notebooks/05_pipeline); :class:`GradNorm`
    and :class:`TAC` subclass it with their own Stage 1.

    Parameters
    ----------
    n_clusters : int
        K, clusters of the final k-means.
    noun_filter : NounSelector or None
        The estimator whose Stage 1 selects the nouns (only for the plain ``TwoStage``).
    kappa : float, default 0.006
        κ, the retrieval temperature of Eq. 9.
    normalize_counterparts : bool, default True
        L2-normalise ``v_i`` (the TAC and GradNorm code); False is Eq. 9 as written.
    kmeans_niter, final_nredo : int, default 300, 20
        Final spherical k-means (the GradNorm code's settings).
    kmeans_max_points : int or None, default 256
        faiss trains every k-means on at most this many points per centroid (0/None: all).
    final_assign : {"kmeans", "density-core", "density-core-mean"}
        "kmeans" (the paper) or IDCL's density-core assignment (IDCL Eq. 9–11).
    device : {"auto", "cpu", "cuda"}
    random_state : int
        Seed of every k-means and of training.

    Attributes
    ----------
    selected_indices_, selected_per_group_, group_sizes_, short_groups_ : Stage 1 (see :class:`NounSelector`)
    noun_filter_ : the fitted clone of ``noun_filter`` (plain ``TwoStage`` only)
    R_pos_ : (|D_pos|, d) the selected noun features
    text_counterparts_ : (n, d) v of the last :meth:`predict`; ``labels_`` its clusters
    timings_ : seconds per step
    """

    stage2_params = ("kappa", "normalize_counterparts", "final_nredo", "final_assign")

    def __init__(self, n_clusters: int, *, noun_filter=None, kappa: float = KAPPA,
                 normalize_counterparts: bool = True, kmeans_niter: int = 300, kmeans_max_points: int | None = 256,
                 final_nredo: int = 20, final_assign: str = "kmeans", device: str = "auto", random_state: int = 0):
        self.n_clusters = n_clusters
        self.noun_filter = noun_filter
        self.kappa = kappa
        self.normalize_counterparts = normalize_counterparts
        self.kmeans_niter = kmeans_niter
        self.kmeans_max_points = kmeans_max_points
        self.final_nredo = final_nredo
        self.final_assign = final_assign
        self.device = device
        self.random_state = random_state

    def _select(self, E, R):
        self._select_with(self.noun_filter, E, R)

    def fit(self, E_train, R) -> "TwoStage":
        """Stage 1 on the train split's image features and the noun pool; keeps D_pos for Stage 2."""
        R = as_features(R, "noun features")
        self.select_nouns(E_train, R)
        self.timings_ = {f"filter/{k}": v for k, v in self.timings_.items()}
        self.R_pos_ = R[self.selected_indices_]
        return self

    def transform(self, E) -> np.ndarray:
        """Text counterparts v (Eq. 9) of images ``E`` from the fitted D_pos."""
        check_fitted(self, "R_pos_")
        E = as_features(E, "image features")
        check_same_dim(E, self.R_pos_, "image features", "noun features")
        return text_counterparts(E, self.R_pos_, self.kappa, normalize=self.normalize_counterparts,
                                 device=resolve_device(self.device))

    def predict(self, E) -> np.ndarray:
        """Stage 2: cluster images ``E`` into K groups by spherical k-means on ``[e; v]``."""
        check_fitted(self, "R_pos_")
        E = as_features(E, "image features")
        K = check_n_clusters(self.n_clusters, E.shape[0], "n_clusters (K)", "images to cluster")
        with timed(self.timings_, "counterparts"):
            V = self.transform(E)
        with timed(self.timings_, "final_kmeans"):
            labels = final_clustering(concat_features(E, V), K, assign=self.final_assign, niter=self.kmeans_niter,
                                      nredo=self.final_nredo, max_points=max_points(self.kmeans_max_points),
                                      device=self.device, random_state=self.random_state)
        self.text_counterparts_, self.labels_ = V, labels
        return labels

    def fit_predict(self, E_train, R, E_test) -> np.ndarray:
        return self.fit(E_train, R).predict(E_test)

    def cluster(self, data) -> np.ndarray:
        """Stage 1 on the train split and the noun pool, Stage 2 on the test split."""
        return self.fit(data.E_train, data.R).predict(data.E_test)
