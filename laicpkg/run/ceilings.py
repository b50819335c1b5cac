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

:func:`stage2_seeding` asks how much of the gap between the class names and zero-shot is the final k-means' start:
the same Stage 2 from k-means++ starts (:func:`kmeanspp_clustering`) beside the reference code's random ones.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import kmeans_plusplus
from tqdm import tqdm

from ..core.counterparts import KAPPA, concat_features, final_clustering, text_counterparts
from ..core.filters import pseudo_class_count
from ..core.gradnorm import BETA
from ..core.kmeans import KMeans
from ..core.metrics import cluster_accuracy
from ..core.zeroshot import zero_shot_predict
from ..features.twins import make_twin
from ..methods.gradnorm import GradNorm
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


def random_noun_count(data) -> int:
    """How many nouns each random set of :func:`stage2_ceilings` holds: as many as ``data``'s known positives (a
    twin), else β·C, as many as GradNorm's filter keeps at most (Sec. 5.1.2: β = 5 nouns for each of C
    pseudo-classes, C = N/600 when N/K > 600, else 3K), at most the whole pool."""
    if data.positive_mask is not None:
        return int(np.count_nonzero(data.positive_mask))
    n_train = len(data.E_train) if len(data.E_train) else len(data.E_test)
    return min(BETA * pseudo_class_count(n_train, data.n_classes, GradNorm.SAMPLES_PER_PSEUDO_CLASS), len(data.R))


def _random_nouns(data, seed: int, draws: int, n: int | None = None) -> list:
    """``draws`` random noun sets of ``data``'s pool, each of ``n`` nouns (default :func:`random_noun_count`;
    sorted rows)."""
    n = random_noun_count(data) if n is None else n
    rng = np.random.default_rng([seed, 0x5ce1])
    return [data.R[np.sort(rng.choice(len(data.R), n, replace=False))] for _ in range(draws)]


def check_ceilings_data(data) -> None:
    """Raise :class:`ParameterError` when ``data`` lacks what :func:`stage2_ceilings` reads: the class names' text
    features (``laic extract`` encodes them beside a dataset's images)."""
    if data.class_text is None:
        raise ParameterError(f"{data.name}: Stage 2's ceilings need the text features of the class names; "
                             f"`laic extract --dataset {data.name} …` encodes them beside the images")


def stage2_ceilings(data, *, seed: int = 0, draws: int = 3, n_random: int | None = None) -> dict:
    """ACC (percent) on ``data``'s test split of CLIP k-means, zero-shot, and Stage 2 with the class names, with
    every positive noun and with random nouns (module docstring): ``draws`` sets of ``n_random`` nouns each
    (default :func:`random_noun_count`); ``n_positives`` says how many positives there are. On data without
    known positives (real features) the two are NaN and only the class names and random nouns are compared."""
    check_ceilings_data(data)
    random = [stage2_accuracy(data, R, seed=seed) for R in _random_nouns(data, seed, draws, n_random)]
    kmeans = final_clustering(data.E_test, data.n_classes, random_state=seed)
    positives = None if data.positive_mask is None else np.flatnonzero(data.positive_mask)
    return {"CLIP k-means": 100.0 * cluster_accuracy(data.y_test, kmeans),
            "zero-shot": 100.0 * cluster_accuracy(data.y_test, zero_shot_predict(data.E_test, data.class_text)),
            "class names": stage2_accuracy(data, data.class_text, seed=seed),
            "all positives": np.nan if positives is None else stage2_accuracy(data, data.R[positives], seed=seed),
            "random nouns": float(np.mean(random)),
            "random nouns (sd)": float(np.std(random, ddof=1)) if draws > 1 else np.nan,
            "n_positives": np.nan if positives is None else int(positives.size)}


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


def kmeanspp_clustering(X, n_clusters: int, *, seed: int = 0, restarts: int = 20, niter: int = 300,
                        max_points: int | None = 256) -> np.ndarray:
    """The final spherical k-means of :func:`~laicpkg.core.counterparts.final_clustering` (same iterations and
    subsampling) from ``restarts`` k-means++ starts (scikit-learn's ``kmeans_plusplus`` on the unit rows) in place
    of faiss' random ones; the labels of the run with the lowest objective. A diagnostic, not a LaIC method."""
    X = np.asarray(X, dtype=np.float32)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    best = None
    for r in range(restarts):
        start, _ = kmeans_plusplus(Xn, n_clusters, random_state=np.random.RandomState([seed, r]))
        km = KMeans(n_clusters, spherical=True, niter=niter, max_points_per_centroid=max_points, on_empty="ignore",
                    init=start, random_state=seed).fit(Xn)
        if best is None or km.inertia_ < best.inertia_:
            best = km
    return best.labels_


def stage2_seeding(data, *, seed: int = 0, draws: int = 3) -> dict:
    """ACC (percent) of Stage 2 on ``data``'s test split fed the class names and fed random nouns
    (:func:`random_noun_count` each, mean over ``draws``: the draws of :func:`stage2_ceilings`), its final k-means
    started as the reference code starts it (faiss, random rows) and from k-means++ starts
    (:func:`kmeanspp_clustering`)."""
    check_ceilings_data(data)
    row = {}
    for name, sets in (("class names", [data.class_text]), ("random nouns", _random_nouns(data, seed, draws))):
        random_starts, kpp_starts = [], []
        for R in sets:
            X, labels = _stage2(data, R, seed)
            random_starts.append(100.0 * cluster_accuracy(data.y_test, labels))
            kpp_starts.append(100.0 * cluster_accuracy(data.y_test, kmeanspp_clustering(X, data.n_classes, seed=seed)))
        row[f"{name}, random starts"] = float(np.mean(random_starts))
        row[f"{name}, k-means++ starts"] = float(np.mean(kpp_starts))
    row["zero-shot"] = 100.0 * cluster_accuracy(data.y_test, zero_shot_predict(data.E_test, data.class_text))
    return row


def twin_seeding(spec, seed: int) -> dict:
    """:func:`stage2_seeding` of a twin on data seed ``seed`` (train split at its smallest)."""
    return stage2_seeding(make_twin(spec, seed=seed, n_train=spec.n_classes), seed=seed)


def seeding_table(specs, seeds, path=None, progress: bool = True) -> pd.DataFrame:
    """:func:`twin_seeding` of every twin in ``specs`` on every data seed, one row per (twin, model, seed);
    resumable through ``path`` (:func:`_twin_table`)."""
    return _twin_table(twin_seeding, "Stage 2 seeding", specs, seeds, path, progress)
