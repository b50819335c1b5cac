"""Real CLIP text: one pool of real CLIP ViT-B/32 noun texts, and the real texts of a dataset's class names.

Explained in: notebooks/08_twins ("Twins on real CLIP text") and book/implementation.md ("Synthetic twins").

Three public files hold real CLIP ViT-B/32 text features of nouns (``data/clip_reference``; its README gives
each file's source, commit and licence): the 1,000 ImageNet-1K classes, the 1,203 LVIS categories and the 80
COCO categories, all with the prompt "a {name}". :func:`real_text_pool` joins them into one pool, one text per
WordNet synset, in this order:

1. the ImageNet-1K classes in class order (their synsets are the class ids; named by the synset's first lemma);
2. the LVIS categories in id order whose synset is not already in the pool (LVIS names its synsets; the one
   category without a WordNet 3.0 synset, ``stop_sign``, is kept without one);
3. the COCO categories in id order whose text is not already in the pool (cosine ≥ 0.9999 to a kept text: the
   same name through the same encoder) and whose synset (:data:`COCO_SYNSETS`) is not either (a category
   without a synset: whose name is not).

1,959 texts: 1,000 from ImageNet, 956 from LVIS, 3 from COCO.

A twin built on this pool (``laicpkg.features.twins``, model "real") meets the text geometry of real CLIP
wherever a method reads text: which nouns crowd around a class name, how far its confusers are.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ..utils.errors import ParameterError
from ..utils.fixedmath import fixed_dot, fixed_unit
from .geometry import REFERENCE_DIR
from .concepts import wordnet_graph

__all__ = ["RealTextPool", "real_text_pool", "text_residuals", "COCO_NAMES", "COCO_SYNSETS", "CLASS_TEXTS", "real_class_rows",
           "imagenet1k_wnids"]

#: The 80 COCO categories in id order (the rows of ``coco80_vitb32_text_a.npy``).
COCO_NAMES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign "
    "parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella handbag tie "
    "suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove skateboard surfboard "
    "tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple sandwich orange broccoli carrot hot_dog "
    "pizza donut cake chair couch potted_plant bed dining_table toilet tv laptop mouse remote keyboard cell_phone "
    "microwave oven toaster sink refrigerator book clock vase scissors teddy_bear hair_drier toothbrush").split()

#: The WordNet 3.0 synset (offset) of each COCO category whose text differs from every ImageNet and LVIS text:
#: the sense a COCO image shows ("tv" the receiver, "keyboard" the device, "sports ball" the game equipment).
#: ``stop_sign`` has none in WordNet 3.0.
COCO_SYNSETS = {
    "car": "02958343", "bus": "02924116", "train": "04468005", "fire_hydrant": "03346898", "stop_sign": "",
    "umbrella": "04507155", "tie": "03815615", "skis": "04228054", "sports_ball": "02778669",
    "baseball_bat": "02799175", "baseball_glove": "02800213", "tennis_racket": "04409806", "wine_glass": "04592099",
    "orange": "07747607", "hot_dog": "07697537", "donut": "07639069", "couch": "04256520",
    "potted_plant": "13083023", "tv": "04405907", "remote": "04074963", "keyboard": "03614007",
    "cell_phone": "02992529", "teddy_bear": "04399382", "hair_drier": "03483316",
}

#: The three files of real CLIP ViT-B/32 noun texts in the reference folder.
IMAGENET_TEXTS, LVIS_TEXTS, COCO_TEXTS = ("imagenet1k_vitb32_text_a.npy", "lvis1203_vitb32_text_a.npy",
                                          "coco80_vitb32_text_a.npy")

#: Texts at or above this cosine are the same text (one name through one encoder; float16 storage).
SAME_TEXT = 0.9999


@dataclass(frozen=True)
class RealTextPool:
    """Real CLIP ViT-B/32 noun texts: unit ``features`` (n, 512) float64, the ``names``, the WordNet ``offsets``
    ("" where a text has none) and the ``source`` of each row ("imagenet", "lvis" or "coco")."""

    features: np.ndarray
    names: tuple
    offsets: tuple
    source: tuple

    def __len__(self) -> int:
        return len(self.names)

    def row_of(self, offset: str) -> int | None:
        """The row whose synset is ``offset`` (8 digits), or None."""
        return self._index.get(offset)

    @cached_property
    def _index(self) -> dict:
        return {o: i for i, o in enumerate(self.offsets) if o}

    @cached_property
    def mean_direction(self) -> np.ndarray:
        """``μ``: the unit mean of the texts (fixed-order arithmetic)."""
        return fixed_unit(self.features.mean(0)[None])[0]

    @cached_property
    def residuals(self) -> np.ndarray:
        """``r(t)`` of every text (:func:`text_residuals`): what it says beyond the texts' mean, read-only."""
        out = text_residuals(self.features, self.mean_direction)
        out.flags.writeable = False
        return out


def text_residuals(T: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``r(t) = normalise(t − (tᵀμ)μ)`` row by row: what each text of ``T`` says beyond the unit direction ``μ``."""
    return fixed_unit(T - fixed_dot(T, mu)[:, None] * mu)


@lru_cache(maxsize=1)
def imagenet1k_wnids() -> tuple:
    """ImageNet-1K's 1,000 WordNet ids in class order (its sorted wnid folders), as listed by timm (a dependency
    of open_clip; ``timm/data/_info/imagenet_synsets.txt``)."""
    from importlib.util import find_spec
    from pathlib import Path

    root = Path(find_spec("timm").submodule_search_locations[0])  # found, not imported (timm imports tqdm.auto)
    return tuple((root / "data" / "_info" / "imagenet_synsets.txt").read_text().split())


@lru_cache(maxsize=None)
def _unit_texts(file: str) -> np.ndarray:
    """The text features of ``file`` in the reference folder as unit float64 rows (read once, read-only)."""
    out = fixed_unit(np.load(REFERENCE_DIR / file))
    out.flags.writeable = False
    return out


@lru_cache(maxsize=1)
def lvis_rows() -> tuple:
    with open(REFERENCE_DIR / "lvis1203_synsets.tsv", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh, delimiter="\t"))


@lru_cache(maxsize=1)
def real_text_pool() -> RealTextPool:
    """The pool of real CLIP noun texts, one per synset, in the order of the module docstring."""
    graph = wordnet_graph()
    feats, names, offsets, source = [], [], [], []

    def add(x, name, offset, src):
        feats.append(x)
        names.append(name)
        offsets.append(offset)
        source.append(src)

    for x, off in zip(_unit_texts(IMAGENET_TEXTS), (w[1:] for w in imagenet1k_wnids())):
        add(x, graph.lemmas[graph.index[off]][0], off, "imagenet")
    seen = set(offsets)
    for x, row in zip(_unit_texts(LVIS_TEXTS), lvis_rows()):
        if row["offset"] and row["offset"] in seen:
            continue
        seen.add(row["offset"])
        add(x, row["name"], row["offset"], "lvis")
    kept = np.stack(feats)
    for x, name in zip(_unit_texts(COCO_TEXTS), COCO_NAMES):
        if fixed_dot(kept, x).max() >= SAME_TEXT:
            continue
        if name not in COCO_SYNSETS:
            raise ParameterError(f"COCO category {name!r} has a text of its own but no entry in COCO_SYNSETS")
        off = COCO_SYNSETS[name]
        if (off and off in seen) or (not off and name in names):
            continue
        seen.add(off)
        add(x, name, off, "coco")
    return RealTextPool(np.stack(feats), tuple(names), tuple(offsets), tuple(source))


#: The real text of each class of the datasets whose class names have one: (pool name, ImageNet wnid or
#: LVIS name) per class. CIFAR-10's and STL-10's names are LVIS categories ("a {name}"; ``car_(automobile)``
#: for automobile and car, ``cargo_ship`` for ship); ImageNet-10's and ImageNet-Dogs' are their ImageNet classes.
CLASS_TEXTS = {
    "cifar10": ("airplane", "car_(automobile)", "bird", "cat", "deer", "dog", "frog", "horse", "cargo_ship",
                "truck"),
    "stl10": ("airplane", "bird", "car_(automobile)", "cat", "deer", "dog", "horse", "monkey", "cargo_ship",
              "truck"),
}


def real_class_rows(dataset: str, wnids=()) -> np.ndarray:
    """Unit real CLIP texts (K, 512) of ``dataset``'s class names: LVIS categories for the names in
    :data:`CLASS_TEXTS`, else the ImageNet-1K class texts of ``wnids`` (an ImageNet subset's classes)."""
    if dataset in CLASS_TEXTS:
        index = {row["name"]: i for i, row in enumerate(lvis_rows())}
        return _unit_texts(LVIS_TEXTS)[[index[name] for name in CLASS_TEXTS[dataset]]]
    order = {w: i for i, w in enumerate(imagenet1k_wnids())}
    missing = [w for w in wnids if w not in order]
    if not wnids or missing:
        raise ParameterError(f"{dataset}: no real CLIP text for its classes "
                             f"({', '.join(missing) if missing else 'no ImageNet ids'})")
    return _unit_texts(IMAGENET_TEXTS)[[order[w] for w in wnids]]
