"""Concept geometry from WordNet: a vector for every noun synset, built down the hypernym tree.

Explained in: notebooks/01_laic_problem (what synthetic twins model) and book/implementation.md.

The package ships WordNet 3.0's noun hypernym graph (``data/wordnet_noun_hypernyms.tsv.gz``,
written by ``laic nouns`` beside the senses file): 82,115 synsets, each with its hypernyms
and instance hypernyms, a DAG rooted at "entity". :func:`concept_vectors` gives every
synset a unit vector, parents before children:

``c_root = u``, ``c_s = normalise(mean_{p ∈ parents(s)} c_p + spread · z_s / √d)``

with ``u`` and every ``z_s`` independent standard normal vectors. A child's cosine to its
parent is about ``1/√(1 + spread²)``; similarity decays with the length of the path through
the nearest common hypernym, so siblings are close, cousins less, and unrelated branches of
the tree nearly orthogonal. ``spread`` is the one parameter of the geometry.

:class:`WordNetGraph` answers the questions the twins need: the synsets of a lemma, the
children, the hyponym closure of a synset (the ground-truth positives of a class), depth.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ..utils.errors import UnknownNameError
from ..utils.fixedmath import fixed_dot
from .nouns import HYPERNYMS_FILE, _senses

__all__ = ["WordNetGraph", "wordnet_graph", "concept_vectors"]


@dataclass(frozen=True, eq=False)
class WordNetGraph:
    """WordNet's noun synsets (in the order of the senses file) and their hypernym edges.

    Attributes
    ----------
    offsets : tuple of str — synset offsets (8 digits), index = synset id
    lemmas : tuple of tuple of str — the lemmas of each synset, WordNet's order (the first names it)
    parents : tuple of ndarray — hypernym ids of each synset (empty for the root)
    """

    offsets: tuple
    lemmas: tuple
    parents: tuple

    def __len__(self) -> int:
        return len(self.offsets)

    @cached_property
    def index(self) -> dict:
        return {o: i for i, o in enumerate(self.offsets)}

    @cached_property
    def children(self) -> tuple:
        kids = [[] for _ in self.offsets]
        for i, ps in enumerate(self.parents):
            for p in ps:
                kids[p].append(i)
        return tuple(np.asarray(k, dtype=np.int64) for k in kids)

    @cached_property
    def order(self) -> np.ndarray:
        """Synset ids with every parent before its children (Kahn's algorithm)."""
        waiting = np.array([len(p) for p in self.parents])
        queue = list(np.flatnonzero(waiting == 0))
        out = []
        while queue:
            i = queue.pop()
            out.append(i)
            for c in self.children[i]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    queue.append(c)
        if len(out) != len(self):
            raise ValueError("the hypernym graph has a cycle")
        return np.asarray(out, dtype=np.int64)

    @cached_property
    def depth(self) -> np.ndarray:
        """Length of the longest hypernym path from the root (the root has depth 0)."""
        d = np.zeros(len(self), dtype=np.int64)
        for i in self.order:
            if len(self.parents[i]):
                d[i] = 1 + d[self.parents[i]].max()
        return d

    @cached_property
    def _by_lemma(self) -> dict:
        out: dict = {}
        for i, names in enumerate(self.lemmas):
            for name in names:
                out.setdefault(name.lower().replace(" ", "_"), []).append(i)
        return out

    def synsets(self, lemma: str) -> list:
        """Ids of the synsets that have ``lemma`` (case and spaces ignored), in WordNet's order."""
        found = self._by_lemma.get(lemma.lower().replace(" ", "_"))
        if not found:
            raise UnknownNameError(f"{lemma!r} is not a WordNet noun")
        return list(found)

    def synset(self, key: str) -> int:
        """A synset id from its offset ("02085620") or ImageNet id ("n02085620")."""
        if key.startswith("n") and key[1:].isdigit():
            key = key[1:]
        if not key.isdigit() or key.zfill(8) not in self.index:
            raise UnknownNameError(f"no noun synset with offset {key!r} (give an 8-digit offset or an ImageNet "
                                   "id like n02085620)")
        return self.index[key.zfill(8)]

    def path_names(self, i: int) -> list:
        """First lemmas from the root down to synset ``i`` along first hypernyms (to tell senses apart)."""
        out = [self.name(i)]
        while len(self.parents[i]):
            i = int(self.parents[i][0])
            out.append(self.name(i))
        return out[::-1]

    def name(self, i: int) -> str:
        """The first lemma of synset ``i``, with spaces."""
        return self.lemmas[i][0].replace("_", " ")

    def hyponym_closure(self, i: int) -> np.ndarray:
        """Synset ``i`` and every synset below it (hyponyms and instances, at any depth), sorted."""
        seen = {int(i)}
        stack = [int(i)]
        while stack:
            for c in self.children[stack.pop()]:
                if int(c) not in seen:
                    seen.add(int(c))
                    stack.append(int(c))
        return np.asarray(sorted(seen), dtype=np.int64)


@lru_cache(maxsize=1)
def wordnet_graph() -> WordNetGraph:
    """The shipped WordNet 3.0 noun graph (read once per process)."""
    lemmas: dict = {}
    for off, _, lemma in _senses():
        lemmas.setdefault(off, []).append(lemma)
    offsets = tuple(lemmas)
    index = {o: i for i, o in enumerate(offsets)}
    parents = [np.zeros(0, dtype=np.int64)] * len(offsets)
    with gzip.open(HYPERNYMS_FILE, "rt", encoding="utf-8") as fh:
        for line in fh:
            off, hyper = line.rstrip("\n").split("\t")
            if hyper:
                parents[index[off]] = np.asarray([index[h] for h in hyper.split(",")], dtype=np.int64)
    return WordNetGraph(offsets, tuple(tuple(v) for v in lemmas.values()), tuple(parents))


def concept_vectors(graph: WordNetGraph, dim: int = 512, *, spread: float = 0.5, seed: int = 0) -> np.ndarray:
    """A unit vector for every synset, drawn down the hypernym tree (see the module docstring).

    Computed in float64 with fixed-order arithmetic (:mod:`laicpkg.utils.fixedmath`, no BLAS) and rounded to
    float32 once, so the same seed gives the same bits on every CPU and thread count.
    Returns an (n_synsets, dim) float32 array whose row ``i`` is synset ``i``'s concept.
    """
    rng = np.random.default_rng(seed)
    root = rng.standard_normal(dim)
    noise = rng.standard_normal((len(graph), dim))
    noise *= spread / np.sqrt(dim)
    out = np.empty((len(graph), dim), dtype=np.float64)
    for i in graph.order:
        ps = graph.parents[i]
        if len(ps) == 0:
            v = root
        else:
            v = out[ps[0]].copy()
            for p in ps[1:]:  # the parents' mean, summed in a fixed order
                v += out[p]
            v /= len(ps)
            v += noise[i]
        out[i] = v / np.sqrt(fixed_dot(v, v))
    return out.astype(np.float32)
