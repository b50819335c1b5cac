"""The tree model: concepts down WordNet's hypernym tree, isotropic noise (the first twins).

Explained in: book/implementation.md ("Synthetic twins").
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...utils.fixedmath import fixed_dot, fixed_gram_argmax, fixed_mix
from ..concepts import concept_vectors, wordnet_graph
from .spec import TwinSpec, _directions, _unit


@lru_cache(maxsize=3)
def _concepts(dim: int, spread: float, seed: int) -> np.ndarray:
    """WordNet's concept vectors of one data seed, kept for the next twin drawn with them (calibration
    draws the same seeds dozens of times); read-only."""
    C = concept_vectors(wordnet_graph(), dim, spread=spread, seed=seed)
    C.setflags(write=False)
    return C


def _world(spec: TwinSpec, seed: int):
    """Concepts, offsets, appearance and nuisance directions of one data seed."""
    rng = np.random.default_rng([seed, 0x7717])
    graph = wordnet_graph()
    C = _concepts(spec.dim, spec.spread, seed)
    o = _directions(rng, 2, spec.dim)
    o_img, o_txt = o[0], _unit(o[1] - fixed_dot(o[1], o[0]) * o[0])
    appearance = _directions(rng, spec.n_classes, spec.dim)
    nuisance = _directions(rng, max(spec.nuisance_modes, 1), spec.dim)
    return graph, C, o_img, o_txt, appearance, nuisance, rng


def _images(spec: TwinSpec, n: int, C, members: list, o_img, appearance, nuisance, rng):
    """``n`` image features of balanced classes and their labels."""
    d, K = spec.dim, spec.n_classes
    if spec.confusion > 0:
        centre = _class_centres(C, [m[0] for m in members])
        partner = nearest_classes(centre)
        partner_terms = (spec.semantic_weight * centre[partner]
                         + spec.confusion_appearance * spec.appearance_weight * appearance[partner])
    y = rng.permutation(np.arange(n) % K)
    x = np.empty((n, d), dtype=np.float32)
    for a in range(0, n, 8192):
        yb = y[a:a + 8192]
        sub = rng.random(yb.size) < spec.hyponym_share
        sem = np.array([rng.choice(members[k][1]) if (s and members[k][1].size) else rng.choice(members[k][0])
                        for k, s in zip(yb, sub)])
        if spec.nuisance_kind == "gaussian":  # a continuous spread along the nuisance directions
            nb = fixed_mix(rng.standard_normal((yb.size, nuisance.shape[0])), nuisance) / np.sqrt(nuisance.shape[0])
        else:  # one of the nuisance modes
            nb = nuisance[rng.integers(0, nuisance.shape[0], size=yb.size)]
        strength = 1.0 - spec.ambiguity * rng.random((yb.size, 1)) if spec.ambiguity > 0 else 1.0
        cls = spec.semantic_weight * C[sem] + spec.appearance_weight * appearance[yb]
        if spec.confusion > 0 and spec.ambiguity > 0:  # what an image loses partly goes to its class's neighbour
            cls = strength * cls + spec.confusion * (1.0 - strength) * partner_terms[yb]
            strength = 1.0
        xb = (spec.modality_gap * o_img + strength * cls + spec.nuisance_weight * nb
              + spec.image_noise * rng.standard_normal((yb.size, d)) / np.sqrt(d))
        x[a:a + yb.size] = _unit(xb)
    return x, y.astype(np.int64)


def _class_centres(C: np.ndarray, classes) -> np.ndarray:
    """(K, d) unit mean concept of each class's synsets (``c̄_k``: zero-shot's class text, the lean's target)."""
    return _unit(np.stack([C[syn].mean(0) for syn in classes]))


def nearest_classes(centre: np.ndarray) -> np.ndarray:
    """For every class (row of ``centre``: the unit mean concept of its synsets), the other class whose centre
    is nearest (cosine): the class its ambiguous images lean toward when ``confusion`` > 0."""
    return fixed_gram_argmax(centre)
