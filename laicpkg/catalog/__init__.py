"""The catalog: every fact the package knows about a dataset or a paper, as plain data.

Explained in: book/implementation.md ("One specification per dataset") and README ("Running on real data").

Nothing here computes or loads anything; the layers above read it:

* :mod:`~laicpkg.catalog.spec` — :class:`DatasetSpec` (what a dataset is) and :class:`Loader` (a loader named
  with its arguments, resolved by :mod:`laicpkg.features.datasets`);
* :mod:`~laicpkg.catalog.papers` — the papers' table rows (GradNorm Tables 1–2, IDCL Tables 2 and 4);
* :mod:`~laicpkg.catalog.settings` — per-dataset settings with their sources (SIC Table 2, the authors' code);
* :mod:`~laicpkg.catalog.classes` — the datasets' classes as WordNet synsets;
* :mod:`~laicpkg.catalog.twins` — the twins' recipes and the structure some of them need;
* :mod:`~laicpkg.catalog.geometry` — CLIP's measured geometry the twins are fitted to, with sources;
* :mod:`~laicpkg.catalog.datasets` — one :class:`DatasetSpec` per real and raw-image dataset.

The package's rule (tested): the catalog imports nothing of the package but :mod:`laicpkg.utils`, and no
algorithm module (:mod:`laicpkg.core`, :mod:`laicpkg.methods`) names a dataset.
"""
from .spec import DatasetSpec, Loader

__all__ = ["DatasetSpec", "Loader"]
