"""The dataset registry: the catalog's specifications (:mod:`laicpkg.catalog`), the synthetic presets and twins
drawn from their recipes, and how each dataset is loaded.

Explained in: README ("Running on real data"), notebooks/05_pipeline and book/implementation.md
("One specification per dataset").

A :class:`~laicpkg.catalog.spec.DatasetSpec` carries K and the split sizes (GradNorm's Table 7), how the
features or images are obtained (a feature cache written by ``laic extract`` from the images its named
loader reads; a synthetic generator; raw pixels for IDCL), its parameter settings with their sources, the
official code's values for the ``official-code`` preset, and the papers' numbers for it. Adding a real dataset
is adding one entry to :data:`laicpkg.catalog.datasets.REAL_DATASETS`; :data:`DATASETS` holds every dataset.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import images as img
from . import synthetic
from .twins.recipes import base_specs as _twin_recipes
from .twins.draw import make_twin
from .twins.store import get_twin
from .cache import class_text_cache_path, image_cache_path, load_cache, resolve_cache_names, text_cache_path
from .container import ImageData, LaICData
from .imagesets import digits_images, torchvision_images
from ..catalog.datasets import PIXEL_DATASETS, REAL_DATASETS
from ..catalog.settings import SIC_DOGS_WEIGHT_DECAY, SIC_TABLE2
from ..catalog.spec import DatasetSpec, Loader
from ..utils.errors import CacheError, DatasetError, look_up
from ..utils.validation import check_choice
from .cache import save_cache

__all__ = ["DatasetSpec", "DATASETS", "get_dataset_spec", "list_datasets", "load_dataset", "save_dataset_cache",
           "build_image_dataset", "is_image_set", "image_loader"]

#: The loaders a :class:`~laicpkg.catalog.spec.Loader` may name: a builder of :mod:`.images` (torch datasets for
#: ``laic extract``) or of :mod:`.imagesets` (IDCL's raw pixels), called with the loader's arguments.
LOADERS = {"torchvision_split": img.torchvision_split, "image_folder": img.image_folder,
           "imagenet_subset": img.imagenet_subset, "cifar10": lambda: img.cifar10, "cifar20": lambda: img.cifar20,
           "imagenet_folder": lambda: img.imagenet_folder, "digits_images": lambda: digits_images,
           "torchvision_images": torchvision_images}


def image_loader(spec: DatasetSpec):
    """The callable that reads ``spec``'s images: its :class:`~laicpkg.catalog.spec.Loader` resolved among
    :data:`LOADERS`, or ``spec.images`` itself where a specification gives a callable; None where it has none."""
    if spec.images is None or callable(spec.images):
        return spec.images
    loader = Loader(*spec.images)
    if loader.name not in LOADERS:
        raise DatasetError(f"{spec.name}: unknown image loader {loader.name!r}; choose one of {', '.join(LOADERS)}")
    return LOADERS[loader.name](*loader.args, **loader.kwargs)


def _sic(dataset: str) -> tuple:
    return (SIC_TABLE2[dataset], f"SIC Table 2 ({REAL_DATASETS[dataset].title})")


DATASETS = {d.name: d for d in [
    *REAL_DATASETS.values(),
    # Synthetic stand-ins, generated in memory; they take SIC's settings of the dataset they mimic.
    *[DatasetSpec(s.name, f"small {REAL_DATASETS[twin].title}-like preset", s.n_classes, s.n_train, s.n_test,
                  "laicpkg.features.synthetic", s.notes, synthetic=s, settings=settings) for s, twin, settings in [
        (synthetic.SYNTHETIC_SPECS["synthetic-cifar10"], "cifar10", (_sic("cifar10"),)),
        (synthetic.SYNTHETIC_SPECS["synthetic-cifar20"], "cifar20", (_sic("cifar20"),)),
        (synthetic.SYNTHETIC_SPECS["synthetic-dogs"], "imagenet-dogs", (_sic("imagenet-dogs"), SIC_DOGS_WEIGHT_DECAY)),
    ]],
    # Synthetic twins of the paper's datasets (WordNet-grounded, calibrated to CLIP's baseline rows): the real
    # dataset's K, classes, sizes, settings and paper numbers.
    *[DatasetSpec(t.name, f"{t.name} (twin of {t.dataset})", t.n_classes, t.n_train, t.n_test,
                  "laicpkg.features.twins", t.notes, synthetic=t,
                  settings=tuple((v, f"{src} ({t.dataset}, twinned)") for v, src in REAL_DATASETS[t.dataset].settings),
                  presets=REAL_DATASETS[t.dataset].presets, paper=REAL_DATASETS[t.dataset].paper)
      for t in _twin_recipes().values()],
    *PIXEL_DATASETS.values(),
]}


def is_image_set(name: str) -> bool:
    """Whether ``name`` is a raw-image dataset (IDCL), not CLIP features."""
    return name in DATASETS and DATASETS[name].kind == "images"


def list_datasets() -> list[str]:
    return list(DATASETS)


def get_dataset_spec(name: str) -> DatasetSpec:
    return look_up(DATASETS, name, "dataset")


def load_dataset(name: str, *, features=None, data_seed: int = 0, model: str | None = None,
                 pretrained: str | None = None, nouns: str | None = None, prompts: str | None = None):
    """Load a dataset: generated (synthetic), from the feature cache (real), or raw images (IDCL).

    With ``features`` given, a cache is used for any features dataset (also a synthetic
    one that was saved); without it, real datasets raise a :class:`CacheError` that says
    how to make the cache. ``model``, ``pretrained``, ``nouns`` and ``prompts`` are what ``laic extract`` was
    given (a checkpoint file, a noun file or their cache names), or None for the only cache the folder holds
    (:func:`~laicpkg.features.cache.resolve_cache_names`). The class names' text features (zero-shot CLIP) are
    read when the folder has them. For raw-image datasets ``features`` is the folder of the
    torchvision files. Returns :class:`LaICData` or :class:`ImageData`.
    """
    spec = get_dataset_spec(name)
    if spec.kind == "images":
        return _load_images(spec, features)
    if features is None:
        if spec.twin_of:  # a twin: the calibration of this process's model, read now
            return make_twin(get_twin(name), seed=data_seed)
        if spec.synthetic is not None:
            return spec.synthetic.generate(seed=data_seed)
        raise CacheError(f"dataset {name!r} needs image and text features: run `laic extract --dataset {name} "
                         f"--root IMAGES --out DIR --pretrained …` on a machine with the images, then pass "
                         "--features DIR")
    names = resolve_cache_names(features, name, train_from=spec.train_from, model=model, pretrained=pretrained,
                                nouns=nouns, prompts=prompts)
    model, pretrained = names["model"], names["pretrained"]
    ident = {"model": model, "pretrained": pretrained}
    sources = {"train": spec.train_from or name, "test": name}
    parts = {split: load_cache(image_cache_path(features, model, pretrained, src, split),
                               expect={**ident, "dataset": src, "split": split}) for split, src in sources.items()}
    text = load_cache(text_cache_path(features, model, pretrained, names["nouns"], names["prompts"]),
                      expect={**ident, "nouns": names["nouns"], "prompts": names["prompts"]})
    for split, part in parts.items():
        if part["labels"] is None:
            raise CacheError(f"{name} {split} cache has no labels")
        _check_labels(get_dataset_spec(sources[split]), split, part)
    if text["names"] is None:
        raise CacheError("text cache has no noun names")
    class_names = _class_names(spec, parts["test"])
    class_path = class_text_cache_path(features, model, pretrained, name, names["prompts"])
    class_text = None
    if class_path.is_file():
        classes = load_cache(class_path, expect={**ident, "dataset": name, "prompts": names["prompts"]})
        if classes["names"] != list(class_names):
            raise CacheError(f"{class_path} encodes the classes {classes['names'][:3]}…, but the image cache names "
                             f"{list(class_names)[:3]}…; extract the dataset again")
        class_text = classes["features"]
    # Text caches of synthetic data carry the class of each positive noun (-1: negative) as labels.
    noun_class = text["labels"]
    positive_mask = None if noun_class is None else noun_class >= 0
    caches = {s: p["meta"] for s, p in parts.items()} | {"text": text["meta"]}
    return LaICData(name=name, class_names=list(class_names), E_train=parts["train"]["features"],
                    y_train=parts["train"]["labels"], E_test=parts["test"]["features"],
                    y_test=parts["test"]["labels"], R=text["features"], nouns=text["names"],
                    positive_mask=positive_mask, noun_class=noun_class, class_text=class_text,
                    meta={"cache": caches, "feature_names": names})


def _load_images(spec: DatasetSpec, root) -> ImageData:
    if spec.images is None:
        raise DatasetError(f"{spec.name}: no loader in this project ({spec.source}); give the images as an array "
                           "to IDCL")
    X, y = image_loader(spec)(None if root is None else str(root))
    return ImageData(spec.name, X, y)


def build_image_dataset(name: str, root, split: str, transform=None, *, check_size: bool = True):
    """The image dataset ``name`` under ``root`` for ``split`` ("train" or "test"), for ``laic extract``."""
    spec = get_dataset_spec(name)
    check_choice(split, "split", ("train", "test"))
    if spec.kind != "features" or spec.images is None:
        raise DatasetError(f"{name} has no images to extract (it is {spec.source})")
    if spec.eval_only and split == "train":
        raise DatasetError(f"{name} is evaluation-only: extract its test split; Stage 1 uses "
                           f"{spec.train_from}'s train split")
    ds = image_loader(spec)(Path(root), split, transform, spec)
    if check_size and name != "imagefolder":
        img.check_size(ds, spec, split, root)
    if len(ds) == 0:
        raise DatasetError(f"{name} {split}: no images found under {root}")
    ds.targets = np.asarray(ds.targets, dtype=np.int64)
    return ds


def _n_classes(spec: DatasetSpec, part: dict) -> int:
    """K comes from the registry; only the free-form ``imagefolder`` takes it from its class folders."""
    if spec.n_classes:
        return spec.n_classes
    names = part["meta"].get("class_names")
    if not isinstance(names, list) or not names:
        raise CacheError(f"{spec.name}: the cache lists no class names, so K is unknown")
    return len(names)


def _check_labels(spec: DatasetSpec, split: str, part: dict) -> None:
    """Refuse a cache whose labels or class names disagree with the dataset's K."""
    K = _n_classes(spec, part)
    y = part["labels"]
    if y.size and (y.min() < 0 or y.max() >= K):
        raise CacheError(f"{spec.name} {split} cache has labels in [{y.min()}, {y.max()}], but {spec.title} has "
                         f"K = {K} classes (0..{K - 1})")
    names = part["meta"].get("class_names")
    if names is not None and (not isinstance(names, list) or len(names) != K):
        n = len(names) if isinstance(names, list) else type(names).__name__
        raise CacheError(f"{spec.name} {split} cache names {n} classes, but {spec.title} has K = {K}; the cache "
                         "was made for another dataset")


def _class_names(spec: DatasetSpec, part: dict) -> list:
    names = part["meta"].get("class_names")
    return [str(n) for n in names] if names else [str(i) for i in range(_n_classes(spec, part))]


def save_dataset_cache(data: LaICData, root, *, model: str = "ViT-B-32", pretrained: str = "openai",
                       nouns: str = "wordnet", prompts: str = "ensemble7") -> list:
    """Write ``data`` as a feature cache readable by :func:`load_dataset` (and ``laic run --features``)."""
    ident = {"model": model, "pretrained": pretrained}
    paths = []
    for split, E, y in (("train", data.E_train, data.y_train), ("test", data.E_test, data.y_test)):
        paths.append(save_cache(image_cache_path(root, model, pretrained, data.name, split), E, labels=y,
                                identity={**ident, "dataset": data.name, "split": split},
                                extra={"class_names": list(data.class_names)}))
    paths.append(save_cache(text_cache_path(root, model, pretrained, nouns, prompts), data.R, names=data.nouns,
                            labels=data.noun_class, identity={**ident, "nouns": nouns, "prompts": prompts}))
    if data.class_text is not None:
        paths.append(save_cache(class_text_cache_path(root, model, pretrained, data.name, prompts), data.class_text,
                                names=list(data.class_names),
                                identity={**ident, "dataset": data.name, "prompts": prompts}))
    return paths
