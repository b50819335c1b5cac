"""Clustering and filtering metrics, in percent as in the paper's tables (Sec. 5.1.3).

Explained in: notebooks/05_pipeline.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from ..utils.errors import ParameterError

__all__ = ["cluster_accuracy", "clustering_scores", "filter_precision_recall", "nmi_max"]


def _labels(y, name):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {y.shape}")
    return y


def _contingency(y_true, y_pred):
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ParameterError(f"y_true and y_pred differ in length ({y_true.size} vs {y_pred.size})")
    if y_true.size == 0:
        raise ParameterError("cannot score an empty labelling")
    classes, t = np.unique(y_true, return_inverse=True)
    clusters, p = np.unique(y_pred, return_inverse=True)
    table = np.zeros((p.max() + 1, t.max() + 1), dtype=np.int64)
    np.add.at(table, (p, t), 1)
    return table, clusters, classes


def cluster_matching(y_true, y_pred) -> dict:
    """The Hungarian matching behind :func:`cluster_accuracy`: ``{cluster: class}`` for matched clusters."""
    table, clusters, classes = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {int(clusters[r]): int(classes[c]) for r, c in zip(rows, cols)}


def naming_accuracy(cluster_top_noun: dict, matching: dict, noun_class) -> float:
    """Share (percent) of matched clusters whose top-ranked noun is a positive of the matched class.

    ``cluster_top_noun`` maps a cluster to the index of its best noun in the pool; ``noun_class``
    gives each noun's class (-1: not a positive of any class).
    """
    noun_class = np.asarray(noun_class)
    hits = [noun_class[cluster_top_noun[c]] == k for c, k in matching.items() if c in cluster_top_noun]
    return 100.0 * float(np.mean(hits)) if hits else 0.0


def cluster_accuracy(y_true, y_pred) -> float:
    """Clustering accuracy (fraction in [0, 1]) under the best one-to-one matching.

    The matching maximises the contingency-table trace with the Hungarian
    algorithm (scipy's ``linear_sum_assignment``); with more clusters than
    classes, unmatched clusters count as errors.
    """
    table, _, _ = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def clustering_scores(y_true, y_pred) -> dict[str, float]:
    """ACC, NMI and ARI in percent (unrounded; tables show one decimal)."""
    return {
        "ACC": 100.0 * cluster_accuracy(y_true, y_pred),
        "NMI": 100.0 * float(normalized_mutual_info_score(y_true, y_pred)),
        "ARI": 100.0 * float(adjusted_rand_score(y_true, y_pred)),
    }


def nmi_max(y_true, y_pred) -> float:
    """NMI in percent normalised by max(H(l), H(c)), the IDCL paper's definition (Appendix E, Eq. 30);
    :func:`clustering_scores` uses scikit-learn's default, the arithmetic mean of the two entropies."""
    _contingency(y_true, y_pred)  # the same input checks
    return 100.0 * float(normalized_mutual_info_score(y_true, y_pred, average_method="max"))


def filter_precision_recall(selected, positive_mask) -> dict[str, float]:
    """Precision and recall (percent) of a selected noun set against known positives.

    ``selected`` holds noun indices (duplicates ignored); ``positive_mask`` is a
    boolean array over the whole noun pool.
    """
    positive_mask = np.asarray(positive_mask, dtype=bool)
    sel = np.unique(np.asarray(selected, dtype=np.int64))
    if sel.size and (sel.min() < 0 or sel.max() >= positive_mask.size):
        raise ParameterError("selected noun index out of range of the positive mask")
    tp = int(positive_mask[sel].sum()) if sel.size else 0
    n_pos = int(positive_mask.sum())
    return {
        "precision": 100.0 * tp / sel.size if sel.size else 0.0,
        "recall": 100.0 * tp / n_pos if n_pos else 0.0,
        "n_selected": int(sel.size),
    }
