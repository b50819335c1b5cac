"""One :class:`~laicpkg.catalog.spec.DatasetSpec` per real dataset: the paper's datasets, the fine-grained and
distribution-shift sets, your own folders, and IDCL's raw-image sets.

Explained in: README ("Running on real data") and book/implementation.md ("One specification per dataset").

Sizes are GradNorm's Table 7 (IDCL's Table 1 for raw images); images are named loaders
(:class:`~laicpkg.catalog.spec.Loader`, resolved by :mod:`laicpkg.features.datasets`). The synthetic presets
and twins are added there, from their recipes (:mod:`laicpkg.catalog.twins`).
"""
from __future__ import annotations

from .papers import GRADNORM_TABLES, IDCL_DIGITS
from .settings import ERM_LARGE, SIC_DOGS_WEIGHT_DECAY, SIC_TABLE2, TAC_LARGE, official_preset
from .spec import DatasetSpec, Loader

__all__ = ["REAL_DATASETS", "PIXEL_DATASETS"]


def _features(name, title, K, n_train, n_test, source, images, *, notes="", settings=(), **more) -> DatasetSpec:
    """A CLIP-feature dataset with its settings, the authors' code's values and GradNorm's rows where they exist."""
    return DatasetSpec(name, title, K, n_train, n_test, source, notes, images=images, settings=settings,
                       presets=official_preset(name), paper=GRADNORM_TABLES.get(name, {}), **more)


def _shift(name, title, K, n_test, notes=""):
    """An evaluation-only distribution shift of ImageNet: Stage 1 runs on ImageNet's train split."""
    return _features(name, title, K, None, n_test, "ImageFolder ROOT/<wnid>" + notes, train_from="imagenet",
                     images=Loader("image_folder", ({"train": None, "test": None},), {"wnid_names_": True}))


def _pixels(name, n, shape, K, loader, notes=""):
    return DatasetSpec(name, name.upper(), K, None, n, notes, kind="images", images=loader, image_shape=shape)


def _sic(name):
    return (SIC_TABLE2[name], "SIC Table 2")


_FOLDERS = {"train": "train", "test": "test"}

#: The real CLIP-feature datasets, by name.
REAL_DATASETS = {d.name: d for d in [
    _features("stl10", "STL-10", 10, 5000, 8000, "torchvision STL10 (train / test)",
              Loader("torchvision_split", ("STL10", "train", "test")), settings=(_sic("stl10"),)),
    _features("cifar10", "CIFAR-10", 10, 50000, 10000, "torchvision CIFAR10", Loader("cifar10"),
              settings=(_sic("cifar10"),)),
    _features("cifar20", "CIFAR-20", 20, 50000, 10000, "torchvision CIFAR100 with the 20 coarse labels",
              Loader("cifar20"), settings=(_sic("cifar20"),)),
    _features("imagenet10", "ImageNet-10", 10, 13000, 500, "ImageFolder of ImageNet, 10 synsets",
              Loader("imagenet_subset", ("imagenet10_wnids.txt",))),
    _features("imagenet-dogs", "ImageNet-Dogs", 15, 19500, 750, "ImageFolder of ImageNet, 15 dog synsets",
              Loader("imagenet_subset", ("imagenet_dogs_wnids.txt",)),
              settings=(_sic("imagenet-dogs"), SIC_DOGS_WEIGHT_DECAY)),
    _features("dtd", "DTD", 47, 3760, 1880, "torchvision DTD, partition 1 (train+val / test)",
              Loader("torchvision_split", ("DTD", None, "test"), {"concat": ["train", "val"]})),
    _features("ucf101", "UCF-101", 101, 9537, 3783, "ImageFolder of middle frames, split 1",
              Loader("image_folder", (_FOLDERS,)), settings=(ERM_LARGE, TAC_LARGE)),
    _features("imagenet", "ImageNet-1K", 1000, 1281167, 50000, "ImageFolder of ImageNet (train / val)",
              Loader("imagenet_folder"), settings=(ERM_LARGE, TAC_LARGE)),
    # Fine-grained (torchvision downloaders; sizes of the standard splits).
    _features("aircraft", "FGVC-Aircraft", 100, 6667, 3333, "torchvision FGVCAircraft (trainval / test)",
              Loader("torchvision_split", ("FGVCAircraft", "trainval", "test"))),
    _features("food101", "Food-101", 101, 75750, 25250, "torchvision Food101",
              Loader("torchvision_split", ("Food101", "train", "test"))),
    _features("flowers102", "Flowers-102", 102, 2040, 6149, "torchvision Flowers102 (train+val / test)",
              Loader("torchvision_split", ("Flowers102", None, "test"), {"concat": ["train", "val"]})),
    _features("pets", "Oxford-IIIT Pets", 37, 3680, 3669, "torchvision OxfordIIITPet (trainval / test)",
              Loader("torchvision_split", ("OxfordIIITPet", "trainval", "test"))),
    _features("cars", "Stanford Cars", 196, 8144, 8041, "torchvision StanfordCars",
              Loader("torchvision_split", ("StanfordCars", "train", "test"))),
    # Distribution shifts: evaluation-only targets; Stage 1 runs on ImageNet's train split.
    _shift("imagenet-v2", "ImageNet-V2", 1000, 10000),
    _shift("imagenet-sketch", "ImageNet-Sketch", 1000, 50889),
    _shift("imagenet-r", "ImageNet-R", 200, 30000),
    _shift("imagenet-a", "ImageNet-A", 200, 7500),
    _shift("imagenet-c", "ImageNet-C", 1000, 50000, " of one corruption and severity"),
    _features("imagefolder", "your ImageFolder", 0, None, None, "ImageFolder ROOT/train and ROOT/test",
              Loader("image_folder", (_FOLDERS,)), notes="class count from the folders; no size check"),
    _features("photos", "your unlabelled images", 0, None, None, "laic cluster IMAGES: every image under a folder",
              None, notes="no labels, no split: Stage 1 runs on the same images; K from --n-clusters"),
]}

#: IDCL's raw-image datasets (its Table 1; pixels, train and test joined; nothing is downloaded).
PIXEL_DATASETS = {d.name: d for d in [
    DatasetSpec("digits", "DIGITS", 10, None, 1797, "scikit-learn load_digits (UCI optdigits)", kind="images",
                images=Loader("digits_images"), image_shape=(1, 8, 8),
                paper={row: {"ACC": acc, "NMI": nmi} for row, (acc, nmi) in IDCL_DIGITS.items()}),
    _pixels("mnist", 70000, (1, 28, 28), 10, Loader("torchvision_images", ("MNIST",)), "torchvision MNIST"),
    _pixels("fashion-mnist", 70000, (1, 28, 28), 10, Loader("torchvision_images", ("FashionMNIST",)),
            "torchvision FashionMNIST"),
    _pixels("usps", 9298, (1, 16, 16), 10, Loader("torchvision_images", ("USPS",)), "torchvision USPS"),
    _pixels("letter-aj", 56000, (1, 28, 28), 10, Loader("torchvision_images", ("EMNIST", "letters-aj")),
            "torchvision EMNIST letters A–J"),
    _pixels("gtsrb", 8790, (3, 32, 32), 5, Loader("torchvision_images", ("GTSRB",)),
            "torchvision GTSRB; 5 classes as in IDCL Table 1 (subset not specified)"),
    _pixels("cifar10-pixels", 60000, (3, 32, 32), 10, Loader("torchvision_images", ("CIFAR10",)),
            "torchvision CIFAR10"),
    _pixels("stl10-pixels", 13000, (3, 96, 96), 10, Loader("torchvision_images", ("STL10",)), "torchvision STL10"),
    _pixels("ytf", 20000, (3, 64, 64), 80, None, "YouTube Faces frames; no loader (no public split)"),
]}
