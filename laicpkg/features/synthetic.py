"""A synthetic LaIC benchmark with known positive nouns (notebooks/01_laic_problem).

Explained in: notebooks/01_laic_problem.

The generator models the structure LaIC methods rely on, not any method's
output. Every quantity is a unit vector in ``R^d`` built from random
directions (independent Gaussian directions are nearly orthogonal in high
dimension, as unrelated CLIP concepts are):

* **Concepts.** Each class ``k`` has a semantic concept ``c_k``; a class may
  consist of several sub-concepts ``u_{k,s} = normalize(c_k + σ_sub z)`` (CIFAR-20's
  superclasses). Fine-grained classes share a parent concept:
  ``c_k = normalize(w_p p + z_k)`` (ImageNet-Dogs).
* **Images.** An image of class ``k`` is
  ``e = normalize(g·o_img + s·u_{k,s} + a·v_k + b·n_m + σ_img ξ/√d)``:
  a modality offset ``o_img`` shared by all images (CLIP's modality gap: image
  and text features sit in two narrow cones), a weak semantic part, a strong
  visual-appearance part ``v_k``, a nuisance mode ``n_m`` (background, style:
  one of a few directions shared *across* classes) and isotropic noise.
  **Visually close, semantically apart pairs** share the same appearance
  ``v_k``: in image space they differ only through the weak semantic part,
  while their concepts (and hence their nouns) are as far apart as any two.
* **Wild nouns** (Eq. 2, the Huber mixture ``π P_pos + (1−π) P_neg``): a noun is
  ``r = normalize(g·o_txt + t + σ_txt ξ/√d)`` around a concept ``t``. Positives sit
  around the dataset's (sub-)concepts. Negatives are (i) nouns of absent
  concepts, (ii) near-miss distractors around concepts correlated with a class
  concept (cosine ≈ ``near_miss_cos``), including absent siblings of a
  fine-grained parent, and (iii) generic nouns ("entity", "thing") with
  almost no content, close to the centre of the text cone.

The parameters below were set from these modelling choices before any
method was run on the data, identically for all presets except for what
defines a preset (class structure, sizes); nothing is tuned per method.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .container import LaICData
from ..catalog.classes import CIFAR10, CIFAR20, IMAGENET_CLASS_FILES
from .twins.recipes import imagenet_classes
from ..utils.errors import look_up
from ..utils.fixedmath import fixed_dot, fixed_unit
from ..utils.validation import check_int

__all__ = ["SyntheticSpec", "SYNTHETIC_SPECS", "list_synthetic", "get_synthetic_spec", "make_synthetic", "noun_kinds"]

#: The class names of the presets: those of the datasets they are small versions of (the twins' recipes).
CIFAR10_CLASSES = [name for name, _ in CIFAR10]
CIFAR20_CLASSES = [name for name, _ in CIFAR20]
DOG_CLASSES = [name for name, _ in imagenet_classes(IMAGENET_CLASS_FILES["imagenet-dogs"])]  # ImageNet-Dogs' 15 synsets


@dataclass(frozen=True)
class SyntheticSpec:
    """Generative parameters of a synthetic LaIC dataset (see the module docstring)."""

    name: str
    class_names: tuple
    n_train: int
    n_test: int
    dim: int = 512
    n_nouns: int = 20000
    sub_concepts: int = 1            # sub-concepts per class
    sub_spread: float = 0.0          # σ_sub
    parent_weight: float = 0.0       # w_p, fine-grained classes share a parent concept
    close_pairs: tuple = ()          # visually close, semantically apart class pairs
    modality_gap: float = 1.0        # g
    semantic_weight: float = 0.35    # s
    visual_weight: float = 1.0       # a
    nuisance_modes: int = 4
    nuisance_weight: float = 0.5     # b
    image_noise: float = 1.0         # σ_img
    text_noise: float = 0.6          # σ_txt
    positives_per_concept: int = 20
    near_miss_per_class: int = 3     # near-miss concepts per class
    near_miss_cos: float = 0.6
    absent_siblings: int = 0         # absent concepts that share the parent (fine-grained)
    generic_nouns: int = 200
    nouns_per_absent_concept: int = 20
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def generate(self, seed: int = 0, **overrides) -> LaICData:
        return make_synthetic(self, seed=seed, **overrides)


#: The generators' settings by dataset name (distinct from the parameter presets of the run configuration).
SYNTHETIC_SPECS = {
    "synthetic-cifar10": SyntheticSpec(
        "synthetic-cifar10", tuple(CIFAR10_CLASSES), n_train=10000, n_test=2000,
        close_pairs=((3, 5), (1, 9)),  # cat/dog, automobile/truck
        notes="10 classes, one concept each; cat/dog and automobile/truck look alike"),
    "synthetic-cifar20": SyntheticSpec(
        "synthetic-cifar20", tuple(CIFAR20_CLASSES), n_train=10000, n_test=2000,
        sub_concepts=5, sub_spread=1.0, positives_per_concept=6,
        close_pairs=((12, 16), (18, 19), (0, 1)),
        notes="20 superclasses of 5 sub-concepts each (CIFAR-100's coarse labels)"),
    "synthetic-dogs": SyntheticSpec(
        "synthetic-dogs", tuple(DOG_CLASSES), n_train=6000, n_test=1500,
        parent_weight=1.0, absent_siblings=60, close_pairs=((12, 13), (9, 10), (0, 2), (5, 6)),
        notes="15 fine-grained breeds of one parent concept; 60 absent breeds as distractors"),
}


def list_synthetic() -> list[str]:
    return sorted(SYNTHETIC_SPECS)


def get_synthetic_spec(name: str) -> SyntheticSpec:
    return look_up(SYNTHETIC_SPECS, name, "synthetic dataset")


def _unit(x: np.ndarray) -> np.ndarray:
    return fixed_unit(x)


def _directions(rng, n: int, d: int) -> np.ndarray:
    return _unit(rng.standard_normal((n, d)))


def _balanced_labels(rng, n: int, k: int) -> np.ndarray:
    y = np.arange(n) % k
    rng.shuffle(y)
    return y


@dataclass
class _Geometry:
    """The fixed directions of one synthetic dataset (drawn first, in this order)."""

    o_img: np.ndarray        # image modality offset
    o_txt: np.ndarray        # text modality offset, orthogonal to it
    parent: np.ndarray       # the parent concept of fine-grained classes
    concepts: np.ndarray     # (K, d) class concepts
    subs: np.ndarray         # (K, S, d) sub-concepts
    appearance: np.ndarray   # (K, d) visual appearance (close pairs share theirs)
    nuisance: np.ndarray     # (modes, d) nuisance directions


def _geometry(spec: SyntheticSpec, rng) -> _Geometry:
    d, K, S = spec.dim, spec.n_classes, spec.sub_concepts
    # Modality offsets: two orthogonal directions (the gap between the image and text cones).
    o = _directions(rng, 2, d)
    o_img = o[0]
    o_txt = _unit(o[1] - fixed_dot(o[1], o_img) * o_img)
    # Concepts and sub-concepts.
    parent = _directions(rng, 1, d)[0]
    concepts = _unit(spec.parent_weight * parent + _directions(rng, K, d))
    if S > 1:
        subs = _unit(concepts[:, None, :] + spec.sub_spread * _directions(rng, K * S, d).reshape(K, S, d))
    else:
        subs = concepts[:, None, :]
    # Visual appearance: close pairs share theirs.
    appearance = _directions(rng, K, d)
    for i, j in spec.close_pairs:
        appearance[j] = appearance[i]
    nuisance = _directions(rng, max(spec.nuisance_modes, 1), d)
    return _Geometry(o_img, o_txt, parent, concepts, subs, appearance, nuisance)


def _draw_images(spec: SyntheticSpec, g: _Geometry, rng, n: int):
    """``n`` image features: offset + semantic (sub-)concept + appearance + nuisance + noise."""
    d, K, S = spec.dim, spec.n_classes, spec.sub_concepts
    y = _balanced_labels(rng, n, K)
    s = rng.integers(0, S, size=n)
    m = rng.integers(0, g.nuisance.shape[0], size=n)
    x = (spec.modality_gap * g.o_img + spec.semantic_weight * g.subs[y, s] + spec.visual_weight * g.appearance[y]
         + spec.nuisance_weight * g.nuisance[m] + spec.image_noise * rng.standard_normal((n, d)) / np.sqrt(d))
    return _unit(x).astype(np.float32), y


def _noun_pool(spec: SyntheticSpec, g: _Geometry, rng):
    """The wild nouns: positives, near misses, absent siblings, generic nouns and absent concepts, shuffled.

    Returns ``(R, names, noun_class)`` with ``noun_class`` the class of a positive (-1: negative)."""
    d, K, S = spec.dim, spec.n_classes, spec.sub_concepts
    per_absent = spec.nouns_per_absent_concept

    def nouns_around(centres, count):
        c = np.repeat(centres, count, axis=0)
        return _unit(spec.modality_gap * g.o_txt + c + spec.text_noise * rng.standard_normal(c.shape) / np.sqrt(d))

    feats, names, cls = [], [], []
    # (a) positives: around every (sub-)concept of every class.
    P = spec.positives_per_concept
    for k in range(K):
        feats.append(nouns_around(g.subs[k], P))
        for s in range(S):
            tag = spec.class_names[k] if S == 1 else f"{spec.class_names[k]}/sub{s}"
            names += [f"{tag}#{j}" for j in range(P)]
        cls += [k] * (S * P)
    n_pos = len(names)
    # (b) near-miss distractors: concepts with cosine ≈ near_miss_cos to a class concept.
    q = spec.near_miss_cos
    near = _unit(q * np.repeat(g.concepts, spec.near_miss_per_class, axis=0)
                 + np.sqrt(1 - q * q) * _directions(rng, K * spec.near_miss_per_class, d))
    feats.append(nouns_around(near, per_absent))
    for k in range(K):
        for j in range(spec.near_miss_per_class):
            names += [f"near-{spec.class_names[k]}-{j}#{i}" for i in range(per_absent)]
    # (c) absent siblings of the parent concept (fine-grained presets).
    if spec.absent_siblings:
        sib = _unit(spec.parent_weight * g.parent + _directions(rng, spec.absent_siblings, d))
        feats.append(nouns_around(sib, per_absent))
        for j in range(spec.absent_siblings):
            names += [f"absent-sibling-{j}#{i}" for i in range(per_absent)]
    # (d) generic nouns: almost no content, near the centre of the text cone.
    n_gen = spec.generic_nouns
    feats.append(_unit(spec.modality_gap * g.o_txt + 0.2 * _directions(rng, n_gen, d)
                       + spec.text_noise * rng.standard_normal((n_gen, d)) / np.sqrt(d)))
    names += [f"generic#{i}" for i in range(n_gen)]
    # (e) nouns of absent, unrelated concepts fill the pool up to n_nouns.
    n_rest = max(spec.n_nouns - sum(f.shape[0] for f in feats), 0)
    if n_rest:
        absent = _directions(rng, -(-n_rest // per_absent), d)
        feats.append(nouns_around(absent, per_absent)[:n_rest])
        names += [f"absent-{i // per_absent}#{i % per_absent}" for i in range(n_rest)]
    R = np.concatenate(feats).astype(np.float32)
    noun_class = np.full(R.shape[0], -1, dtype=np.int64)
    noun_class[:n_pos] = cls
    # Shuffle the pool so that no method can profit from the order.
    perm = rng.permutation(R.shape[0])
    return R[perm], [names[i] for i in perm], noun_class[perm]


def make_synthetic(preset: str | SyntheticSpec = "synthetic-cifar10", *, seed: int = 0, **overrides) -> LaICData:
    """Draw one synthetic LaIC dataset: its geometry, the train and test images, then the noun pool.

    Parameters
    ----------
    preset : str or SyntheticSpec
        ``"synthetic-cifar10"``, ``"synthetic-cifar20"``, ``"synthetic-dogs"`` or a spec.
    seed : int
        Seed of the generator; the same seed gives the same arrays.
    **overrides :
        Fields of :class:`SyntheticSpec` to change (e.g. ``n_train=50000, n_nouns=82000``).

    Returns
    -------
    LaICData with ``positive_mask`` and ``noun_class`` filled, and ``meta`` holding the spec.
    """
    spec = get_synthetic_spec(preset) if isinstance(preset, str) else preset
    if overrides:
        spec = replace(spec, **overrides)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    g = _geometry(spec, rng)
    E_train, y_train = _draw_images(spec, g, rng, spec.n_train)
    E_test, y_test = _draw_images(spec, g, rng, spec.n_test)
    R, names, noun_class = _noun_pool(spec, g, rng)
    # The true class names' text features: the noiseless noun of each class concept (for zero-shot, Eq. 1).
    class_text = _unit(spec.modality_gap * g.o_txt + g.concepts).astype(np.float32)
    meta = {"generator": "laicpkg.features.synthetic", "seed": seed,
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.__dict__.items() if k != "extra"}}
    return LaICData(name=spec.name, class_names=list(spec.class_names), E_train=E_train, y_train=y_train,
                    E_test=E_test, y_test=y_test, R=R, nouns=names, positive_mask=noun_class >= 0,
                    noun_class=noun_class, class_text=class_text, meta=meta)


_KIND_NAMES = {"near": "near-miss", "absent": "absent concept", "generic": "generic"}


def noun_kinds(data) -> "pd.Series":
    """The kind of every noun of a synthetic pool: positive, near-miss, generic or absent concept.

    Explained in: notebooks/01_laic_problem. Read from the generator's noun names and its positive mask.
    """
    import pandas as pd

    kinds = ["positive" if data.positive_mask[i] else _KIND_NAMES.get(n.split("#")[0].split("-")[0], "other")
             for i, n in enumerate(data.nouns)]
    return pd.Series(kinds, name="kind")
