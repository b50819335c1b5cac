"""Raw-image datasets of IDCL's Table 1 (pixels, not CLIP features).

Explained in: notebooks/09_idcl.

``digits`` ships with scikit-learn (1,797 8×8 images, the UCI optdigits test set
the IDCL paper calls DIGITS) and is always available. The others are read with
torchvision from a local folder (``root``; nothing is downloaded) and raise a
one-line :class:`~laicpkg.utils.errors.DatasetError` naming what is missing when the
files are absent. Pixels are scaled to [0, 1]; train and test splits are joined,
as clustering papers in IDCL's table use the whole dataset (Table 1 sizes).
"""
from __future__ import annotations


import numpy as np

from ..utils.errors import DatasetError

__all__ = ["digits_images", "torchvision_images"]


def digits_images(root=None):
    """scikit-learn's DIGITS (UCI optdigits test set): 1,797 8×8 images in [0, 1]; ``root`` is ignored."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32)[:, None], d.target.astype(np.int64)


def torchvision_images(cls_name: str, subset: str | None = None):
    """A loader ``root -> (X, y)`` of a torchvision dataset's train and test splits joined (no download).

    ``subset="letters-aj"`` keeps EMNIST's letters A–J (IDCL's LETTER-AJ)."""
    def load(root):
        return _torchvision(cls_name, subset, root)
    return load


def _torchvision(cls_name: str, subset, root):
    import torchvision.datasets as tvd

    if root is None:
        raise DatasetError(f"{cls_name} needs its files: pass --data-root DIR holding the torchvision "
                           f"{cls_name} files (fetch them once elsewhere with download=True)")
    root = str(root)
    cls = getattr(tvd, cls_name)
    parts = []
    try:
        if cls_name in ("MNIST", "FashionMNIST", "USPS", "CIFAR10"):
            parts = [cls(root, train=t, download=False) for t in (True, False)]
        elif cls_name == "EMNIST":
            parts = [cls(root, split="letters", train=t, download=False) for t in (True, False)]
        elif cls_name == "STL10":
            parts = [cls(root, split=s, download=False) for s in ("train", "test")]
        else:
            parts = [cls(root, split=s, download=False) for s in ("train", "test")]
    except (RuntimeError, FileNotFoundError, OSError) as exc:
        raise DatasetError(f"torchvision {cls_name} files not found under {root} "
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
    if subset == "letters-aj":
        keep = (y >= 1) & (y <= 10)
        X, y = X[keep], y[keep] - 1
    return X, y
