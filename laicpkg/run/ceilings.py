"""What a dataset lets Stage 2 show: Stage 2 fed the right nouns, and fed random ones.

Explained in: notebooks/08_twins ("Can a twin tell the filters apart?").

GradNorm and TAC differ only in Stage 1, the noun filter; Stage 2 (GradNorm Eq. 9 and the final k-means on
``[e; v]``, Sec. 4) is the same. A filter can only show its worth in accuracy if Stage 2 rewards good nouns: if
Stage 2 fed the class names, or every ground-truth positive, clusters no better than Stage 2 fed random nouns,
no filter can beat another on that data. :func:`stage2_ceilings` measures both ends on a dataset's test split:

* ``class names``: ``D_pos`` = the class-name texts (an oracle filter that keeps exactly the K names);
* ``all positives``: ``D_pos`` = every noun of the pool that is a positive of some class;
* ``random nouns``: ``D_pos`` = as many nouns as there are positives, drawn uniformly from the pool (mean over
  ``draws``);

beside CLIP k-means on ``e`` alone and zero-shot (Eq. 1). Every Stage 2 uses GradNorm's κ and final k-means.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..core.counterparts import KAPPA, concat_features, final_clustering, text_counterparts
from ..core.metrics import cluster_accuracy
from ..core.zeroshot import zero_shot_predict
from ..features.twins import make_twin
from ..features.twins.spec import model_of
from ..utils.atomic import atomic_open
from ..utils.errors import ParameterError

__all__ = ["stage2_accuracy", "stage2_ceilings", "twin_ceilings", "ceilings_table", "cohesion", "stage2_objectives",
           "twin_objectives", "objectives_table"]


def _stage2(data, R_pos, seed: int, kappa: float = KAPPA) -> tuple:
    """GradNorm's Stage 2 on ``data``'s test split with the noun features ``R_pos`` as D_pos: ``[e; v]`` (Eq. 9)
    and the final k-means' labels."""
    X = concat_features(data.E_test, text_counterparts(data.E_test, R_pos, kappa))
    return X, final_clustering(X, data.n_classes, random_state=seed)


def stage2_accuracy(data, R_pos, *, seed: int = 0, kappa: float = KAPPA) -> float:
    """ACC (percent) of GradNorm's Stage 2 on ``data``'s test split with the noun features ``R_pos`` as D_pos."""
    return 100.0 * cluster_accuracy(data.y_test, _stage2(data, R_pos, seed, kappa)[1])


def stage2_ceilings(data, *, seed: int = 0, draws: int = 3) -> dict:
    """ACC (percent) on ``data``'s test split of CLIP k-means, zero-shot, and Stage 2 with the class names, with
    every positive noun and with random nouns (module docstring); ``n_positives`` says how many nouns the last
    two use. Needs a dataset with known positives and class texts (a twin)."""
    if data.positive_mask is None or data.class_text is None:
        raise ParameterError(f"{data.name}: Stage 2's ceilings need the positive nouns and the class texts")
    positives = np.flatnonzero(data.positive_mask)
    rng = np.random.default_rng([seed, 0x5ce1])
    random = [stage2_accuracy(data, data.R[np.sort(rng.choice(len(data.R), positives.size, replace=False))],
                              seed=seed) for _ in range(draws)]
    kmeans = final_clustering(data.E_test, data.n_classes, random_state=seed)
    return {"CLIP k-means": 100.0 * cluster_accuracy(data.y_test, kmeans),
            "zero-shot": 100.0 * cluster_accuracy(data.y_test, zero_shot_predict(data.E_test, data.class_text)),
            "class names": stage2_accuracy(data, data.class_text, seed=seed),
            "all positives": stage2_accuracy(data, data.R[positives], seed=seed),
            "random nouns": float(np.mean(random)), "random nouns (sd)": float(np.std(random, ddof=1)),
            "n_positives": int(positives.size)}


def twin_ceilings(spec, seed: int) -> dict:
    """:func:`stage2_ceilings` of a twin (a TwinSpec) on data seed ``seed``; the train split, which Stage 2's
    ceilings do not read, is drawn at its smallest (one image per class)."""
    return stage2_ceilings(make_twin(spec, seed=seed, n_train=spec.n_classes), seed=seed)


def _twin_table(measure, desc: str, specs, seeds, path=None, progress: bool = True) -> pd.DataFrame:
    """``measure(spec, seed) -> dict`` of every twin in ``specs`` on every data seed, one row per (twin, model,
    seed). With ``path`` (a CSV) the rows already there are kept and each new row is added to the file as soon
    as it is measured (written whole to a temporary file and renamed): an interrupted run resumes."""
    keys = ["twin", "model", "data seed"]
    done = pd.read_csv(path) if path is not None and Path(path).is_file() else pd.DataFrame(columns=keys)
    have = {tuple(r) for r in done[keys].itertuples(index=False)}
    todo = [(spec, s) for spec in specs for s in seeds if (spec.name, model_of(spec), s) not in have]
    rows = done.to_dict("records")
    for spec, seed in tqdm(todo, desc=desc, unit="twin", disable=not progress):
        rows.append({"twin": spec.name, "model": model_of(spec), "data seed": seed, **measure(spec, seed)})
        if path is not None:
            with atomic_open(path, "w") as fh:
                pd.DataFrame(rows).to_csv(fh, index=False)
    want = {(spec.name, model_of(spec), s) for spec in specs for s in seeds}
    table = pd.DataFrame(rows)
    return table[[tuple(r) in want for r in table[keys].itertuples(index=False)]].reset_index(drop=True)


def ceilings_table(specs, seeds, path=None, progress: bool = True) -> pd.DataFrame:
    """Stage 2's ceilings (:func:`twin_ceilings`) of every twin in ``specs`` (TwinSpecs) on every data seed, one
    row per (twin, model, seed); resumable through ``path`` (:func:`_twin_table`)."""
    return _twin_table(twin_ceilings, "Stage 2 ceilings", specs, seeds, path, progress)


def cohesion(X: np.ndarray, labels: np.ndarray) -> float:
    """Spherical k-means' objective of a partition: the mean cosine of each unit row of ``X`` to its cluster's mean
    direction, (1/n)·Σ_k ‖Σ_{i in k} x̂_i‖ (the final k-means of GradNorm's Stage 2 keeps the restart that
    maximises it)."""
    X = np.asarray(X, dtype=np.float64)
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    sums = np.zeros((int(labels.max()) + 1, X.shape[1]))
    np.add.at(sums, labels, X)
    return float(np.linalg.norm(sums, axis=1).sum() / len(X))


def stage2_objectives(data, *, seed: int = 0) -> dict:
    """Stage 2 fed the class names on ``data``'s test split: spherical k-means' objective (:func:`cohesion`) on
    ``[e; v]`` of the partition its restarts find, of zero-shot's partition and of the true classes, with the
    ACC of the first two. Where the true classes score lower than zero-shot's partition, the objective Stage 2
    maximises ranks zero-shot's answer above the right one."""
    X, found = _stage2(data, data.class_text, seed)
    zs = zero_shot_predict(data.E_test, data.class_text)
    return {"objective, k-means found": cohesion(X, found), "objective, zero-shot": cohesion(X, zs),
            "objective, true classes": cohesion(X, data.y_test),
            "ACC, k-means found": 100.0 * cluster_accuracy(data.y_test, found),
            "ACC, zero-shot": 100.0 * cluster_accuracy(data.y_test, zs)}


def twin_objectives(spec, seed: int) -> dict:
    """:func:`stage2_objectives` of a twin on data seed ``seed`` (train split at its smallest)."""
    return stage2_objectives(make_twin(spec, seed=seed, n_train=spec.n_classes), seed=seed)


def objectives_table(specs, seeds, path=None, progress: bool = True) -> pd.DataFrame:
    """:func:`twin_objectives` of every twin in ``specs`` on every data seed, one row per (twin, model, seed);
    resumable through ``path`` (:func:`_twin_table`)."""
    return _twin_table(twin_objectives, "Stage 2 objectives", specs, seeds, path, progress)
