"""Image datasets for feature extraction: torchvision downloaders and ImageFolder layouts.

Explained in: README ("Running on real data").

A dataset specification of :data:`laicpkg.features.datasets.DATASETS` with images names
one builder of this module (its ``images`` field); a builder returns a torch ``Dataset`` yielding ``(image_tensor, label)`` and
carrying ``targets`` and ``class_names``. Sizes are checked against the
registry (Table 7 of the GradNorm paper); a wrong root or a different size
raises :class:`~laicpkg.utils.errors.DatasetError` saying what was expected and found.

ImageFolder layouts (``ROOT/<split>/<class>/<image>``):

* ``imagenet10``, ``imagenet-dogs``: ImageNet's ``train`` and ``val`` folders
  (val sorted into one folder per synset); only the synsets listed in
  ``laicpkg/data/imagenet10_wnids.txt`` / ``imagenet_dogs_wnids.txt`` are read.
* ``imagenet``: ``ROOT/train`` and ``ROOT/val`` with the 1,000 synset folders.
* ``ucf101``: ``ROOT/train`` and ``ROOT/test`` holding one middle frame per
  video of split 1 (extract them once with ffmpeg), one folder per action.
* ``imagenet-v2``, ``imagenet-sketch``, ``imagenet-r``, ``imagenet-a``,
  ``imagenet-c``: evaluation-only: ``ROOT/<wnid>/<image>`` (for ImageNet-C, point
  ROOT at one ``<corruption>/<severity>`` folder); Stage 1 uses ImageNet's train split.
* ``imagefolder``: any ``ROOT/train`` and ``ROOT/test`` (no size check) — your own data.
"""
from __future__ import annotations

import pickle
from pathlib import Path

from ..utils.errors import DatasetError
from .nouns import _senses

__all__ = ["load_oriented", "Photos", "wnid_names", "check_size", "cifar10", "cifar20", "torchvision_split", "imagenet_subset",
           "imagenet_folder", "image_folder"]

_DATA = Path(__file__).with_name("data")


def read_wnids(fname: str) -> list[str]:
    return [w.strip() for w in (_DATA / fname).read_text().split() if w.strip()]


def wnid_names(wnids) -> list[str]:
    """Human-readable names of ImageNet synsets from the shipped WordNet senses (first lemma)."""
    first = {off: lemma for off, k, lemma in _senses() if k == "0"}
    return [first.get(w[1:], w).replace("_", " ") for w in wnids]


class _Folder:
    """An ImageFolder restricted to chosen class folders, with labels in that order."""

    def __init__(self, root: Path, classes: list[str] | None, transform, *, name: str):
        from torchvision.datasets.folder import IMG_EXTENSIONS, default_loader, has_file_allowed_extension

        if not root.is_dir():
            raise DatasetError(f"{name}: expected an image folder at {root} (ROOT/<split>/<class>/<image>); not found")
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        if classes is None:
            classes = present
        missing = [c for c in classes if c not in present]
        if missing:
            raise DatasetError(f"{name}: {root} lacks {len(missing)} of the {len(classes)} expected class folders "
                               f"(first missing: {missing[0]})")
        if not classes:
            raise DatasetError(f"{name}: {root} has no class folders")
        self.samples = []
        for label, c in enumerate(classes):
            files = sorted(p for p in (root / c).rglob("*") if p.is_file()
                           and has_file_allowed_extension(p.name, IMG_EXTENSIONS))
            self.samples += [(str(p), label) for p in files]
        self.targets = [label for _, label in self.samples]
        self.folders = list(classes)
        self.class_names = list(classes)
        self.transform = transform
        self.loader = default_loader

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        img = self.loader(path)
        return (self.transform(img) if self.transform else img), label


def load_oriented(path) -> "Image.Image":
    """An RGB image turned upright by its EXIF orientation tag (phone cameras store portraits sideways and set the
    tag); images without the tag are unchanged."""
    from PIL import Image, ImageOps

    with open(path, "rb") as fh:
        img = Image.open(fh)
        return ImageOps.exif_transpose(img).convert("RGB")


class Photos:
    """Every image under ``root``, searched recursively, in path order; no labels and no split (``laic cluster``).

    A file counts when its extension is one torchvision's ImageFolder reads (``.jpg``, ``.png``, ``.webp``, …);
    hidden folders and files (a leading dot) are left out, and so are the folders in ``exclude`` (``laic
    cluster``'s own output and cache, when they lie inside the image folder). A sub-folder that cannot be read,
    or a file name that is not valid UTF-8, stops with one line naming it. Images are read upright
    (:func:`load_oriented`): what the model sees is what a photo viewer shows."""

    def __init__(self, root, transform=None, *, exclude=()):
        import os

        from torchvision.datasets.folder import IMG_EXTENSIONS, has_file_allowed_extension

        root = Path(root)
        if not root.is_dir():
            raise DatasetError(f"{root} is not a folder of images")
        skip = {Path(e).resolve() for e in exclude}
        unreadable = []
        files = []
        for folder, dirs, names in os.walk(root, onerror=unreadable.append):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skip)
            files += [here / n for n in names if not n.startswith(".") and has_file_allowed_extension(n, IMG_EXTENSIONS)]
        if unreadable:
            e = unreadable[0]
            raise DatasetError(f"cannot read the folder {e.filename} ({e.strerror}); make it readable or move it out "
                               f"of {root}")
        files.sort()
        for f in files:
            try:
                str(f).encode("utf-8")
            except UnicodeEncodeError:
                raise DatasetError(f"the file name {ascii(str(f))} is not valid UTF-8; rename the file") from None
        if not files:
            raise DatasetError(f"no images under {root} (looked for {', '.join(IMG_EXTENSIONS[:6])}, … in every "
                               "sub-folder)")
        self.root = root
        self.samples = [(str(p), 0) for p in files]
        self.targets = [0] * len(files)
        self.class_names = ["(unlabelled)"]
        self.transform = transform
        self.loader = load_oriented

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        img = self.loader(self.samples[i][0])
        return (self.transform(img) if self.transform else img), 0


def check_size(ds, spec, split: str, root) -> None:
    expected = spec.n_train if split == "train" else spec.n_test
    if expected is not None and len(ds) != expected:
        raise DatasetError(f"{spec.name} {split} split: expected {expected:,} images (GradNorm Table 7), found "
                           f"{len(ds):,} under {root}; check --root and the split layout")


def _load_cifar(cls_name: str, root, split: str, transform, spec):
    import torchvision.datasets as tvd

    try:
        return getattr(tvd, cls_name)(root=str(root), train=split == "train", transform=transform, download=False)
    except RuntimeError as exc:
        raise DatasetError(f"{spec.name}: no {spec.title} data ({cls_name}) under {root} ({exc}); download it with "
                           f"torchvision.datasets.{cls_name}(root, download=True)") from None


def cifar20(root, split, transform, spec):
    ds = _load_cifar("CIFAR100", root, split, transform, spec)
    fname = "train" if split == "train" else "test"
    with open(Path(root) / ds.base_folder / fname, "rb") as fh:
        entry = pickle.load(fh, encoding="latin1")
    ds.targets = list(entry["coarse_labels"])
    with open(Path(root) / ds.base_folder / "meta", "rb") as fh:
        ds.class_names = [n.replace("_", " ") for n in pickle.load(fh, encoding="latin1")["coarse_label_names"]]
    return ds


def imagenet_subset(wnid_file):
    def build(root, split, transform, spec):
        wnids = read_wnids(wnid_file)
        ds = _Folder(Path(root) / ("train" if split == "train" else "val"), wnids, transform, name=spec.name)
        ds.class_names = wnid_names(wnids)
        return ds
    return build


def imagenet_folder(root, split, transform, spec):
    ds = _Folder(Path(root) / ("train" if split == "train" else "val"), None, transform, name=spec.name)
    ds.class_names = wnid_names(ds.folders)
    return ds


def image_folder(split_dirs, wnid_names_=False):
    def build(root, split, transform, spec):
        ds = _Folder(Path(root) / split_dirs[split] if split_dirs[split] else Path(root), None, transform,
                     name=spec.name)
        if wnid_names_:
            ds.class_names = wnid_names(ds.folders)
        else:
            ds.class_names = [c.replace("_", " ") for c in ds.folders]
        return ds
    return build


def cifar10(root, split, transform, spec):
    ds = _load_cifar("CIFAR10", root, split, transform, spec)
    ds.class_names = list(ds.classes)
    return ds


def torchvision_split(cls_name, train, test, key="split", names_attr="classes", concat=None):
    def build(root, split, transform, spec):
        import torchvision.datasets as tvd
        from torch.utils.data import ConcatDataset

        splits = (concat if (concat and split == "train") else [train if split == "train" else test])
        try:
            parts = [getattr(tvd, cls_name)(root=str(root), transform=transform, download=False, **{key: s})
                     for s in splits]
        except (RuntimeError, FileNotFoundError) as exc:
            raise DatasetError(f"{spec.name}: torchvision's {cls_name} found no data under {root} ({exc}); "
                               f"download it once with torchvision.datasets.{cls_name}(root, download=True)") from None
        ds = parts[0] if len(parts) == 1 else ConcatDataset(parts)
        labels_attr = next(a for a in ("targets", "_labels", "labels", "_samples") if hasattr(parts[0], a))
        if labels_attr == "_samples":
            ds.targets = [lab for p in parts for _, lab in p._samples]
        else:
            ds.targets = [int(x) for p in parts for x in getattr(p, labels_attr)]
        names = getattr(parts[0], names_attr, None)
        ds.class_names = [str(n) for n in names] if names is not None else [str(i) for i in range(spec.n_classes)]
        return ds
    return build
