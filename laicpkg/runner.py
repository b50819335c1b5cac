"""Run one method on one dataset and produce a run record.

Explained in: notebooks/05_pipeline.

A run record is a JSON-ready dict: the resolved configuration with the source
of every value, seeds, package versions, dataset sizes, metrics, filter
precision/recall when positives are known, the selected nouns per pseudo-class,
and seconds per stage. ``fingerprint`` hashes everything that determines the
predictions (config, seeds, data identity, versions), so two records with the
same fingerprint must hold the same predictions.
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_open
from .config import RunConfig
from .data import LaICData
from .datasets import load_dataset
from .kmeans import KMeans
from .methods import get_method
from .metrics import clustering_scores, filter_precision_recall
from .timing import timed

__all__ = ["RunResult", "run", "package_versions", "write_record", "RECORD_VERSION"]

RECORD_VERSION = 1


@dataclass
class RunResult:
    record: dict
    labels: np.ndarray
    model: object
    data: LaICData


def package_versions() -> dict:
    import importlib.metadata as md

    from . import __version__

    out = {"python": platform.python_version(), "laicpkg": __version__}
    for pkg in ("numpy", "scipy", "scikit-learn", "faiss-cpu", "faiss-gpu", "torch", "open_clip_torch"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fingerprint(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run(config: RunConfig, data: LaICData | None = None) -> RunResult:
    """Run ``config.method`` on ``config.dataset`` and return the record, labels, fitted model and data."""
    method = get_method(config.method)
    timings: dict = {}
    with timed(timings, "load"):
        if data is None:
            data = load_dataset(config.dataset, features=config.features, data_seed=config.data_seed,
                                model=config.model, pretrained=config.pretrained, nouns=config.nouns,
                                prompts=config.prompts)
    _seed_everything(config.seed)
    p = config.params
    K = data.n_classes
    model = None
    t0 = time.perf_counter()
    if method.name == "zeroshot":
        from .zeroshot import zero_shot_predict

        with timed(timings, "zeroshot"):
            labels = zero_shot_predict(data.E_test, data.class_text)
    elif method.build is None:
        with timed(timings, "final_kmeans"):
            model = KMeans(K, spherical=True, niter=p["kmeans_niter"], nredo=p["final_nredo"],
                           random_state=config.seed).fit(data.E_test)
        labels = model.labels_
    else:
        model = method.build(p, K, config.seed)
        with timed(timings, "stage1"):
            model.fit(data.E_train, data.R)
        labels = model.predict(data.E_test)
        timings.update(model.timings_)
    timings["total"] = time.perf_counter() - t0

    used = {k: p[k] for k in method.params}
    record = {
        "record_version": RECORD_VERSION,
        "dataset": config.dataset,
        "method": config.method,
        "method_description": method.description,
        "seed": config.seed,
        "data_seed": config.data_seed,
        "preset": config.preset,
        "config": used,
        "sources": {k: config.sources[k] for k in used},
        "data": data.describe(),
        "data_source": {"features": config.features, "model": config.model, "pretrained": config.pretrained,
                        "nouns": config.nouns, "prompts": config.prompts} if config.features else
                       {"generator": data.meta.get("generator", "cache"), "data_seed": config.data_seed},
        "versions": package_versions(),
        "metrics": {k: round(v, 4) for k, v in clustering_scores(data.y_test, labels).items()},
    }
    if method.build is not None:
        f = model.filter_
        info = f.summary()
        info["n_pseudo_classes"] = int(len(f.selected_per_group_))
        if data.positive_mask is not None:
            pr = filter_precision_recall(f.selected_indices_, data.positive_mask)
            info.update({"precision": round(pr["precision"], 4), "recall": round(pr["recall"], 4)})
        if f.short_groups_.size:
            info["warning"] = (f"{f.short_groups_.size} pseudo-class(es) had fewer candidate nouns than asked "
                               "for; all of their nouns were kept")
        record["filter"] = info
        record["selected_nouns"] = {str(g): [data.nouns[i] for i in idx]
                                    for g, idx in enumerate(f.selected_per_group_) if idx.size}
    record["predictions_sha256"] = hashlib.sha256(np.asarray(labels, dtype=np.int64).tobytes()).hexdigest()
    record["fingerprint"] = _fingerprint({k: record[k] for k in ("dataset", "method", "seed", "data_seed", "config",
                                                                 "data", "data_source", "versions")})
    record["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return RunResult(record=record, labels=np.asarray(labels), model=model, data=data)


def write_record(record: dict, path) -> Path:
    """Write a run record atomically as indented JSON."""
    with atomic_open(path, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")
    return Path(path)
