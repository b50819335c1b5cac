"""The clip model: sub-modes, shared appearance modes, the image cone, texts that follow WordNet only locally.

Explained in: book/implementation.md ("The clip model").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...utils.fixedmath import fixed_dot, fixed_mix, fixed_orthonormal
from ..concepts import wordnet_graph
from .spec import TwinSpec, _directions, _unit
from .tree import _class_centres, _concepts


def nearest_class_lists(centre: np.ndarray, n: int) -> np.ndarray:
    """For every class, the ``n`` other classes whose centres are nearest (cosine), nearest first: where the
    "clip" model's leaning sub-modes and images go (fixed order; ties to the lower index)."""
    K = centre.shape[0]
    n = max(1, min(n, K - 1))
    out = np.empty((K, n), dtype=np.int64)
    for k in range(K):
        sim = fixed_dot(centre, centre[k])
        sim[k] = -np.inf
        out[k] = np.argsort(-sim, kind="stable")[:n]
    return out


def _lexical(spec: TwinSpec, C: np.ndarray, seed: int, rows=None) -> np.ndarray:
    """The "clip" model's text concepts ``L_s = normalise(c(s) + τ·ε_s/√d)`` of synsets ``rows`` (all when None):
    the tree concept with a word's own component (what a text encoder adds beyond the taxonomy). Drawn in
    fixed chunks from their own stream, so a row is the same whichever rows are asked for."""
    rng = np.random.default_rng([seed, 0x7e47])
    n, d = C.shape
    want = np.arange(n) if rows is None else np.asarray(rows)
    out = np.empty((want.size, d), dtype=np.float64)
    for a in range(0, n, 16384):
        b = min(a + 16384, n)
        eps = rng.standard_normal((b - a, d))
        sel = np.flatnonzero((want >= a) & (want < b))
        if sel.size:
            out[sel] = _unit(C[want[sel]] + spec.text_noise * eps[want[sel] - a] / np.sqrt(d))
    return out


@dataclass
class _ClipWorld:
    """One data seed of the "clip" model: offsets, class centres and texts, sub-modes, the shared basis."""

    o_img: np.ndarray
    o_txt: np.ndarray
    shared: np.ndarray
    centre: np.ndarray       # (K, d) c̄_k
    class_text: np.ndarray   # (K, d)
    near: np.ndarray         # (K, lean_partners)
    basis: np.ndarray        # (M, d) √λ_j-scaled shared directions
    sub_sem: np.ndarray      # (K, S, d) a sub-mode's concept
    sub_mode: np.ndarray     # (K, S) its appearance mode
    pool: np.ndarray         # (Q, d) the appearance modes' offsets
    sub_fine: np.ndarray     # (K, S) the fine class a sub-mode shows (position among its class's sorted synsets)
    appearance: np.ndarray   # (K, d)


def fine_synsets(graph, members: list) -> list:
    """Per class, for each of its strict hyponyms (the sorted ``hyp`` of ``members``), the position among the
    class's sorted synsets of the one it descends from (the first, where it descends from several): the fine class
    a hyponym sub-mode belongs to in a class of several synsets (CIFAR-20's superclasses)."""
    out = []
    for own, hyp in members:
        own = np.sort(own)
        inside = np.stack([np.isin(hyp, graph.hyponym_closure(int(s))) for s in own]) if own.size > 1 else None
        out.append(np.argmax(inside, axis=0) if inside is not None and hyp.size else np.zeros(hyp.size, np.int64))
    return out


def _clip_world(spec: TwinSpec, seed: int, C: np.ndarray, classes: list, members: list, rng,
                hyp_synset: list) -> _ClipWorld:
    """Draw the "clip" model's world (module docstring, "The clip model"); ``hyp_synset`` from
    :func:`fine_synsets`."""
    d, K, S = spec.dim, spec.n_classes, spec.submodes
    o_img, o_txt, shared = fixed_orthonormal(rng.standard_normal((3, d)))
    centre = _class_centres(C, classes)
    lex_rows = _lexical(spec, C, seed, np.concatenate([np.asarray(syn) for syn in classes]))  # one pass for all
    per_class = np.split(lex_rows, np.cumsum([len(syn) for syn in classes])[:-1])
    lex = _unit(np.stack([rows.mean(0) for rows in per_class]))
    class_text = _unit(spec.text_gap * o_txt + spec.shared_weight * shared + lex)
    near = nearest_class_lists(centre, spec.lean_partners)
    lam = np.arange(1, spec.basis_dim + 1, dtype=np.float64) ** -spec.basis_decay
    basis = _directions(rng, spec.basis_dim, d) * np.sqrt(lam / lam.sum())[:, None]
    pool = fixed_mix(rng.standard_normal((spec.nuisance_pool, spec.basis_dim)), basis)
    sub_sem = np.empty((K, S, d))
    sub_mode = np.empty((K, S), dtype=np.int64)
    sub_fine = np.zeros((K, S), dtype=np.int64)
    for k, (own, hyp) in enumerate(members):
        is_hyp = (rng.random(S) < spec.hyponym_share) & (hyp.size > 0)
        pick = rng.choice(hyp, S) if hyp.size else np.zeros(S, dtype=np.int64)
        base = centre[k]
        if own.size > 1:  # a class of several synsets (CIFAR-20's superclasses): a sub-mode shows one of them
            shown = rng.choice(own, S)
            base = _unit(centre[k] + spec.hyponym_weight * C[shown])
        sem = np.where(is_hyp[:, None], _unit(centre[k] + spec.hyponym_weight * C[pick]), base)
        leans = rng.random(S) < spec.submode_lean
        amount = rng.random((S, 1))
        partner = near[k, rng.integers(0, near.shape[1], S)]
        sub_sem[k] = np.where(leans[:, None], _unit((1 - amount) * sem + amount * centre[partner]), sem)
        if own.size > 1:
            sub_fine[k] = np.where(is_hyp, hyp_synset[k][np.searchsorted(hyp, pick)] if hyp.size else 0,
                                   np.searchsorted(np.sort(own), shown))
        if spec.synset_modes and own.size > 1:  # a fine class's sub-modes share its own few appearance modes
            modes = rng.integers(0, spec.nuisance_pool, (own.size, spec.synset_modes))
            sub_mode[k] = modes[sub_fine[k], rng.integers(0, spec.synset_modes, S)]
        else:
            sub_mode[k] = rng.integers(0, spec.nuisance_pool, S)
    appearance = _directions(rng, K, d)
    return _ClipWorld(o_img, o_txt, shared, centre, class_text, near, basis, sub_sem, sub_mode, pool, sub_fine,
                      appearance)


def _clip_images(spec: TwinSpec, n: int, w: _ClipWorld, rng):
    """``n`` image features of the "clip" model and their labels: an image of class ``k`` in sub-mode ``j``,
    ``x = normalise(g_i·o_img + h·m + w_s·((1 − ℓ)·s_kj + ℓ·c̄_p) + w_a·a_k + ζ·o_q(kj) + ν·Bz + σ·ε/√d)``;
    with ``image_overlap`` q, a share q of class ``k``'s images is drawn so for ``k``'s nearest class."""
    d, K, S = spec.dim, spec.n_classes, spec.submodes
    y = rng.permutation(np.arange(n) % K)
    x = np.empty((n, d), dtype=np.float32)
    for a in range(0, n, 8192):
        yb = y[a:a + 8192]
        if spec.image_overlap:  # an image that shows the most similar class (its label stays): drawn as one of it
            shows = rng.random(yb.size) < spec.image_overlap
            yb = np.where(shows, w.near[yb, 0], yb)
        j = rng.integers(0, S, yb.size)
        lean = spec.image_lean * rng.random((yb.size, 1))
        partner = w.near[yb, rng.integers(0, w.near.shape[1], yb.size)]
        sem = (1 - lean) * w.sub_sem[yb, j] + lean * w.centre[partner]
        xb = (spec.image_gap * w.o_img + spec.shared_weight * w.shared + spec.semantic_weight * sem
              + spec.appearance_weight * w.appearance[yb] + spec.mode_offset * w.pool[w.sub_mode[yb, j]]
              + spec.mode_noise * fixed_mix(rng.standard_normal((yb.size, spec.basis_dim)), w.basis)
              + spec.image_noise * rng.standard_normal((yb.size, d)) / np.sqrt(d))
        x[a:a + yb.size] = _unit(xb)
    return x, y.astype(np.int64)


def draw_clip_world(spec: TwinSpec, seed: int, classes: list, closures: list):
    """One data seed's concepts ``C`` and clip world, the classes' (synsets, strict hyponyms) ``members``, and the
    generator, positioned to draw the images: (world, members, C, rng)."""
    rng = np.random.default_rng([seed, 0xc11b])
    C = _concepts(spec.dim, spec.spread, seed)
    members = [(np.asarray(syn), np.setdiff1d(cl, syn)) for syn, cl in zip(classes, closures)]
    w = _clip_world(spec, seed, C, classes, members, rng, fine_synsets(wordnet_graph(), members))
    return w, members, C, rng


def _clip_twin(spec: TwinSpec, seed: int, test_only: bool, classes: list, closures: list):
    """Features of the "clip" model (``classes``: each class's synsets, ``closures``: their positives):
    (E_train, y_train, E_test, y_test, R, class_text)."""
    w, members, C, rng = draw_clip_world(spec, seed, classes, closures)
    E_test, y_test = _clip_images(spec, spec.n_test, w, rng)
    if test_only:
        return E_test[:0], y_test[:0], E_test, y_test, None, w.class_text
    E_train, y_train = _clip_images(spec, spec.n_train, w, rng)
    R = np.empty(C.shape, dtype=np.float32)
    lex = _lexical(spec, C, seed)
    for a in range(0, len(C), 16384):
        b = min(a + 16384, len(C))
        R[a:b] = _unit(spec.text_gap * w.o_txt + spec.shared_weight * w.shared + lex[a:b])
    return E_train, y_train, E_test, y_test, R, w.class_text
