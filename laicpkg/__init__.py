"""laicpkg — language-assisted image clustering: GradNorm, TAC, SIC and IDCL on CLIP features.

Every computation of the LaIC book lives here; notebooks only call it. The layers, each
importing only from those below it::

    cli                      the `laic` command
    book                     paper numbers, tables, figures, notebook checks, results pages
    run                      configuration, run records, runner, sweeps, the Dask grid
    theory                   the quantities of Theorems 1-2
    methods                  one estimator class per method, and the registry of names
    features                 dataset specifications, generators, extraction, nouns, caches
    core                     the arithmetic: k-means, metrics, scores, counterparts, density
    utils                    errors, validation, atomic writes, timers, environment
"""
from ._version import __version__  # noqa: F401  (the package face re-exports)
from .core.counterparts import KAPPA, concat_features, text_counterparts
from .core.filters import pseudo_class_count, select_per_group
from .core.gradnorm import BETA, TAU, centroid_classifier, gradnorm_scores, train_erm_classifier
from .core.kmeans import KMeans, k_means
from .core.metrics import cluster_accuracy, clustering_scores, filter_precision_recall
from .features.datasets import load_dataset
from .methods.base import TwoStage
from .methods.baselines import CLIPKMeans, ZeroShot
from .methods.gradnorm import GradNorm
from .methods.idcl import IDCL
from .methods.sic import SIC
from .methods.tac import TAC, TACStar
from .utils.errors import (CacheError, EmptyClusterError, FeatureError, LaicError, ParameterError,
                           UnknownNameError)

__all__ = ["__version__", "KAPPA", "concat_features", "text_counterparts", "pseudo_class_count", "select_per_group",
           "BETA", "TAU", "centroid_classifier", "gradnorm_scores", "train_erm_classifier", "KMeans", "k_means",
           "cluster_accuracy", "clustering_scores", "filter_precision_recall", "load_dataset", "TwoStage",
           "CLIPKMeans", "ZeroShot", "GradNorm", "IDCL", "SIC", "TAC", "TACStar", "CacheError", "EmptyClusterError",
           "FeatureError", "LaicError", "ParameterError", "UnknownNameError"]
