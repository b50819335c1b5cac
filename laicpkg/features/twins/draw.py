"""Drawing a twin (any model) and its ground-truth positives; the CLIP baselines on it.

Explained in: notebooks/01_laic_problem and book/implementation.md ("Synthetic twins").
"""
from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from ...utils.validation import check_int
from ..concepts import wordnet_graph
from ..container import LaICData
from .clip import _clip_twin
from .real import _real_twin, real_nouns
from .spec import TwinSpec, _check_model, _unit
from .store import get_twin
from .tree import _class_centres, _images, _world
from ...core.counterparts import final_clustering
from ...core.metrics import clustering_scores
from ...core.zeroshot import zero_shot_predict


def class_synsets(spec: TwinSpec, graph) -> list:
    """Each class's WordNet synsets (indices into ``graph``), from the twin's (name, wnids) table."""
    return [[graph.synset(w) for w in wnids] for _, wnids in spec.classes]


def class_positives(spec: str | TwinSpec, graph=None) -> list:
    """Per class of a twin, the sorted indices (WordNet synsets = rows of the noun pool) of its positives."""
    spec = get_twin(spec) if isinstance(spec, str) else spec
    graph = graph if graph is not None else wordnet_graph()
    return ground_truth_positives(graph, class_synsets(spec, graph))


def ground_truth_positives(graph, classes: list) -> list:
    """Each class's ground-truth positives: the hyponym closure of its synsets, less the closure of any other
    class's synset inside it (the more specific class owns it: UCF-101's drum does not own the bongo of
    PlayingTabla, nor parallel bars the uneven bars)."""
    closures = [np.unique(np.concatenate([graph.hyponym_closure(s) for s in syn])) for syn in classes]
    owner = {s: k for k, syn in enumerate(classes) for s in syn}
    out = []
    for k, cl in enumerate(closures):
        inner = [s for s in cl if owner.get(int(s), k) != k]
        if inner:
            cl = np.setdiff1d(cl, np.concatenate([graph.hyponym_closure(s) for s in inner]))
        out.append(cl)
    return out


def make_twin(spec: str | TwinSpec, *, seed: int = 0, test_only: bool = False, **overrides) -> LaICData:
    """Draw one twin (see the module docstring); ``test_only`` skips the train split and the nouns
    (what the baselines need, for calibration)."""
    spec = get_twin(spec) if isinstance(spec, str) else spec
    if overrides:
        spec = replace(spec, **overrides)
    seed = check_int(seed, "seed", minimum=0)
    _check_model(spec.model)
    if spec.noun_pool not in ("real", "completed") or (spec.noun_pool == "completed" and spec.model != "real"):
        raise ValueError(f"noun_pool is 'real' or 'completed' (the latter for the 'real' model); got "
                         f"{spec.noun_pool!r} with model {spec.model!r}")
    check_int(spec.synset_modes, "synset_modes", minimum=0)
    if not 0.0 <= spec.image_overlap <= 1.0:
        raise ValueError(f"image_overlap is a share of the images, in [0, 1]; got {spec.image_overlap!r}")
    graph = wordnet_graph()
    classes = class_synsets(spec, graph)
    closures = ground_truth_positives(graph, classes)
    if spec.model == "real":
        E_train, y_train, E_test, y_test, R, class_text = _real_twin(spec, seed, test_only, closures, graph)
    elif spec.model == "clip":
        E_train, y_train, E_test, y_test, R, class_text = _clip_twin(spec, seed, test_only, classes, closures)
    else:
        graph, C, o_img, o_txt, appearance, nuisance, rng = _world(spec, seed)
        # semantic synsets of a class: (the class synsets, their strict hyponyms)
        members = [(np.asarray(syn), np.setdiff1d(cl, syn)) for syn, cl in zip(classes, closures)]
        class_text = _unit(spec.modality_gap * o_txt + _class_centres(C, classes))
        E_test, y_test = _images(spec, spec.n_test, C, members, o_img, appearance, nuisance, rng)
        if not test_only:
            E_train, y_train = _images(spec, spec.n_train, C, members, o_img, appearance, nuisance, rng)
            R = np.empty_like(C)
            for a in range(0, len(graph), 16384):
                b = min(a + 16384, len(graph))
                R[a:b] = _unit(spec.modality_gap * o_txt + C[a:b]
                               + spec.text_noise * rng.standard_normal((b - a, spec.dim)) / np.sqrt(spec.dim))
    if test_only:
        E_train, y_train = E_test[:0], y_test[:0]
        R, names, noun_class = class_text, list(spec.class_names), np.arange(spec.n_classes)
    elif spec.model == "real" and spec.noun_pool == "real":
        names, noun_class = real_nouns(closures, graph)
    else:
        names = [graph.lemmas[i][0] for i in range(len(graph))]
        noun_class = np.full(len(graph), -1, dtype=np.int64)
        for k, cl in enumerate(closures):
            noun_class[cl[noun_class[cl] < 0]] = k
    meta = {"generator": "laicpkg.features.twins", "seed": seed,
            **{f.name: getattr(spec, f.name) for f in fields(spec) if f.name not in ("classes", "calibration")}}
    data = LaICData(name=spec.name, class_names=list(spec.class_names), E_train=E_train if E_train.size else E_test,
                    y_train=y_train if y_train.size else y_test, E_test=E_test, y_test=y_test, R=R, nouns=names,
                    positive_mask=noun_class >= 0, noun_class=noun_class,
                    class_text=class_text.astype(np.float32), meta=meta)
    return data


def baseline_scores(spec: TwinSpec, seed: int, methods=("kmeans", "zeroshot")) -> dict:
    """CLIP k-means and zero-shot on the twin's test split: {"kmeans": {ACC, NMI, ARI}, "zeroshot": {...}}
    (only the ``methods`` asked for; k-means with the twin's ``baseline_kmeans`` iterations and restarts)."""
    data = make_twin(spec, seed=seed, test_only=True)
    out = {}
    if "kmeans" in methods:
        niter, nredo = spec.baseline_kmeans
        km = final_clustering(data.E_test, spec.n_classes, niter=niter, nredo=nredo, max_points=256,
                              random_state=seed)
        out["kmeans"] = clustering_scores(data.y_test, km)
    if "zeroshot" in methods:
        out["zeroshot"] = clustering_scores(data.y_test, zero_shot_predict(data.E_test, data.class_text))
    return out
