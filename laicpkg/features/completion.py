"""The completed noun pool: WordNet's 82,115 nouns, real CLIP texts where they exist, the others drawn around
their nearest real relative with the cosines real CLIP texts have at that distance.

Explained in: notebooks/08_twins ("Twins on real CLIP text") and book/implementation.md ("The real-text model").

GradNorm filters the 82,115 nouns of WordNet; real CLIP ViT-B/32 texts exist for 1,958 of their synsets
(:func:`~laicpkg.features.realtext.real_text_pool`). The *completed* pool keeps those and draws a text for every
other noun ``i`` from ``r``, its nearest synset with a real text (fewest hypernym and hyponym links, ``h`` of
them; ties to the lower pool row):

``t_i = normalise(m·μ + √(1 − m²)·(ρ_h·u_r + √(1 − ρ_h²)·z_i))``

* ``μ`` is the unit mean of the real texts and ``m`` their mean cosine with it (0.832): every text, real or
  drawn, sits in CLIP's text cone;
* ``u_r = normalise(t_r − (t_rᵀμ)μ)`` is what the relative's text says beyond that mean
  (:attr:`~laicpkg.features.realtext.RealTextPool.residuals`);
* ``z_i`` is a unit random mixture of :data:`NOISE_RANK` random mixtures of the real texts' ``u`` (their
  covariance, orthogonalised against ``u_r``), so a drawn text varies the way real texts do;
* ``ρ_h = (c_h − m·m_r) / (√(1 − m²)·√(1 − m_r²))``, clipped to [0, 1], with ``m_r`` the relative's own cosine
  with ``μ`` and ``c_h`` the mean cosine of two real texts ``h`` links apart (:func:`hop_cosines`, measured on the
  real pool itself): a drawn text is as close to its relative as real CLIP texts at that distance are to each
  other (0.86 at one link, 0.78 at two, falling to the cosine of unrelated texts, ≈ m², from about twelve).

Nothing here is fitted to a method's result; the pool's only inputs are the real texts and WordNet. The draw
uses :data:`COMPLETION_SEED` and fixed-order arithmetic (``laicpkg.utils.fixedmath``): the same pool on every
machine, shared by every twin and data seed.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..utils.fixedmath import fixed_dot, fixed_mix, fixed_orthonormal, fixed_unit
from .concepts import wordnet_graph
from .geometry import hop_distances
from .realtext import real_text_pool

__all__ = ["NOISE_RANK", "COMPLETION_SEED", "CompletedPool", "nearest_real", "hop_cosines", "completed_pool"]

#: The rank of the drawn texts' noise: random mixtures of the real texts' residual directions.
NOISE_RANK = 128
#: The seed of the completed pool's one draw.
COMPLETION_SEED = 82115


@dataclass(frozen=True)
class CompletedPool:
    """WordNet's nouns in graph order: unit texts (float32), whether each is real, its nearest real relative (a
    row of :func:`~laicpkg.features.realtext.real_text_pool`) and the links to it."""

    features: np.ndarray  # (n_synsets, 512)
    real: np.ndarray      # (n_synsets,) bool
    relative: np.ndarray  # (n_synsets,) row of the real pool
    hops: np.ndarray      # (n_synsets,) links to the relative (0 for a real text)


def _real_rows(graph) -> tuple:
    """The real pool's rows that have a WordNet synset, and those synsets' graph ids."""
    pool = real_text_pool()
    rows = [r for r, off in enumerate(pool.offsets) if off in graph.index]
    return np.asarray(rows), np.asarray([graph.index[pool.offsets[r]] for r in rows])


def nearest_real(graph=None) -> tuple:
    """For every synset of ``graph``, the nearest one with a real text: (its real-pool row, the number of
    hypernym and hyponym links between them), by one breadth-first search from all real synsets at once (a
    synset reached from several at the same distance takes the lowest pool row)."""
    graph = graph if graph is not None else wordnet_graph()
    rows, ids = _real_rows(graph)
    hops = np.full(len(graph), -1, dtype=np.int64)
    relative = np.full(len(graph), -1, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    queue = deque()
    for r, i in zip(rows[order], ids[order]):
        if hops[i] < 0:
            hops[i], relative[i] = 0, r
            queue.append(i)
    while queue:
        i = queue.popleft()
        for j in (*graph.parents[i], *graph.children[i]):
            if hops[j] < 0:
                hops[j], relative[j] = hops[i] + 1, relative[i]
                queue.append(j)
    return relative, hops


@lru_cache(maxsize=1)
def hop_cosines() -> tuple:
    """``c_h``: the mean cosine of two real texts ``h`` links apart through their common hypernyms
    (:func:`~laicpkg.features.geometry.hop_distances`), for h = 0, 1, …, the largest distance of any pair; a
    distance no pair has takes the next smaller one's value. Also returns ``m``, the real texts' mean cosine
    with their unit mean."""
    graph = wordnet_graph()
    rows, ids = _real_rows(graph)
    T = real_text_pool().features[rows]
    D = hop_distances(graph, ids)
    iu = np.triu_indices(len(rows), 1)
    cos = np.concatenate([fixed_dot(T[a], T[a + 1:]) for a in range(len(rows) - 1)])
    dist = D[iu]
    keep = np.isfinite(dist)
    dist, cos = dist[keep].astype(np.int64), cos[keep]
    sums, counts = np.bincount(dist, weights=cos), np.bincount(dist)
    c = np.empty(len(counts))
    c[0] = 1.0
    for h in range(1, len(counts)):
        c[h] = sums[h] / counts[h] if counts[h] else c[h - 1]
    pool = real_text_pool()
    return c, float(fixed_dot(pool.features, pool.mean_direction).mean())


@lru_cache(maxsize=1)
def completed_pool() -> CompletedPool:
    """The completed pool of the module docstring (computed once per process; about 0.2 GB)."""
    graph = wordnet_graph()
    pool = real_text_pool()
    rows, ids = _real_rows(graph)
    relative, hops = nearest_real(graph)
    c, m = hop_cosines()
    mu, resid = pool.mean_direction, pool.residuals
    m_r = fixed_dot(pool.features, mu)[relative]  # each relative's own cosine with μ
    rho = np.clip((c[np.minimum(hops, len(c) - 1)] - m * m_r) / (np.sqrt(1 - m * m) * np.sqrt(1 - m_r * m_r)), 0, 1)
    rng = np.random.default_rng(COMPLETION_SEED)
    basis = fixed_orthonormal(fixed_mix(rng.standard_normal((NOISE_RANK, len(pool))), resid))
    out = np.empty((len(graph), pool.features.shape[1]), dtype=np.float32)
    drawn = np.flatnonzero(hops > 0)
    for a in range(0, drawn.size, 8192):
        idx = drawn[a:a + 8192]
        u = resid[relative[idx]]
        z = fixed_mix(rng.standard_normal((idx.size, NOISE_RANK)), basis)
        z = fixed_unit(z - fixed_dot(z, u)[:, None] * u)
        r = rho[idx, None]
        out[idx] = fixed_unit(m * mu + np.sqrt(1 - m * m) * (r * u + np.sqrt(1 - r * r) * z))
    out[ids] = pool.features[rows]
    real = np.zeros(len(graph), dtype=bool)
    real[ids] = True
    for array in (out, real, relative, hops):
        array.flags.writeable = False
    return CompletedPool(out, real, relative, hops)
