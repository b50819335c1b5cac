"""Raw-image datasets of IDCL's Table 1 (pixels, not CLIP features).

Explained in: notebooks/07_idcl.

``digits`` ships with scikit-learn (1,797 8×8 images, the UCI optdigits test set
the IDCL paper calls DIGITS) and is always available. The others are read with
torchvision from a local folder (``root``; nothing is downloaded) and raise a
one-line :class:`~laicpkg.utils.errors.DatasetError` naming what is missing when the
files are absent. Pixels are scaled to [0, 1]; train and test splits are joined,
as clustering papers in IDCL's table use the whole dataset (Table 1 sizes).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..utils.errors import DatasetError, UnknownNameError

__all__ = ["ImageSetSpec", "IMAGE_SETS", "load_image_set", "is_image_set"]


@dataclass(frozen=True)
class ImageSetSpec:
    name: str
    n_samples: int
    shape: tuple
    n_classes: int
    torchvision: str | None    # torchvision class, or None for built-ins
    note: str = ""


IMAGE_SETS = {s.name: s for s in [
    ImageSetSpec("digits", 1797, (1, 8, 8), 10, None, "scikit-learn load_digits (UCI optdigits)"),
    ImageSetSpec("mnist", 70000, (1, 28, 28), 10, "MNIST"),
    ImageSetSpec("fashion-mnist", 70000, (1, 28, 28), 10, "FashionMNIST"),
    ImageSetSpec("usps", 9298, (1, 16, 16), 10, "USPS"),
    ImageSetSpec("letter-aj", 56000, (1, 28, 28), 10, "EMNIST", "EMNIST letters A–J"),
    ImageSetSpec("gtsrb", 8790, (3, 32, 32), 5, "GTSRB", "5 classes as in IDCL Table 1 (subset not specified)"),
    ImageSetSpec("cifar10-pixels", 60000, (3, 32, 32), 10, "CIFAR10"),
    ImageSetSpec("stl10-pixels", 13000, (3, 96, 96), 10, "STL10"),
    ImageSetSpec("ytf", 20000, (3, 64, 64), 80, None, "YouTube Faces frames; no loader (no public split)"),
]}


def is_image_set(name: str) -> bool:
    return name in IMAGE_SETS


def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32)[:, None], d.target.astype(np.int64)


def _torchvision(spec: ImageSetSpec, root: str | None):
    import torchvision.datasets as tvd

    if root is None:
        raise DatasetError(f"{spec.name} needs its files: pass --data-root DIR holding the torchvision "
                           f"{spec.torchvision} files (fetch them once elsewhere with download=True)")
    cls = getattr(tvd, spec.torchvision)
    parts = []
    try:
        if spec.torchvision in ("MNIST", "FashionMNIST", "USPS", "CIFAR10"):
            parts = [cls(root, train=t, download=False) for t in (True, False)]
        elif spec.torchvision == "EMNIST":
            parts = [cls(root, split="letters", train=t, download=False) for t in (True, False)]
        elif spec.torchvision == "STL10":
            parts = [cls(root, split=s, download=False) for s in ("train", "test")]
        else:
            parts = [cls(root, split=s, download=False) for s in ("train", "test")]
    except (RuntimeError, FileNotFoundError, OSError) as exc:
        raise DatasetError(f"{spec.name}: torchvision {spec.torchvision} files not found under {root} "
                           f"({str(exc).splitlines()[0]})") from None
    xs, ys = [], []
    for ds in parts:
        data = getattr(ds, "data")
        x = np.asarray(data.numpy() if hasattr(data, "numpy") else data, dtype=np.float32)
        if x.ndim == 3:
            x = x[:, None]
        elif x.shape[-1] == 3:
            x = x.transpose(0, 3, 1, 2)
        xs.append(x / 255.0)
        lab = getattr(ds, "targets", None)
        lab = getattr(ds, "labels", None) if lab is None else lab
        ys.append(np.asarray(lab, dtype=np.int64))
    X, y = np.concatenate(xs), np.concatenate(ys)
    if spec.name == "letter-aj":
        keep = (y >= 1) & (y <= 10)
        X, y = X[keep], y[keep] - 1
    return X, y


def load_image_set(name: str, root: str | Path | None = None):
    """``(X, y)``: images (n, C, H, W) in [0, 1] and labels, for a name of :data:`IMAGE_SETS`."""
    if name not in IMAGE_SETS:
        raise UnknownNameError(f"unknown image dataset {name!r}; choose one of {', '.join(IMAGE_SETS)}")
    spec = IMAGE_SETS[name]
    if name == "digits":
        return _digits()
    if spec.torchvision is None:
        raise DatasetError(f"{name}: no loader in this project ({spec.note}); give the images as an array to IDCL")
    return _torchvision(spec, None if root is None else str(root))
