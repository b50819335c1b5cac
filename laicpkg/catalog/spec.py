"""What a dataset is: :class:`DatasetSpec`, and :class:`Loader`, a loader of its images named with its arguments.

Explained in: book/implementation.md ("One specification per dataset").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["DatasetSpec", "Loader"]


class Loader(NamedTuple):
    """A loader of a dataset's images by name, with its arguments: ``Loader("torchvision_split", ("STL10",
    "train", "test"))``. :func:`laicpkg.features.datasets.image_loader` resolves the name among the builders of
    :mod:`laicpkg.features.images` and :mod:`laicpkg.features.imagesets`."""

    name: str
    args: tuple = ()
    kwargs: dict = {}


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is, how it is obtained, how methods are set on it, and what the papers report.

    Attributes
    ----------
    name, title : str
    n_classes : int — K (0: read from the cache's class folders, ``imagefolder``)
    n_train, n_test : int or None — split sizes (train: filtering; test: clustering); raw-image sets
        have one set of ``n_test`` images
    source : str — where the images or features come from, in words
    kind : {"features", "images"} — CLIP features and nouns (LaIC), or raw pixels (IDCL)
    images : :class:`Loader` (or a callable) — builder of the torch dataset for ``laic extract`` (features
        kind), or loader ``root -> (X, y)`` (images kind)
    synthetic : the recipe of a generated dataset (a synthetic preset's or a twin's)
    train_from : evaluation-only targets filter nouns on this dataset's train split
    image_shape : (C, H, W) of raw images
    settings : ((values, source), ...) — parameter settings stated for this dataset
    presets : {preset name: values} — e.g. the authors' code's per-dataset values
    paper : {row: {"NMI", "ACC", "ARI"}} — GradNorm's Tables 1–2 (IDCL's Table 2 for raw images)
    """

    name: str
    title: str
    n_classes: int
    n_train: int | None
    n_test: int | None
    source: str
    notes: str = ""
    kind: str = "features"
    images: object = None
    synthetic: object = None
    train_from: str | None = None
    image_shape: tuple | None = None
    settings: tuple = ()
    presets: dict = field(default_factory=dict)
    paper: dict = field(default_factory=dict)

    @property
    def eval_only(self) -> bool:
        return self.train_from is not None

    @property
    def twin_of(self) -> str | None:
        """The real dataset a synthetic twin stands for (its K, sizes and paper rows), or None."""
        return getattr(self.synthetic, "dataset", None)
