"""The "real" twin model: real CLIP text, images drawn around it.

Explained in: notebooks/08_twins ("Twins on real CLIP text") and book/implementation.md ("Synthetic twins").

The nouns are the real CLIP ViT-B/32 texts of :func:`~laicpkg.features.realtext.real_text_pool` (1,959 nouns,
one per WordNet synset), and a class's text is its name's real text
(:func:`~laicpkg.features.realtext.real_class_rows`). Only the images are drawn. With ``μ`` the unit mean of the
pool's texts and ``r(t) = normalise(t − (tᵀμ)μ)`` what a text says beyond that mean, an image of class ``k``:

``x = normalise(c_t·μ + g_i·o + w_s·s + w_a·a + ζ·o_q + ν·Bz + σ·ε/√d + τ_a·Tz')``

* ``s`` is the class's own ``r(t_k)`` or, with probability ``hyponym_share``, ``normalise(r(t_k) + η·r(t_h))``
  for a real text ``t_h`` among the class's positives (a Chihuahua among dogs: its image sits near "Chihuahua"
  as well as near "dog", as real CLIP images do); the image leans toward the class whose text is nearest,
  ``s ← (1 − ℓ)·s + ℓ·r(t_p)``, ``ℓ = ρ_i·U(0, 1)``;
* ``a = (1 − ℓ)·a_k' + ℓ·a_p`` the class's appearance direction, where ``k' = k`` or, with probability
  ``image_overlap``, one of the ``lean_partners`` classes nearest in text: an image that looks like another
  class, its label kept;
* ``c_t·μ`` (``text_mean``) gives every image CLIP's cosine to any text; ``g_i·o`` (``image_gap``) the image
  cone; ``o_q`` one of ``nuisance_pool`` appearance modes shared by all classes and ``ν·Bz`` an image's
  own spread on the same ``basis_dim`` directions (variances ``∝ j^−basis_decay``); ``σ·ε/√d`` isotropic noise;
* ``τ_a·Tz'`` (``aligned_noise``) noise inside the text subspace: 64 random mixtures of the pool's ``r(t)``
  (covariance that of the real texts), so part of an image's noise moves its cosines to the texts.


``o``, the ``a_k`` and the basis ``B`` are drawn orthogonal to ``μ`` and the class texts: what sets an image's
cosines to the class texts (zero-shot) is its semantic part, its lean and its noise, not a data seed's draw of
directions that carry no meaning.

Every parameter is fitted to CLIP's own measurements on real CIFAR-10 features (``laic calibrate --model real``;
the targets in :data:`~laicpkg.catalog.geometry.REAL_CIFAR10`), never to a LaIC method. Arithmetic is in
float64 in a fixed order (``laicpkg.utils.fixedmath``), so a data seed gives the same features on every machine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...utils.errors import ParameterError
from ...utils.fixedmath import fixed_dot, fixed_mix, fixed_orthonormal, fixed_unit
from ..realtext import real_class_rows, real_text_pool, text_residuals
from ..completion import completed_pool
from .clip import nearest_class_lists
from .spec import TwinSpec

#: Datasets whose every class name has a real CLIP text. CIFAR-20 is not one: its superclasses are no single
#: nouns, and two of them (people, trees) have no real text of any of their classes in the pool.
REAL_DATASETS = ("cifar10", "stl10", "imagenet10", "imagenet-dogs")

#: Datasets whose class names have (almost) no real CLIP text: the real model draws their images around the
#: completed pool's texts of their class synsets (:mod:`~laicpkg.features.completion`; real where one exists,
#: 6 % of DTD's 47 synsets, 26 % of UCF-101's 101, 57 % of CIFAR-20's 100) and so only with that pool
#: (``LAIC_TWIN_MODEL=real-completed``). A class of several synsets (a CIFAR-20 superclass: five CIFAR-100
#: classes) has the unit mean of their texts as its class text, and each of its images shows one of the synsets.
COMPLETED_DATASETS = ("cifar20", "dtd", "ucf101")

#: Random mixtures of the pool's texts spanning the aligned noise.
TEXT_NOISE_RANK = 64


def _without(V: np.ndarray, span: np.ndarray) -> np.ndarray:
    """The rows of ``V`` less their components in the orthonormal ``span``, made unit."""
    V = np.array(V, dtype=np.float64)
    for u in span:
        V -= fixed_dot(V, u)[:, None] * u
    return fixed_unit(V)


@dataclass
class RealWorld:
    """One data seed of the "real" model: class texts and directions, anchors, the shared basis and noise."""

    mu: np.ndarray           # (d,) unit mean of the pool's texts
    o_img: np.ndarray        # (d,) the image offset, ⟂ μ
    class_text: np.ndarray   # (K, d) real class texts
    class_dir: np.ndarray    # (K, d) r(t_k)
    synset_dir: list         # per class, r(t) of each of its synsets' texts where it has several, else None
    anchors: list            # per class, the pool rows of its positives
    pool_dir: np.ndarray     # (n_pool, d) r(t) of the pool
    nearest: np.ndarray      # (K, lean_partners) classes nearest in text, nearest first
    appearance: np.ndarray   # (K, d)
    basis: np.ndarray        # (M, d) √λ-scaled shared directions
    modes: np.ndarray        # (Q, d) appearance modes
    text_basis: np.ndarray   # (TEXT_NOISE_RANK, d) mixtures of the pool's r(t)


def _class_texts(spec, graph) -> tuple:
    """The texts of ``spec``'s class names and, per class, its synsets' texts where it has several (else None):
    the real texts (:func:`~laicpkg.features.realtext.real_class_rows`), or for a dataset of
    :data:`COMPLETED_DATASETS` with the completed pool, the pool's texts of the class synsets (their unit mean
    for a class of several)."""
    if spec.dataset in REAL_DATASETS:
        return real_class_rows(spec.dataset, [wnids[0] for _, wnids in spec.classes]), [None] * spec.n_classes
    if spec.dataset not in COMPLETED_DATASETS or spec.noun_pool != "completed":
        raise ParameterError(f"{spec.name}: the 'real' twin model needs real CLIP texts of the class names; "
                             f"{spec.dataset} has none (real-text datasets: {', '.join(REAL_DATASETS)}; "
                             f"{', '.join(COMPLETED_DATASETS)} only with LAIC_TWIN_MODEL=real-completed)")
    pool = completed_pool().features
    texts = [np.asarray(pool[[graph.synset(w) for w in wnids]], dtype=np.float64) for _, wnids in spec.classes]
    class_text = fixed_unit(np.stack([t.sum(axis=0) for t in texts]))
    return class_text, [t if len(t) > 1 else None for t in texts]


def real_nouns(closures, graph):
    """The pool's names and, per noun, the class it is a positive of (-1: none): positives are the pool's texts
    whose synset lies in a class's hyponym ``closures`` (graph ids), as for every twin."""
    pool = real_text_pool()
    noun_class = np.full(len(pool), -1, dtype=np.int64)
    owner = {}
    for k, cl in enumerate(closures):
        for s in cl:
            owner.setdefault(graph.offsets[int(s)], k)
    for i, off in enumerate(pool.offsets):
        noun_class[i] = owner.get(off, -1)
    return list(pool.names), noun_class


def real_world(spec, seed: int, closures, graph) -> RealWorld:
    """Draw one data seed's world of the "real" model (module docstring)."""
    if spec.dim != 512:
        raise ParameterError(f"the 'real' twin model draws around real CLIP ViT-B/32 texts: dim must be 512, got "
                             f"{spec.dim}")
    pool = real_text_pool()
    rng = np.random.default_rng([seed, 0x4ea1])
    d, K = spec.dim, spec.n_classes
    mu = pool.mean_direction
    class_text, synset_texts = _class_texts(spec, graph)
    text_span = fixed_orthonormal(np.vstack([mu[None], class_text]))
    o_img = _without(rng.standard_normal((1, d)), text_span)[0]
    pool_dir = pool.residuals
    _, noun_class = real_nouns(closures, graph)
    anchors = [np.flatnonzero(noun_class == k) for k in range(K)]
    lam = np.arange(1, spec.basis_dim + 1, dtype=np.float64) ** -spec.basis_decay
    basis = _without(rng.standard_normal((spec.basis_dim, d)), text_span) * np.sqrt(lam / lam.sum())[:, None]
    modes = fixed_mix(rng.standard_normal((spec.nuisance_pool, spec.basis_dim)), basis)
    text_basis = fixed_mix(rng.standard_normal((TEXT_NOISE_RANK, len(pool))), pool_dir) / np.sqrt(len(pool))
    synset_dir = [None if t is None else text_residuals(t, mu) for t in synset_texts]
    return RealWorld(mu, o_img, class_text, text_residuals(class_text, mu), synset_dir, anchors, pool_dir,
                     nearest_class_lists(class_text, spec.lean_partners),
                     _without(rng.standard_normal((K, d)), text_span),
                     basis, modes, text_basis)


def real_images(spec, n: int, w: RealWorld, rng):
    """``n`` image features of the "real" model and their labels (module docstring)."""
    d, K = spec.dim, spec.n_classes
    y = rng.permutation(np.arange(n) % K)
    x = np.empty((n, d), dtype=np.float32)
    for a in range(0, n, 8192):
        yb = y[a:a + 8192]
        m = yb.size
        sem = w.class_dir[yb]
        if any(t is not None for t in w.synset_dir):  # an image of a class of several synsets shows one of them
            pick_synset = rng.random(m)
            for k, t in enumerate(w.synset_dir):
                rows = np.flatnonzero(yb == k)
                if t is not None and rows.size:
                    sem[rows] = t[(pick_synset[rows] * len(t)).astype(np.int64)]
        hyp = rng.random(m) < spec.hyponym_share
        pick = rng.random(m)
        for k in range(K):
            rows = np.flatnonzero(hyp & (yb == k))
            if rows.size and w.anchors[k].size:
                h = w.anchors[k][(pick[rows] * w.anchors[k].size).astype(np.int64)]
                sem[rows] = fixed_unit(w.class_dir[k] + spec.hyponym_weight * w.pool_dir[h])
        lean = spec.image_lean * rng.random((m, 1))
        partner = w.nearest[yb, 0]
        sem = (1 - lean) * sem + lean * w.class_dir[partner]
        looks = np.where(rng.random(m) < spec.image_overlap,
                         w.nearest[yb, rng.integers(0, w.nearest.shape[1], m)], yb)
        app = (1 - lean) * w.appearance[looks] + lean * w.appearance[partner]
        xb = (spec.text_mean * w.mu + spec.image_gap * w.o_img + spec.semantic_weight * sem
              + spec.appearance_weight * app + spec.mode_offset * w.modes[rng.integers(0, spec.nuisance_pool, m)]
              + spec.mode_noise * fixed_mix(rng.standard_normal((m, spec.basis_dim)), w.basis)
              + spec.image_noise * rng.standard_normal((m, d)) / np.sqrt(d)
              + spec.aligned_noise * fixed_mix(rng.standard_normal((m, TEXT_NOISE_RANK)), w.text_basis)
              / np.sqrt(TEXT_NOISE_RANK))
        x[a:a + m] = fixed_unit(xb)
    return x, y.astype(np.int64)


def _real_twin(spec: TwinSpec, seed: int, test_only: bool, closures: list, graph):
    """Features of the "real" model (:mod:`laicpkg.features.twins.real`): (E_train, y_train, E_test, y_test, R,
    class_text), R the real noun pool's texts."""
    w = real_world(spec, seed, closures, graph)
    rng = np.random.default_rng([seed, 0x4ea2])
    E_test, y_test = real_images(spec, spec.n_test, w, rng)
    if test_only:
        return E_test[:0], y_test[:0], E_test, y_test, None, w.class_text
    E_train, y_train = real_images(spec, spec.n_train, w, rng)
    if spec.noun_pool == "completed":
        return E_train, y_train, E_test, y_test, np.array(completed_pool().features), w.class_text
    return E_train, y_train, E_test, y_test, real_text_pool().features.astype(np.float32), w.class_text
