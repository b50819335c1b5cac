"""Dataset registry: the synthetic presets and the real datasets of the paper (Table 7).

Explained in: README ("Running on real data") and notebooks/05_pipeline.

A real dataset is used through its feature cache (``laic extract`` writes it;
``--features DIR`` reads it); the synthetic presets are generated in memory.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import synthetic
from .cache import image_cache_path, load_cache, text_cache_path
from .container import LaICData
from ..utils.errors import CacheError, UnknownNameError

__all__ = ["DatasetSpec", "DATASETS", "get_dataset_spec", "list_datasets", "load_dataset", "save_dataset_cache"]


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is and how its splits are used (train: filtering; test: clustering)."""

    name: str
    title: str
    n_classes: int
    n_train: int | None
    n_test: int | None
    source: str
    notes: str = ""
    eval_only: bool = False
    train_from: str | None = None  # evaluation-only targets filter nouns on this dataset's train split


DATASETS = {d.name: d for d in [
    DatasetSpec("stl10", "STL-10", 10, 5000, 8000, "torchvision STL10 (train / test)"),
    DatasetSpec("cifar10", "CIFAR-10", 10, 50000, 10000, "torchvision CIFAR10"),
    DatasetSpec("cifar20", "CIFAR-20", 20, 50000, 10000, "torchvision CIFAR100 with the 20 coarse labels"),
    DatasetSpec("imagenet10", "ImageNet-10", 10, 13000, 500, "ImageFolder of ImageNet, 10 synsets"),
    DatasetSpec("imagenet-dogs", "ImageNet-Dogs", 15, 19500, 750, "ImageFolder of ImageNet, 15 dog synsets"),
    DatasetSpec("dtd", "DTD", 47, 3760, 1880, "torchvision DTD, partition 1 (train+val / test)"),
    DatasetSpec("ucf101", "UCF-101", 101, 9537, 3783, "ImageFolder of middle frames, split 1"),
    DatasetSpec("imagenet", "ImageNet-1K", 1000, 1281167, 50000, "ImageFolder of ImageNet (train / val)"),
    # Fine-grained (torchvision downloaders; sizes of the standard splits).
    DatasetSpec("aircraft", "FGVC-Aircraft", 100, 6667, 3333, "torchvision FGVCAircraft (trainval / test)"),
    DatasetSpec("food101", "Food-101", 101, 75750, 25250, "torchvision Food101"),
    DatasetSpec("flowers102", "Flowers-102", 102, 2040, 6149, "torchvision Flowers102 (train+val / test)"),
    DatasetSpec("pets", "Oxford-IIIT Pets", 37, 3680, 3669, "torchvision OxfordIIITPet (trainval / test)"),
    DatasetSpec("cars", "Stanford Cars", 196, 8144, 8041, "torchvision StanfordCars"),
    # Distribution shifts: evaluation-only targets; Stage 1 runs on ImageNet's train split.
    DatasetSpec("imagenet-v2", "ImageNet-V2", 1000, None, 10000, "ImageFolder ROOT/<wnid>", eval_only=True,
                train_from="imagenet"),
    DatasetSpec("imagenet-sketch", "ImageNet-Sketch", 1000, None, 50889, "ImageFolder ROOT/<wnid>",
                eval_only=True, train_from="imagenet"),
    DatasetSpec("imagenet-r", "ImageNet-R", 200, None, 30000, "ImageFolder ROOT/<wnid>", eval_only=True,
                train_from="imagenet"),
    DatasetSpec("imagenet-a", "ImageNet-A", 200, None, 7500, "ImageFolder ROOT/<wnid>", eval_only=True,
                train_from="imagenet"),
    DatasetSpec("imagenet-c", "ImageNet-C", 1000, None, 50000, "ImageFolder ROOT/<wnid> of one corruption "
                "and severity", eval_only=True, train_from="imagenet"),
    DatasetSpec("imagefolder", "your ImageFolder", 0, None, None, "ImageFolder ROOT/train and ROOT/test",
                "class count from the folders; no size check"),
]}
for _name in synthetic.list_presets():
    _s = synthetic.get_preset(_name)
    DATASETS[_name] = DatasetSpec(_name, _name, _s.n_classes, _s.n_train, _s.n_test, "laicpkg.features.synthetic",
                                  _s.notes)


def list_datasets() -> list[str]:
    return list(DATASETS)


def get_dataset_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise UnknownNameError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def load_dataset(name: str, *, features=None, data_seed: int = 0, model: str = "ViT-B-32",
                 pretrained: str = "openai", nouns: str = "wordnet", prompts: str = "ensemble7") -> LaICData:
    """Load a dataset's features: generated for synthetic presets, from the cache otherwise.

    With ``features`` given, a cache is used for any name (also a synthetic one
    that was saved); without it, real datasets raise a :class:`CacheError` that
    says how to make the cache.
    """
    spec = get_dataset_spec(name)
    if features is None:
        if spec.source == "laicpkg.features.synthetic":
            return synthetic.make_synthetic(name, seed=data_seed)
        raise CacheError(f"dataset {name!r} needs image and text features: run `laic extract --dataset {name} "
                         f"--model {model} --out DIR` on a machine with the images, then pass --features DIR")
    ident = {"model": model, "pretrained": pretrained}
    sources = {"train": spec.train_from or name, "test": name}
    parts = {split: load_cache(image_cache_path(features, model, pretrained, src, split),
                               expect={**ident, "dataset": src, "split": split}) for split, src in sources.items()}
    text = load_cache(text_cache_path(features, model, pretrained, nouns, prompts),
                      expect={**ident, "nouns": nouns, "prompts": prompts})
    for split, part in parts.items():
        if part["labels"] is None:
            raise CacheError(f"{name} {split} cache has no labels")
        _check_labels(get_dataset_spec(sources[split]), split, part)
    if text["names"] is None:
        raise CacheError("text cache has no noun names")
    class_names = _class_names(spec, parts["test"])
    # Text caches of synthetic data carry the class of each positive noun (-1: negative) as labels.
    noun_class = text["labels"]
    positive_mask = None if noun_class is None else noun_class >= 0
    return LaICData(name=name, class_names=list(class_names), E_train=parts["train"]["features"],
                    y_train=parts["train"]["labels"], E_test=parts["test"]["features"],
                    y_test=parts["test"]["labels"], R=text["features"], nouns=text["names"],
                    positive_mask=positive_mask, noun_class=noun_class,
                    meta={"cache": {s: p["meta"] for s, p in parts.items()} | {"text": text["meta"]}})


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
    from .cache import save_cache

    ident = {"model": model, "pretrained": pretrained}
    paths = []
    for split, E, y in (("train", data.E_train, data.y_train), ("test", data.E_test, data.y_test)):
        paths.append(save_cache(image_cache_path(root, model, pretrained, data.name, split), E, labels=y,
                                identity={**ident, "dataset": data.name, "split": split},
                                extra={"class_names": list(data.class_names)}))
    paths.append(save_cache(text_cache_path(root, model, pretrained, nouns, prompts), data.R, names=data.nouns,
                            labels=data.noun_class, identity={**ident, "nouns": nouns, "prompts": prompts}))
    return paths
