"""What the ``laic`` parser and ``laic list`` show, kept as a small JSON file so they answer without torch.

Explained in: README ("Quick start").

The hyper-parameters are the estimators' constructor arguments (:data:`laicpkg.run.config.PARAMS`), and reading
them imports every estimator, hence torch (1–2 s before the first line of ``--help``). :func:`build_catalog`
collects, from the live modules, everything the parser and ``laic list`` need: each parameter's name, type,
default, help and source; the datasets and methods with their one-line descriptions; the defaults of the grid
commands. ``cli_catalog.json`` beside this module is that catalog, written by ``python -m laicpkg.cli_catalog``;
a test holds it equal to :func:`build_catalog`, so the file never says anything the package does not.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

# build_catalog imports the estimators (torch) where it runs: reading the catalog must not.
__all__ = ["CATALOG_FILE", "build_catalog", "load_catalog", "write_catalog"]

CATALOG_FILE = Path(__file__).with_name("cli_catalog.json")
_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def _plain(value):
    """A default as JSON keeps it (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


def build_catalog() -> dict:
    """The catalog from the live modules (imports the estimators and the dataset specifications)."""
    from .features.datasets import DATASETS
    from .features.twins import ACC_KNOBS, DEFAULT_TWINS, MODELS
    from .methods.registry import METHODS
    from .run.config import PARAMETER_PRESETS, PARAMS
    from .methods.idcl import IDCL_VARIANTS, variant_config, variant_title
    from .run.experiments import (COMPARISON_DATASETS, COMPARISON_METHODS, COMPARISON_SEEDS, IDCL_PRETRAIN_CACHE,
                                  IDCL_RECORDS_DIR)

    return {
        "params": [{"name": p.name, "type": p.type.__name__, "default": _plain(p.default), "help": p.help,
                    "source": p.source} for p in PARAMS.values()],
        "methods": [{"name": m.name, "description": m.description, "images": bool(m.estimator.accepts_images)}
                    for m in METHODS.values()],
        "datasets": [{"name": d.name, "kind": d.kind, "n_classes": d.n_classes, "n_train": d.n_train,
                      "n_test": d.n_test, "source": d.source,
                      "image_shape": list(d.image_shape) if d.image_shape else None,
                      "data_root": d.kind == "images" and d.images is not None and d.name != "digits"}
                     for d in DATASETS.values()],
        "default_twins": list(DEFAULT_TWINS), "comparison_datasets": list(COMPARISON_DATASETS),
        "comparison_seeds": COMPARISON_SEEDS, "comparison_methods": list(COMPARISON_METHODS), "twin_models": list(MODELS), "acc_knobs": list(ACC_KNOBS),
        "presets": list(PARAMETER_PRESETS),
        "idcl_variants": [{"name": name, "title": variant_title(variant_config(name, full=True)),
                           "paper_row": row} for name, (_, row) in IDCL_VARIANTS.items()],
        "idcl_records_dir": IDCL_RECORDS_DIR, "idcl_pretrain_cache": IDCL_PRETRAIN_CACHE,
    }


@lru_cache(maxsize=1)
def load_catalog() -> dict:
    """The committed catalog, with each parameter's type as a Python type."""
    catalog = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    for p in catalog["params"]:
        p["type"] = _TYPES[p["type"]]
    return catalog


def write_catalog(path=CATALOG_FILE) -> Path:
    """Write :func:`build_catalog` to ``path`` (after a change of a parameter, method or dataset)."""
    from .utils.atomic import atomic_open

    with atomic_open(path, "w") as fh:
        json.dump(build_catalog(), fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return Path(path)


if __name__ == "__main__":
    print(f"wrote {write_catalog()}")
