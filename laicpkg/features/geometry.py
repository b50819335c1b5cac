"""CLIP's geometry, measured: the statistics that say how image and text features lie, on real CLIP features and
on a synthetic twin alike.

Explained in: notebooks/08_twins ("What the twins model").

A twin reproduces two accuracies of its dataset by calibration (CLIP k-means and zero-shot); whether it also
has CLIP's *geometry* is a separate question, answered by these statistics:

* the **cone**: the mean cosine between two image features, and the norm of the mean unit image feature
  (CLIP's image features all lie in a narrow cone, "Mind the Gap", Liang et al., NeurIPS 2022, Sec. 3);
* the **effective dimension**: the participation ratio ``(Σλ)² / Σλ²`` of the image features' covariance
  spectrum (how many directions carry the variance);
* **local purity** and **linear separability**: the accuracy of the 1-nearest-neighbour classifier and of a
  linear probe (logistic regression) from the train to the test split;
* **image–text alignment**: the mean cosine of an image with its own class text and with the other classes'
  texts;
* **text geometry**: the mean cosine between the texts of different concepts, the texts' participation
  ratio, and how strongly text cosine follows the WordNet tree (Spearman correlation with −(hop distance)).

:func:`reference_statistics` computes them on the real CLIP features shipped in
``laicpkg/features/data/clip_reference`` (their README gives source, commit and licence of each file);
:data:`laicpkg.catalog.geometry.GEOMETRY_TARGETS` states each target with its source and tolerance.
"""
from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from ..core.kmeans import KMeans
from ..core.metrics import cluster_matching
from .concepts import wordnet_graph

__all__ = ["REFERENCE_DIR", "mean_pairwise_cosine", "mean_vector_norm", "participation_ratio",
           "class_text_cosines", "nn_accuracy", "linear_probe_accuracy", "hop_distances", "wordnet_dependence",
           "lvis_reference", "reference_statistics", "image_geometry", "text_geometry", "table_sample",
           "image_text_table"]

REFERENCE_DIR = Path(__file__).parent / "data" / "clip_reference"


def _unit(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def mean_pairwise_cosine(X) -> float:
    """Mean cosine over all pairs of distinct rows, ``(‖Σ x̂_i‖² − n) / (n(n − 1))`` for unit rows x̂."""
    U = _unit(X)
    n = U.shape[0]
    s = U.sum(axis=0)
    return float((s @ s - n) / (n * (n - 1)))


def mean_vector_norm(X) -> float:
    """Norm of the mean of the unit rows (1: all equal; 0: no common direction)."""
    return float(np.linalg.norm(_unit(X).mean(axis=0)))


def participation_ratio(X) -> float:
    """``(Σλ)² / Σλ²`` of the eigenvalues λ of the rows' covariance: the number of directions that carry the
    variance (d for isotropic noise, 1 for a line)."""
    U = _unit(X)
    C = np.cov(U, rowvar=False)
    lam = np.clip(np.linalg.eigvalsh(C), 0.0, None)
    return float(lam.sum() ** 2 / (lam ** 2).sum())


def class_text_cosines(E, y, T) -> tuple[float, float]:
    """Mean cosine of each image with its own class text, and with every other class text."""
    S = _unit(E) @ _unit(T).T
    y = np.asarray(y)
    own = S[np.arange(S.shape[0]), y]
    others = (S.sum(axis=1) - own) / (S.shape[1] - 1)
    return float(own.mean()), float(others.mean())


def nn_accuracy(E_train, y_train, E_test, y_test, k: int = 1) -> float:
    """Accuracy (percent) of the k-nearest-neighbour vote by cosine from the train to the test split (faiss)."""
    import faiss

    index = faiss.IndexFlatIP(E_train.shape[1])
    index.add(np.ascontiguousarray(_unit(E_train), dtype=np.float32))
    _, nb = index.search(np.ascontiguousarray(_unit(E_test), dtype=np.float32), k)
    votes = np.asarray(y_train)[nb]
    pred = votes[:, 0] if k == 1 else np.array([np.bincount(v).argmax() for v in votes])
    return 100.0 * float(np.mean(pred == np.asarray(y_test)))


def linear_probe_accuracy(E_train, y_train, E_test, y_test) -> float:
    """Accuracy (percent) on the test split of a multinomial logistic regression (scikit-learn's L-BFGS, C = 1)
    fitted to the unit train features: the linear probe of the reference figures in :data:`PROBE_TARGETS`."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=1000).fit(_unit(E_train), np.asarray(y_train))
    return 100.0 * float(np.mean(clf.predict(_unit(E_test)) == np.asarray(y_test)))


def _ancestors(graph, i: int) -> dict:
    """Every hypernym ancestor of synset ``i`` (and ``i`` itself) with its distance in hypernym steps."""
    dist = {int(i): 0}
    queue = deque([int(i)])
    while queue:
        a = queue.popleft()
        for p in graph.parents[a]:
            if int(p) not in dist:
                dist[int(p)] = dist[a] + 1
                queue.append(int(p))
    return dist


def hop_distances(graph, ids) -> np.ndarray:
    """Shortest path lengths between the synsets ``ids`` through their common hypernyms (inf if none)."""
    up = [_ancestors(graph, i) for i in ids]
    n = len(ids)
    D = np.full((n, n), np.inf)
    for a in range(n):
        D[a, a] = 0
        for b in range(a + 1, n):
            common = up[a].keys() & up[b].keys()
            if common:
                D[a, b] = D[b, a] = min(up[a][c] + up[b][c] for c in common)
    return D


def wordnet_dependence(T, D, far: int = 13) -> dict:
    """How strongly text cosine follows the WordNet tree: Spearman of the pairwise cosines of ``T``'s rows with
    −(hop distance) ``D``, the share of the cosines' variance explained by the distance (η²), and the mean
    cosine of pairs at least ``far`` hops apart."""
    from scipy.stats import spearmanr

    S = _unit(T) @ _unit(T).T
    iu = np.triu_indices(S.shape[0], 1)
    cos, dist = S[iu], D[iu]
    keep = np.isfinite(dist)
    cos, dist = cos[keep], dist[keep]
    groups = [cos[dist == h] for h in np.unique(dist)]
    eta2 = sum(g.size * (g.mean() - cos.mean()) ** 2 for g in groups) / (cos.size * cos.var())
    return {"spearman": float(spearmanr(cos, -dist)[0]), "eta2": float(eta2),
            "mean_cos_far": float(cos[dist >= far].mean()) if (dist >= far).any() else float("nan"),
            "pairs": int(cos.size)}


@dataclass(frozen=True)
class LVISReference:
    """The shipped LVIS text features with their WordNet synsets (``lvis1203_synsets.tsv``)."""

    features: np.ndarray  # (1203, 512) float32, as shipped (not normalised)
    names: tuple
    offsets: tuple        # WordNet 3.0 offsets ("" where LVIS names a synset WordNet 3.0 lacks)
    senses: np.ndarray    # noun senses of each synset's lemma

    def single_sense(self) -> np.ndarray:
        """Rows whose lemma has exactly one noun sense (their synset is unambiguous): 628 of 1,203."""
        return np.flatnonzero((self.senses == 1) & np.array([bool(o) for o in self.offsets]))


@lru_cache(maxsize=1)
def lvis_reference() -> LVISReference:
    """The shipped real CLIP ViT-B/32 text features of the LVIS categories and their synsets."""
    feats = np.load(REFERENCE_DIR / "lvis1203_vitb32_text_a.npy").astype(np.float32)
    with open(REFERENCE_DIR / "lvis1203_synsets.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return LVISReference(feats, tuple(r["name"] for r in rows), tuple(r["offset"] for r in rows),
                         np.array([int(r["noun_senses"]) for r in rows]))


def image_geometry(E_train, y_train, E_test, y_test, class_text) -> dict:
    """The image-side statistics of one dataset (its test split, and the train split for the 1-NN)."""
    own, other = class_text_cosines(E_test, y_test, class_text)
    return {"image-image cosine": mean_pairwise_cosine(E_test), "norm of the mean image": mean_vector_norm(E_test),
            "image participation ratio": participation_ratio(E_test), "1-NN accuracy": nn_accuracy(
                E_train, y_train, E_test, y_test), "image-own class text cosine": own,
            "image-other class text cosine": other}


def text_geometry(T, D) -> dict:
    """The text-side statistics of rows ``T`` whose WordNet hop distances are ``D``."""
    dep = wordnet_dependence(T, D)
    return {"text-text cosine": mean_pairwise_cosine(T), "text participation ratio": participation_ratio(T),
            "Spearman(text cosine, -hops)": dep["spearman"], "text cosine, >= 13 hops": dep["mean_cos_far"]}


@lru_cache(maxsize=1)
def reference_statistics() -> dict:
    """The statistics on the shipped real CLIP features: image side from 500 COCO images and their captions
    (ViT-B/16), text side from the LVIS class prompts (ViT-B/32) on the 628 unambiguous synsets."""
    img, cap = np.load(REFERENCE_DIR / "coco500_vitb16_image_text.npy")
    own, other = class_text_cosines(img, np.arange(img.shape[0]), cap)  # each image's own caption vs the others
    lvis = lvis_reference()
    rows = lvis.single_sense()
    graph = wordnet_graph()
    D = hop_distances(graph, [graph.index[lvis.offsets[r]] for r in rows])
    out = {"image-image cosine": mean_pairwise_cosine(img), "norm of the mean image": mean_vector_norm(img),
           "image participation ratio": participation_ratio(img), "image-own class text cosine": own,
           "image-other class text cosine": other}
    out.update(text_geometry(lvis.features[rows], D))
    return out


def table_sample(y, per_class: int = 50) -> np.ndarray:
    """The images of :func:`image_text_table`'s protocol: the first ``per_class`` of every class, in order."""
    y = np.asarray(y)
    return np.concatenate([np.flatnonzero(y == k)[:per_class] for k in np.unique(y)])


def image_text_table(E, y, T, *, kmeans_seeds: int = 10) -> dict:
    """The statistics of :data:`laicpkg.catalog.geometry.REAL_CIFAR10` on image features ``E`` (labels ``y``) and
    class texts ``T``: zero-shot ACC (Eq. 1), the mean image–image cosine over all, same-class and other-class pairs, the mean
    cosine of an image with its own and with the other class texts, the leave-one-out 1-NN ACC, the
    participation ratio, and how often zero-shot errs on the images spherical k-means (K classes, one fit per
    seed, matched by the Hungarian method) gets wrong and right — the error complementarity of the two."""
    U, y = _unit(E), np.asarray(y)
    n, K = U.shape[0], int(y.max()) + 1
    G = U @ U.T
    off = ~np.eye(n, dtype=bool)
    same = (y[:, None] == y[None]) & off
    zs_right = (U @ _unit(T).T).argmax(axis=1) == y
    own, other = class_text_cosines(U, y, T)
    np.fill_diagonal(G, -np.inf)
    wrong_given = {True: [], False: []}
    for seed in range(kmeans_seeds):
        labels = KMeans(K, spherical=True, niter=50, nredo=1, random_state=seed).fit(U.astype(np.float32)).labels_
        match = cluster_matching(y, labels)
        km_right = np.array([match.get(int(c), -1) for c in labels]) == y
        for right in (True, False):
            if (km_right == right).any():
                wrong_given[right].append(100.0 * float(np.mean(~zs_right[km_right == right])))
    return {"zero-shot ACC": 100.0 * float(zs_right.mean()), "image-image cosine": mean_pairwise_cosine(U),
            "same-class image cosine": float(G[same].mean()),
            "other-class image cosine": float(G[(y[:, None] != y[None])].mean()),
            "image-own class text cosine": own, "image-other class text cosine": other,
            "leave-one-out 1-NN ACC": 100.0 * float(np.mean(y[G.argmax(axis=1)] == y)),
            "participation ratio": participation_ratio(U),
            "P(zero-shot wrong | k-means wrong)": _mean_or_nan(wrong_given[False]),
            "P(zero-shot wrong | k-means right)": _mean_or_nan(wrong_given[True])}


def _mean_or_nan(values) -> float:
    """The mean, or NaN where there is nothing to average (k-means never wrong, or never right)."""
    return float(np.mean(values)) if len(values) else float("nan")
