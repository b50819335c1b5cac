"""Read features saved by the TAC reference scripts into our cache (``laic import-tac``).

Explained in: README ("Running on real data").

The TAC scripts save, in one folder, ``<Dataset>_image_embedding_train.npy``,
``<Dataset>_image_embedding_test.npy``, ``<Dataset>_labels_train.txt``,
``<Dataset>_labels_test.txt`` and ``nouns_embedding_ensemble.npy``; the noun
strings are the ``word`` column of the noun CSV the scripts read (146,347
WordNet word–sense rows; pass it with ``noun_list``, or we use the identical
shipped ``wordnet-senses`` list when the row count matches).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .cache import image_cache_path, save_cache, text_cache_path
from ..utils.errors import CacheError
from .extract import read_noun_file
from .nouns import load_nouns
from .datasets import get_dataset_spec
from ..utils.validation import as_features, check_same_dim

__all__ = ["import_tac"]


def _find_prefix(folder: Path, prefix: str | None) -> str:
    if prefix:
        return prefix
    found = sorted(p.name[: -len("_image_embedding_train.npy")] for p in folder.glob("*_image_embedding_train.npy"))
    if len(found) != 1:
        raise CacheError(f"{folder}: expected one <Dataset>_image_embedding_train.npy, found "
                         f"{len(found)} ({', '.join(found) or 'none'}); pass --prefix")
    return found[0]


def _load_npy(path: Path) -> np.ndarray:
    if not path.is_file():
        raise CacheError(f"TAC feature file {path} not found")
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise CacheError(f"cannot read {path}: {exc}") from None
    if x.ndim != 2:
        raise CacheError(f"{path}: expected a 2-D array, got shape {x.shape}")
    return x


def _load_labels(path: Path, n: int, K: int, title: str) -> np.ndarray:
    """Integer labels in ``[0, K)``, one per image feature; one clear error otherwise."""
    if not path.is_file():
        raise CacheError(f"TAC label file {path} not found")
    try:
        tokens = path.read_text(encoding="utf-8").split()  # whitespace-separated integers, as TAC's np.savetxt
    except (OSError, UnicodeDecodeError) as exc:
        raise CacheError(f"{path}: cannot read labels ({type(exc).__name__})") from None
    if not tokens:
        raise CacheError(f"{path}: the label file is empty ({n} image features need {n} labels)")
    try:
        y = np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError:
        bad = next(t for t in tokens if not t.lstrip("-").isdigit())
        raise CacheError(f"{path}: labels must be integers; found {bad!r}") from None
    if y.shape[0] != n:
        raise CacheError(f"{path}: {y.shape[0]} labels for {n} image features")
    if y.size and (y.min() < 0 or y.max() >= K):
        raise CacheError(f"{path}: labels must lie in 0..{K - 1} ({title} has K = {K}); found {y.min()}..{y.max()}")
    return y


def import_tac(folder, dataset: str, out, *, model: str = "ViT-B-32", pretrained: str = "openai",
               prefix: str | None = None, noun_list=None, nouns_name: str = "tac-wordnet",
               class_names=None) -> list[Path]:
    """Convert a folder of TAC feature files into our cache; returns the written paths.

    Everything is read and checked first (dataset name, label range against the registry's K,
    feature dimensions, noun list); nothing is written unless all of it is valid, and a failure
    while writing removes what this call wrote. Features are L2-normalised on the way in (the TAC
    scripts save them normalised; this makes the import safe either way).
    """
    spec = get_dataset_spec(dataset)
    if spec.kind != "features" or not spec.n_classes:
        raise CacheError(f"{dataset} is not a CLIP-feature dataset with a fixed class count "
                         f"({'raw images, for IDCL' if spec.kind == 'images' else 'no K'}): import TAC features under "
                         "the dataset they were extracted from (see laic list)")
    if spec.synthetic is not None:
        raise CacheError(f"{dataset} is generated, never read from a cache; import TAC features under the real "
                         "dataset they were extracted from (e.g. cifar10)")
    folder = Path(folder)
    prefix = _find_prefix(folder, prefix)
    K = spec.n_classes
    images = {}
    for split in ("train", "test"):
        E = _load_npy(folder / f"{prefix}_image_embedding_{split}.npy")
        if not K:
            raise CacheError(f"{dataset} has no fixed class count; import TAC features under a named dataset")
        y = _load_labels(folder / f"{prefix}_labels_{split}.txt", E.shape[0], K, spec.title)
        images[split] = (as_features(E, f"TAC {split} image features"), y)
    R = _load_npy(folder / "nouns_embedding_ensemble.npy")
    if noun_list is not None:
        words = read_noun_file(noun_list)
    else:
        words = load_nouns("wordnet-senses")
        if len(words) != R.shape[0]:
            raise CacheError(f"nouns_embedding_ensemble.npy has {R.shape[0]} rows, not the {len(words)} of "
                             "TAC's WordNet CSV; pass the noun list with --noun-list")
    if len(words) != R.shape[0]:
        raise CacheError(f"{noun_list}: {len(words)} nouns for {R.shape[0]} noun features")
    R = as_features(R, "TAC noun features")
    check_same_dim(images["train"][0], R, "TAC image features", "TAC noun features")
    check_same_dim(images["train"][0], images["test"][0], "TAC train image features", "TAC test image features")
    names = list(class_names) if class_names else [str(i) for i in range(K)]
    ident = {"model": model, "pretrained": pretrained}
    written = []
    try:
        for split, (E, y) in images.items():
            written.append(save_cache(image_cache_path(out, model, pretrained, dataset, split), E, labels=y,
                                      identity={**ident, "dataset": dataset, "split": split},
                                      extra={"class_names": names, "imported_from": str(folder)}))
        written.append(save_cache(text_cache_path(out, model, pretrained, nouns_name, "ensemble7"), R,
                                  names=words, identity={**ident, "nouns": nouns_name, "prompts": "ensemble7"},
                                  extra={"imported_from": str(folder)}))
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return written
