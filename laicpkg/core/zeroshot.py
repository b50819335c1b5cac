"""CLIP zero-shot classification with the true class names (GradNorm Eq. 1), the supervised reference row.

Explained in: notebooks/01_laic_problem.
"""
from __future__ import annotations

import numpy as np

from ..utils.errors import FeatureError
from ..utils.validation import as_features, check_same_dim

__all__ = ["zero_shot_predict"]


def zero_shot_predict(E, class_text) -> np.ndarray:
    """``argmax_k e_iᵀ c_k`` over the text features ``c_k`` of the K true class names (Eq. 1)."""
    if class_text is None:
        raise FeatureError("zero-shot CLIP needs text features of the true class names, which these data lack")
    E = as_features(E, "image features")
    T = as_features(class_text, "class-name text features")
    check_same_dim(E, T, "image features", "class-name text features")
    return (E @ T.T).argmax(axis=1).astype(np.int64)
