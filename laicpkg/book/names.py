"""The names a reader sees: every method or dataset key of a table, figure or page title mapped to the name a
reader knows (``tac-star`` → "TAC*", ``twin-cifar10`` → "CIFAR-10").

Explained in: every chapter (tables and figures pass through :func:`reader_label`).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..features.datasets import DATASETS
from ..methods.registry import METHODS, TITLES

__all__ = ["READER_NAMES", "display_name", "dataset_title", "reader_label"]

#: The names a reader knows for the methods (:data:`laicpkg.methods.registry.TITLES`).
READER_NAMES = TITLES


def display_name(key: str) -> str:
    """The name a reader sees for a method or dataset key: the method's title (``tac-star`` → "TAC*",
    :data:`laicpkg.methods.registry.TITLES`), the real dataset's title for a twin or a dataset
    (``twin-cifar10`` → "CIFAR-10"); any other text unchanged. The one mapping every figure, table and page
    title of the book uses."""
    if key in METHODS:
        return METHODS[key].title
    spec = DATASETS.get(key)
    if spec is None:
        return key
    return DATASETS[spec.twin_of].title if spec.twin_of in DATASETS else spec.title


@lru_cache(maxsize=1)
def _key_pattern() -> re.Pattern:
    keys = sorted(set(METHODS) | set(DATASETS), key=len, reverse=True)  # longest first: tac-star before tac
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, keys)) + r")(?![\w-])")


def dataset_title(dataset: str) -> str:
    """The real dataset's name for a twin ("CIFAR-10" for twin-cifar10), else the dataset's own name: the
    page titles' and tables' name of a dataset (:func:`display_name`)."""
    return display_name(dataset)


def reader_label(text):
    """``text`` with every method or dataset key in it (a whole token) replaced by :func:`display_name`;
    anything that is not a string is returned as it is."""
    if not isinstance(text, str):
        return text
    return _key_pattern().sub(lambda m: display_name(m.group(1)), text)
