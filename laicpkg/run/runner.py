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
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..utils.atomic import atomic_open
from .config import RunConfig
from ..features.container import LaICData
from ..features.datasets import load_dataset
from ..utils.environment import lock_status, package_versions
from ..utils.errors import LaicError
from ..core.counterparts import final_clustering
from ..features.imagesets import is_image_set, load_image_set
from ..methods.registry import get_method
from ..core.metrics import clustering_scores, filter_precision_recall
from ..utils.timing import timed

__all__ = ["RunResult", "run", "package_versions", "write_record", "data_digest", "check_record_path", "check_output_dir", "record_head",
           "fingerprint", "FINGERPRINT_FIELDS", "RECORD_VERSION"]

RECORD_VERSION = 1


@dataclass
class RunResult:
    record: dict
    labels: np.ndarray
    model: object
    data: LaICData


def _seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fingerprint(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def data_digest(data: LaICData) -> str:
    """SHA-256 (16 hex digits) of the features a run read: the cache files' content hashes, or the arrays.

    It enters the record's fingerprint, so two records with the same fingerprint read the same numbers.
    """
    cache = data.meta.get("cache")
    if cache:
        parts = [cache[k].get("sha256", "") for k in sorted(cache)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    h = hashlib.sha256()
    for arr in (data.E_train, data.E_test, data.R, data.y_train, data.y_test):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:16]


def run(config: RunConfig, data: LaICData | None = None) -> RunResult:
    """Run ``config.method`` on ``config.dataset`` and return the record, labels, fitted model and data."""
    method = get_method(config.method)
    timings: dict = {}
    if method.kind == "images" and is_image_set(config.dataset):
        return _run_images(config, method, timings)
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
        from ..core.zeroshot import zero_shot_predict

        with timed(timings, "zeroshot"):
            labels = zero_shot_predict(data.E_test, data.class_text)
    elif method.build is None:
        with timed(timings, "final_kmeans"):
            labels = final_clustering(data.E_test, K, assign=p["final_assign"], niter=p["kmeans_niter"],
                                      max_points=p["kmeans_max_points"] or None, device=p["device"],
                                      nredo=p["final_nredo"], random_state=config.seed)
    elif method.kind == "images":  # IDCL on a LaIC dataset: the test image features, linear autoencoder
        model = method.build(p, K, config.seed)
        model.transformer = False  # recorded below with its reason
        with timed(timings, "idcl"):
            labels = model.fit_predict(data.E_test)
        timings.update({f"idcl/{k}": v for k, v in model.timings_.items()})
    else:
        model = method.build(p, K, config.seed)
        with timed(timings, "stage1"):
            model.fit(data.E_train, data.R)
        labels = model.predict(data.E_test)
        timings.update(model.timings_)
    timings["total"] = time.perf_counter() - t0

    record = record_head(config, data)
    record["metrics"] = {k: round(v, 4) for k, v in clustering_scores(data.y_test, labels).items()}
    _add_training_info(record, model)
    if method.build is not None and method.kind == "laic":
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
    record["fingerprint"] = fingerprint(record)
    record["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return RunResult(record=record, labels=np.asarray(labels), model=model, data=data)


#: The record fields that determine a run's predictions: equal fingerprints, equal predictions.
FINGERPRINT_FIELDS = ("dataset", "method", "seed", "data_seed", "config", "data", "data_sha256", "data_source",
                      "versions")


def fingerprint(record: dict) -> str:
    """SHA-256 (16 hex digits) of the record fields that determine the predictions (:data:`FINGERPRINT_FIELDS`)."""
    return _fingerprint({k: record.get(k) for k in FINGERPRINT_FIELDS})


def record_head(config: RunConfig, data: LaICData) -> dict:
    """The part of a LaIC run record known before the run: what runs, on which data, in which environment.

    :func:`run` completes it; a grid computes ``fingerprint(record_head(...))`` to tell whether an existing
    record already holds this run.
    """
    method = get_method(config.method)
    used = {k: config.params[k] for k in method.params}
    sources = {k: config.sources[k] for k in used}
    if method.kind == "images":
        used["idcl_transformer"] = False
        sources["idcl_transformer"] = "forced by the runner: LaIC features are vectors, not images (linear autoencoder)"
    return {
        "record_version": RECORD_VERSION,
        "dataset": config.dataset,
        "method": config.method,
        "method_description": method.description,
        "seed": config.seed,
        "data_seed": config.data_seed,
        "preset": config.preset,
        "config": used,
        "sources": sources,
        "data": data.describe(),
        "data_sha256": data_digest(data),
        "data_source": {"features": config.features, "model": config.model, "pretrained": config.pretrained,
                        "nouns": config.nouns, "prompts": config.prompts} if config.features else
                       {"generator": data.meta.get("generator", "cache"), "data_seed": config.data_seed},
        "versions": package_versions(),
        "environment": lock_status(),
    }


def _add_training_info(record: dict, model) -> None:
    """Loss curves and epoch counts of trained methods (TAC*, SIC, IDCL) go into the record."""
    for attr, key in (("loss_history_", "loss_history"), ("history_", "history"), ("pretrain_loss_", "pretrain_loss")):
        val = getattr(model, attr, None) if model is not None else None
        if isinstance(val, dict):
            record[key] = {k: [None if (isinstance(x, float) and x != x) else round(float(x), 6) for x in v]
                           for k, v in val.items()}
        elif isinstance(val, list):
            record[key] = [round(float(x), 6) for x in val]
    if model is not None and hasattr(model, "n_epochs_"):
        record["n_epochs"] = int(model.n_epochs_)


def _run_images(config: RunConfig, method, timings: dict) -> RunResult:
    """IDCL on a raw-image dataset (e.g. ``digits``): fit on all images, score against the labels."""
    with timed(timings, "load"):
        X, y = load_image_set(config.dataset, config.features)
    _seed_everything(config.seed)
    p = config.params
    K = int(np.unique(y).size)
    model = method.build(p, K, config.seed)
    t0 = time.perf_counter()
    labels = model.fit_predict(X, y_eval=y)
    timings.update(model.timings_)
    timings["total"] = time.perf_counter() - t0
    used = {k: p[k] for k in method.params}
    record = {
        "record_version": RECORD_VERSION, "dataset": config.dataset, "method": config.method,
        "method_description": method.description, "seed": config.seed, "data_seed": config.data_seed,
        "preset": config.preset, "config": used, "sources": {k: config.sources[k] for k in used},
        "data": {"n_samples": int(X.shape[0]), "image_shape": list(X.shape[1:]), "n_classes": K},
        "data_sha256": hashlib.sha256(np.ascontiguousarray(X).tobytes() + np.asarray(y, np.int64).tobytes()
                                      ).hexdigest()[:16],
        "data_source": {"images": config.dataset, "root": config.features},
        "versions": package_versions(),
        "environment": lock_status(),
        "metrics": {k: round(v, 4) for k, v in clustering_scores(y, labels).items()},
    }
    _add_training_info(record, model)
    record["predictions_sha256"] = hashlib.sha256(np.asarray(labels, dtype=np.int64).tobytes()).hexdigest()
    record["fingerprint"] = fingerprint(record)
    record["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return RunResult(record=record, labels=np.asarray(labels), model=model, data=None)


def check_output_dir(path) -> Path:
    """An output folder must be a folder or not exist yet: refuse a file on its path before any run starts."""
    path = Path(path)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise LaicError(f"{path} cannot be an output folder: {p} is a file, not a folder")
            break
    return path


def check_record_path(path) -> Path:
    """Refuse a record path that cannot be a file (an existing folder) before any work is done."""
    path = Path(path)
    if path.is_dir():
        raise LaicError(f"cannot write the run record to {path}: it is a folder (give a file name ending in .json)")
    check_output_dir(path.parent)
    return path


def write_record(record: dict, path) -> Path:
    """Write a run record atomically as indented JSON; OS errors become one :class:`LaicError` line."""
    path = check_record_path(path)
    try:
        with atomic_open(path, "w") as fh:
            json.dump(record, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        raise LaicError(f"cannot write the run record to {path}: {exc.strerror or exc}") from None
    return path
