"""laicpkg — language-assisted image clustering: GradNorm, TAC, SIC and IDCL on CLIP features.

Every computation of the LaIC book lives here; notebooks only call it.
"""
from .counterparts import KAPPA, TwoStageClustering, concat_features, text_counterparts
from .errors import (CacheError, EmptyClusterError, FeatureError, LaicError, ParameterError,
                     UnknownNameError)
from .filters import NounFilter, SICFilter, TACFilter, pseudo_class_count, select_per_group
from .gradnorm import BETA, TAU, GradNorm, GradNormFilter, centroid_classifier, gradnorm_scores, train_erm_classifier
from .kmeans import KMeans, k_means
from .metrics import cluster_accuracy, clustering_scores, filter_precision_recall

__version__ = "0.1.0"
