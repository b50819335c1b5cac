"""The twins' specifications built from the catalog's recipes (:mod:`laicpkg.catalog.twins`) and class tables
(:mod:`laicpkg.catalog.classes`).

Explained in: book/implementation.md ("Synthetic twins").
"""
from __future__ import annotations

from ...catalog.classes import CLASS_TABLES, IMAGENET_CLASS_FILES
from ...catalog.twins import TWIN_RECIPES
from ..images import wnid_names
from ..realtext import imagenet1k_wnids
from .spec import DATA_DIR, TwinSpec


def _imagenet1k() -> tuple:
    """ImageNet-1K's 1,000 synsets in class order (:func:`~laicpkg.features.realtext.imagenet1k_wnids`)."""
    return _named(imagenet1k_wnids())


def imagenet_classes(file: str) -> tuple:
    """The (name, (wnid,)) table of the ImageNet synsets listed in ``file`` (a shipped list, one wnid per line)."""
    return _named((DATA_DIR / file).read_text().split())


def _named(wnids) -> tuple:
    return tuple((name, (w,)) for name, w in zip(wnid_names(wnids), wnids))


def dataset_classes(dataset: str) -> tuple:
    """The (name, (wnid, ...)) table of ``dataset``'s classes in label order: the catalog's table, an ImageNet
    subset's shipped list, or ImageNet-1K's class order."""
    if dataset in CLASS_TABLES:
        return CLASS_TABLES[dataset]
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
