"""The in-memory forms of a dataset: CLIP features with a wild noun pool (LaIC), or raw images (IDCL).

Explained in: notebooks/01_laic_problem.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from ..utils.errors import FeatureError
from ..utils.validation import as_features, check_same_dim

__all__ = ["LaICData", "ImageData"]


@dataclass
class LaICData:
    """Features of one dataset, ready for any LaIC method.

    Attributes
    ----------
    name : str
    class_names : list of str (K entries)
    E_train, E_test : (n, d) float32 unit-norm image features of the train / test split
    y_train, y_test : (n,) int64 ground-truth labels (used only for evaluation)
    R : (M, d) float32 unit-norm features of the wild nouns
    nouns : list of str (M entries)
    positive_mask : (M,) bool or None — the known positives, when the data are synthetic
    noun_class : (M,) int64 or None — the class a positive noun belongs to (-1 for negatives)
    class_text : (K, d) float32 or None — text features of the true class names (for zero-shot CLIP, Eq. 1)
    meta : dict — provenance (generator parameters or cache identity)
    """

    name: str
    class_names: list
    E_train: np.ndarray
    y_train: np.ndarray
    E_test: np.ndarray
    y_test: np.ndarray
    R: np.ndarray
    nouns: list
    positive_mask: np.ndarray | None = None
    noun_class: np.ndarray | None = None
    class_text: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.E_train = as_features(self.E_train, f"{self.name} train image features")
        self.E_test = as_features(self.E_test, f"{self.name} test image features")
        self.R = as_features(self.R, f"{self.name} noun features")
        check_same_dim(self.E_train, self.R, "image features", "noun features")
        check_same_dim(self.E_train, self.E_test, "train image features", "test image features")
        self.y_train = np.asarray(self.y_train, dtype=np.int64)
        self.y_test = np.asarray(self.y_test, dtype=np.int64)
        for split, E, y in (("train", self.E_train, self.y_train), ("test", self.E_test, self.y_test)):
            if y.shape != (E.shape[0],):
                raise FeatureError(f"{self.name}: {split} labels have shape {y.shape}, expected ({E.shape[0]},)")
        if len(self.nouns) != self.R.shape[0]:
            raise FeatureError(f"{self.name}: {len(self.nouns)} noun names for {self.R.shape[0]} noun features")
        if self.class_text is not None:
            self.class_text = as_features(self.class_text, f"{self.name} class-name text features")
            if self.class_text.shape != (len(self.class_names), self.E_train.shape[1]):
                raise FeatureError(f"{self.name}: class-name text features have shape {self.class_text.shape}, "
                                   f"expected ({len(self.class_names)}, {self.E_train.shape[1]})")
        if self.positive_mask is not None:
            self.positive_mask = np.asarray(self.positive_mask, dtype=bool)
            if self.positive_mask.shape != (self.R.shape[0],):
                raise FeatureError(f"{self.name}: positive mask has shape {self.positive_mask.shape}")

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def dim(self) -> int:
        return self.E_train.shape[1]

    def describe(self) -> dict:
        """Sizes, as a JSON-ready dict."""
        d = {"dataset": self.name, "n_classes": self.n_classes, "n_train": int(self.E_train.shape[0]),
             "n_test": int(self.E_test.shape[0]), "n_nouns": int(self.R.shape[0]), "dim": int(self.dim)}
        if self.positive_mask is not None:
            d["n_positive_nouns"] = int(self.positive_mask.sum())
        return d

    def digest(self) -> str:
        """SHA-256 (16 hex digits) of everything a run reads or is scored on: the features (a cache's by the
        hashes of its files), the image labels, the class names, the noun strings, and the known positives,
        noun classes and class-name texts where there are any. Two datasets with one digest give one result."""
        h = hashlib.sha256()
        cache = self.meta.get("cache")
        if cache:
            h.update("|".join(cache[k].get("sha256", "") for k in sorted(cache)).encode())
        else:
            for arr in (self.E_train, self.E_test, self.R):
                h.update(np.ascontiguousarray(arr).tobytes())
        for arr in (self.y_train, self.y_test):
            h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes())
        h.update(json.dumps([list(map(str, self.class_names)), list(map(str, self.nouns))]).encode())
        for name, arr in (("positive_mask", self.positive_mask), ("noun_class", self.noun_class),
                          ("class_text", self.class_text)):
            h.update(name.encode())
            if arr is not None:
                h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:16]


@dataclass
class ImageData:
    """Raw images of a clustering benchmark (IDCL's Table 1): pixels in [0, 1] and labels.

    Attributes
    ----------
    name : str
    X : (n, C, H, W) float32 images
    y : (n,) int64 labels (used only for evaluation)
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.X = np.asarray(self.X, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.int64)
        if self.y.shape != (self.X.shape[0],):
            raise FeatureError(f"{self.name}: labels have shape {self.y.shape}, expected ({self.X.shape[0]},)")

    @property
    def n_classes(self) -> int:
        return int(np.unique(self.y).size)

    def describe(self) -> dict:
        return {"n_samples": int(self.X.shape[0]), "image_shape": list(self.X.shape[1:]), "n_classes": self.n_classes}

    def digest(self) -> str:
        """SHA-256 (16 hex digits) of the pixels and labels."""
        return hashlib.sha256(np.ascontiguousarray(self.X).tobytes() + self.y.tobytes()).hexdigest()[:16]
