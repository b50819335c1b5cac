"""laicpkg — language-assisted image clustering: GradNorm, TAC, SIC and IDCL on CLIP features.

Every computation of the LaIC book lives here; notebooks only call it.
"""
from .core.counterparts import KAPPA, TwoStageClustering, concat_features, text_counterparts
from .utils.errors import (CacheError, EmptyClusterError, FeatureError, LaicError, ParameterError,
                     UnknownNameError)
from .core.filters import NounFilter, SICFilter, TACFilter, pseudo_class_count, select_per_group
from .core.gradnorm import BETA, TAU, GradNorm, GradNormFilter, centroid_classifier, gradnorm_scores, train_erm_classifier
from .core.kmeans import KMeans, k_means
from .core.metrics import cluster_accuracy, clustering_scores, filter_precision_recall

from ._version import __version__
