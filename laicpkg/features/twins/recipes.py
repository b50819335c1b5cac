"""The twins' specifications built from the catalog's recipes (:mod:`laicpkg.catalog.twins`) and class tables
(:mod:`laicpkg.catalog.classes`).

Explained in: book/implementation.md ("Synthetic twins").
"""
from __future__ import annotations

from ...catalog.classes import CIFAR10, CIFAR20, DTD, IMAGENET_CLASS_FILES, STL10, UCF101
from ...catalog.twins import TWIN_RECIPES
from ..realtext import imagenet1k_wnids
from .spec import DATA_DIR, TwinSpec
from ..images import wnid_names

def _imagenet1k() -> tuple:
    """ImageNet-1K's 1,000 synsets in class order (:func:`~laicpkg.features.realtext.imagenet1k_wnids`)."""
    return _named(imagenet1k_wnids())


def imagenet_classes(file: str) -> tuple:
    """The (name, (wnid,)) table of the ImageNet synsets listed in ``file`` (a shipped list, one wnid per line)."""
    return _named((DATA_DIR / file).read_text().split())


def _named(wnids) -> tuple:

    return tuple((name, (w,)) for name, w in zip(wnid_names(wnids), wnids))


#: The class tables of the twins whose dataset lists its classes in :mod:`laicpkg.catalog.classes`.
_CLASSES = {"cifar10": CIFAR10, "cifar20": CIFAR20, "dtd": DTD, "stl10": STL10, "ucf101": UCF101}


def dataset_classes(dataset: str) -> tuple:
    """The (name, (wnid, ...)) table of ``dataset``'s classes in label order: the catalog's table, an ImageNet
    subset's shipped list, or ImageNet-1K's class order."""
    if dataset in _CLASSES:
        return _CLASSES[dataset]
    if dataset in IMAGENET_CLASS_FILES:
        return imagenet_classes(IMAGENET_CLASS_FILES[dataset])
    if dataset == "imagenet":
        return _imagenet1k()
    raise KeyError(f"no class table for {dataset!r}")


def base_specs() -> dict:
    """Every twin's recipe by name (:data:`laicpkg.catalog.twins.TWIN_RECIPES`): the real dataset's classes, sizes
    and notes, with no model's parameters."""
    return {name: TwinSpec(name, dataset, dataset_classes(dataset), n_train, n_test, **more)
            for name, dataset, n_train, n_test, more in TWIN_RECIPES}
