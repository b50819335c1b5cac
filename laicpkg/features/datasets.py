"""Dataset specifications: one entry per dataset, everything the package knows about it.

Explained in: README ("Running on real data"), notebooks/05_pipeline and book/implementation.md
("One specification per dataset").

A :class:`DatasetSpec` carries K and the split sizes (GradNorm's Table 7), how the
features or images are obtained (a feature cache written by ``laic extract`` from
the images its ``images`` builder reads; a synthetic generator; raw pixels for IDCL),
its parameter settings with their sources, the official code's values for the
``official-code`` preset, and the papers' numbers for it. Adding a dataset is adding
one entry to :data:`DATASETS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import images as img
from . import synthetic
from .twins.recipes import base_specs as _twin_recipes
from .cache import class_text_cache_path, image_cache_path, load_cache, resolve_cache_names, text_cache_path
from .container import ImageData, LaICData
from .imagesets import digits_images, torchvision_images
from ..utils.errors import CacheError, DatasetError, UnknownNameError, did_you_mean

__all__ = ["DatasetSpec", "DATASETS", "get_dataset_spec", "list_datasets", "load_dataset", "save_dataset_cache",
           "build_image_dataset", "is_image_set"]


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
    images : builder of the torch dataset for ``laic extract`` (features kind), or loader
        ``root -> (X, y)`` (images kind)
    synthetic : :class:`~laicpkg.features.synthetic.SyntheticSpec` of a generated dataset
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
    images: Callable | None = None
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


def _paper(*rows, names=("CLIP (zero-shot)", "CLIP (k-means)", "SIC (AAAI23)", "TAC (ICML24)", "GradNorm (ICCV25)")):
    """GradNorm's Tables 1–2 rows as {row: {"NMI", "ACC", "ARI"}} from (NMI, ACC, ARI) triples."""
    return {n: dict(zip(("NMI", "ACC", "ARI"), r)) for n, r in zip(names, rows)}


_TAC_LARGE = ({"tacstar_epochs": 100, "tacstar_batch_size": 8192, "tacstar_temperature": 5.0}, "TAC reference code")
_ERM_LARGE = ({"erm_epochs": 100, "erm_batch_size": 8192}, "GradNorm Sec. 5.1.2")
_SIC_ALL = {"sic_gamma_u": 0.05, "sic_lambda": 5.0}  # SIC Table 2: the same for every dataset it covers
_SIC = {
    "stl10": {**_SIC_ALL, "sic_gamma_r": 200, "sic_xi_a": 20, "sic_neighbors": 20, "sic_beta": 1.0, "sic_lr": 1e-4},
    "cifar10": {**_SIC_ALL, "sic_gamma_r": 500, "sic_xi_a": 30, "sic_neighbors": 20, "sic_beta": 0.1, "sic_lr": 1e-4},
    "cifar20": {**_SIC_ALL, "sic_gamma_r": 200, "sic_xi_a": 20, "sic_neighbors": 20, "sic_beta": 1.0, "sic_lr": 1e-4},
    "imagenet-dogs": {**_SIC_ALL, "sic_gamma_r": 1000, "sic_xi_a": 50, "sic_neighbors": 20, "sic_beta": 1.0,
                      "sic_lr": 9e-3},
}
_SIC_DOGS_WD = ({"sic_weight_decay": 0.009}, "SIC reference code (configs/clustering/imagenet_dog.yml)")


def _official(C=None, temperature=None, kappa=None, **more):
    """GradNorm's code (filter_nouns.py, concat_kmeans.py): C, the filter temperature 1/τ and κ per dataset."""
    values = {"n_pseudo_classes": C, "tau": None if temperature is None else 1 / temperature, "kappa": kappa, **more}
    return {"official-code": {k: v for k, v in values.items() if v is not None}}


def _shift(name, title, K, n_test, kappa, notes=""):
    return DatasetSpec(name, title, K, None, n_test, "ImageFolder ROOT/<wnid>" + notes, train_from="imagenet",
                       images=img.image_folder({"train": None, "test": None}, wnid_names_=True),
                       presets=_official(kappa=kappa))


def _pixels(name, n, shape, K, loader, notes=""):
    return DatasetSpec(name, name.upper(), K, None, n, notes, kind="images", images=loader, image_shape=shape)


_IDCL_DIGITS = {  # IDCL paper on DIGITS, Table 2 (IDCL, DEC, IDEC) and Table 4 (ablations): (ACC, NMI)
    "IDCL": (95.3, 91.4), "no curriculum (Model-4)": (93.7, 89.4), "fixed pace (Model-5)": (93.2, 90.1),
    "no density core (Model-2)": (89.9, 83.5), "no Transformer (Model-3)": (92.6, 88.7),
    "none of the three (Model-1)": (77.5, 72.4), "DEC (baseline)": (72.3, 69.7), "IDEC (baseline)": (76.4, 71.6),
}

_REAL = {d.name: d for d in [
    DatasetSpec("stl10", "STL-10", 10, 5000, 8000, "torchvision STL10 (train / test)",
                images=img.torchvision_split("STL10", "train", "test"), settings=((_SIC["stl10"], "SIC Table 2"),),
                presets=_official(30, 0.08, 0.01),
                paper=_paper((93.9, 97.1, 93.7), (91.7, 94.3, 89.1), (95.3, 98.1, 95.9), (92.3, 94.5, 89.5),
                             (95.6, 98.3, 96.2))),
    DatasetSpec("cifar10", "CIFAR-10", 10, 50000, 10000, "torchvision CIFAR10", images=img.cifar10,
                settings=((_SIC["cifar10"], "SIC Table 2"),), presets=_official(250, 0.06, 0.009),
                paper=_paper((80.7, 90.0, 79.3), (70.3, 74.2, 61.6), (84.7, 92.6, 84.4), (80.8, 90.1, 79.8),
                             (82.6, 91.1, 81.5))),
    DatasetSpec("cifar20", "CIFAR-20", 20, 50000, 10000, "torchvision CIFAR100 with the 20 coarse labels",
                images=img.cifar20, settings=((_SIC["cifar20"], "SIC Table 2"),), presets=_official(200, 0.08, 0.008),
                paper=_paper((55.3, 58.3, 39.8), (49.9, 45.5, 28.3), (59.3, 58.3, 43.9), (60.7, 55.8, 42.7),
                             (61.3, 60.6, 43.6))),
    DatasetSpec("imagenet10", "ImageNet-10", 10, 13000, 500, "ImageFolder of ImageNet, 10 synsets",
                images=img.imagenet_subset("imagenet10_wnids.txt"), presets=_official(50, 0.018, 0.006),
                paper=_paper((95.8, 97.6, 94.9), (96.9, 98.2, 96.1), (97.0, 98.2, 96.1), (97.5, 98.6, 97.0),
                             (98.7, 99.4, 98.7))),
    DatasetSpec("imagenet-dogs", "ImageNet-Dogs", 15, 19500, 750, "ImageFolder of ImageNet, 15 dog synsets",
                images=img.imagenet_subset("imagenet_dogs_wnids.txt"),
                settings=((_SIC["imagenet-dogs"], "SIC Table 2"), _SIC_DOGS_WD),
                presets=_official(50, 0.02, 0.007, sic_lr=1e-4),
                paper=_paper((73.5, 72.8, 58.2), (39.8, 38.1, 20.1), (69.0, 69.7, 55.8), (75.1, 75.1, 63.6),
                             (81.0, 81.2, 70.9))),
    DatasetSpec("dtd", "DTD", 47, 3760, 1880, "torchvision DTD, partition 1 (train+val / test)",
                images=img.torchvision_split("DTD", None, "test", concat=["train", "val"]),
                presets=_official(180, 0.08, 0.01),
                paper=_paper((56.5, 43.1, 26.9), (57.3, 42.6, 27.4), (59.6, 45.9, 30.5), (60.1, 45.9, 29.0),
                             (63.1, 50.9, 34.2))),
    DatasetSpec("ucf101", "UCF-101", 101, 9537, 3783, "ImageFolder of middle frames, split 1",
                images=img.image_folder({"train": "train", "test": "test"}), settings=(_ERM_LARGE, _TAC_LARGE),
                presets=_official(303, 0.02, 0.01),
                paper=_paper((79.9, 63.4, 50.2), (79.5, 58.2, 47.6), (81.0, 61.9, 53.6), (81.6, 61.3, 52.4),
                             (82.5, 62.7, 53.2))),
    DatasetSpec("imagenet", "ImageNet-1K", 1000, 1281167, 50000, "ImageFolder of ImageNet (train / val)",
                images=img.imagenet_folder, settings=(_ERM_LARGE, _TAC_LARGE),
                presets=_official(2000, 0.02, 0.006, beta=3),
                paper=_paper((81.0, 63.6, 45.4), (72.3, 38.9, 27.1), (77.2, 47.0, 34.3), (77.8, 48.9, 36.4),
                             (79.2, 52.6, 39.1))),
    # Fine-grained (torchvision downloaders; sizes of the standard splits).
    DatasetSpec("aircraft", "FGVC-Aircraft", 100, 6667, 3333, "torchvision FGVCAircraft (trainval / test)",
                images=img.torchvision_split("FGVCAircraft", "trainval", "test"), presets=_official(300, 0.02, 0.008)),
    DatasetSpec("food101", "Food-101", 101, 75750, 25250, "torchvision Food101",
                images=img.torchvision_split("Food101", "train", "test"), presets=_official(1200, 0.01, 0.01)),
    DatasetSpec("flowers102", "Flowers-102", 102, 2040, 6149, "torchvision Flowers102 (train+val / test)",
                images=img.torchvision_split("Flowers102", None, "test", concat=["train", "val"]),
                presets=_official(300, 0.01, 0.009)),
    DatasetSpec("pets", "Oxford-IIIT Pets", 37, 3680, 3669, "torchvision OxfordIIITPet (trainval / test)",
                images=img.torchvision_split("OxfordIIITPet", "trainval", "test"), presets=_official(120, 0.01, 0.01)),
    DatasetSpec("cars", "Stanford Cars", 196, 8144, 8041, "torchvision StanfordCars",
                images=img.torchvision_split("StanfordCars", "train", "test"), presets=_official(None, 0.01, 0.01)),
    # Distribution shifts: evaluation-only targets; Stage 1 runs on ImageNet's train split.
    _shift("imagenet-v2", "ImageNet-V2", 1000, 10000, 0.004),
    _shift("imagenet-sketch", "ImageNet-Sketch", 1000, 50889, 0.006),
    _shift("imagenet-r", "ImageNet-R", 200, 30000, 0.005),
    _shift("imagenet-a", "ImageNet-A", 200, 7500, 0.007),
    _shift("imagenet-c", "ImageNet-C", 1000, 50000, 0.007, " of one corruption and severity"),
    DatasetSpec("imagefolder", "your ImageFolder", 0, None, None, "ImageFolder ROOT/train and ROOT/test",
                "class count from the folders; no size check",
                images=img.image_folder({"train": "train", "test": "test"})),
    DatasetSpec("photos", "your unlabelled images", 0, None, None, "laic cluster IMAGES: every image under a folder",
                "no labels, no split: Stage 1 runs on the same images; K from --n-clusters"),
]}

DATASETS = {d.name: d for d in [
    *_REAL.values(),
    # Synthetic stand-ins, generated in memory; they take SIC's settings of the dataset they mimic.
    *[DatasetSpec(s.name, f"small {_REAL[twin].title}-like preset", s.n_classes, s.n_train, s.n_test, "laicpkg.features.synthetic", s.notes,
                  synthetic=s, settings=settings) for s, twin, settings in [
        (synthetic.SYNTHETIC_SPECS["synthetic-cifar10"], "cifar10", ((_SIC["cifar10"], "SIC Table 2 (CIFAR-10)"),)),
        (synthetic.SYNTHETIC_SPECS["synthetic-cifar20"], "cifar20", ((_SIC["cifar20"], "SIC Table 2 (CIFAR-20)"),)),
        (synthetic.SYNTHETIC_SPECS["synthetic-dogs"], "imagenet-dogs",
         ((_SIC["imagenet-dogs"], "SIC Table 2 (ImageNet-Dogs)"), _SIC_DOGS_WD)),
    ]],
    # Synthetic twins of the paper's datasets (WordNet-grounded, calibrated to CLIP's baseline rows): the real
    # dataset's K, classes, sizes, settings and paper numbers.
    *[DatasetSpec(t.name, f"{t.name} (twin of {t.dataset})", t.n_classes, t.n_train, t.n_test,
                  "laicpkg.features.twins", t.notes, synthetic=t,
                  settings=tuple((v, f"{src} ({t.dataset}, twinned)") for v, src in _REAL[t.dataset].settings),
                  presets=_REAL[t.dataset].presets, paper=_REAL[t.dataset].paper)
      for t in _twin_recipes().values()],
    # Raw-image datasets of IDCL's Table 1 (pixels, train and test joined; nothing is downloaded).
    DatasetSpec("digits", "DIGITS", 10, None, 1797, "scikit-learn load_digits (UCI optdigits)", kind="images",
                images=digits_images, image_shape=(1, 8, 8),
                paper={row: {"ACC": acc, "NMI": nmi} for row, (acc, nmi) in _IDCL_DIGITS.items()}),
    _pixels("mnist", 70000, (1, 28, 28), 10, torchvision_images("MNIST"), "torchvision MNIST"),
    _pixels("fashion-mnist", 70000, (1, 28, 28), 10, torchvision_images("FashionMNIST"), "torchvision FashionMNIST"),
    _pixels("usps", 9298, (1, 16, 16), 10, torchvision_images("USPS"), "torchvision USPS"),
    _pixels("letter-aj", 56000, (1, 28, 28), 10, torchvision_images("EMNIST", "letters-aj"),
            "torchvision EMNIST letters A–J"),
    _pixels("gtsrb", 8790, (3, 32, 32), 5, torchvision_images("GTSRB"),
            "torchvision GTSRB; 5 classes as in IDCL Table 1 (subset not specified)"),
    _pixels("cifar10-pixels", 60000, (3, 32, 32), 10, torchvision_images("CIFAR10"), "torchvision CIFAR10"),
    _pixels("stl10-pixels", 13000, (3, 96, 96), 10, torchvision_images("STL10"), "torchvision STL10"),
    _pixels("ytf", 20000, (3, 64, 64), 80, None, "YouTube Faces frames; no loader (no public split)"),
]}


def is_image_set(name: str) -> bool:
    """Whether ``name`` is a raw-image dataset (IDCL), not CLIP features."""
    return name in DATASETS and DATASETS[name].kind == "images"


def list_datasets() -> list[str]:
    return list(DATASETS)


def get_dataset_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise UnknownNameError(f"unknown dataset {name!r}{did_you_mean(name, DATASETS)}; choose one of "
                               f"{', '.join(DATASETS)}")
    return DATASETS[name]


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
            from .twins.draw import make_twin
            from .twins.store import get_twin

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
    X, y = spec.images(None if root is None else str(root))
    return ImageData(spec.name, X, y)


def build_image_dataset(name: str, root, split: str, transform=None, *, check_size: bool = True):
    """The image dataset ``name`` under ``root`` for ``split`` ("train" or "test"), for ``laic extract``."""
    from ..utils.validation import check_choice

    spec = get_dataset_spec(name)
    check_choice(split, "split", ("train", "test"))
    if spec.kind != "features" or spec.images is None:
        raise DatasetError(f"{name} has no images to extract (it is {spec.source})")
    if spec.eval_only and split == "train":
        raise DatasetError(f"{name} is evaluation-only: extract its test split; Stage 1 uses "
                           f"{spec.train_from}'s train split")
    ds = spec.images(Path(root), split, transform, spec)
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
    from .cache import save_cache

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
