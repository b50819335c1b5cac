"""Run records: one builder for every run, one fingerprint definition, atomic writing.

Explained in: notebooks/05_pipeline and book/implementation.md ("Run records").

A run record is a JSON-ready dict: the resolved configuration with the source of
every value the method reads, seeds, package versions and the lock file's status,
dataset sizes, metrics, filter precision/recall when positives are known, the
selected nouns per pseudo-class, training curves and seconds per stage.
:func:`fingerprint` hashes everything that determines the predictions (config,
seeds, data identity, versions), so two records with the same fingerprint must
hold the same predictions.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..core.counterparts import KAPPA, cluster_noun_weights
from ..core.metrics import cluster_matching, clustering_scores, filter_precision_recall, naming_accuracy, nmi_max
from ..methods.registry import get_method
from ..utils.atomic import atomic_open
from ..utils.environment import lock_status, package_versions
from ..utils.errors import LaicError
from .config import RunConfig
from ..core.kmeans import kmeans_on_gpu
from ..utils.validation import resolve_device

__all__ = ["RECORD_VERSION", "FINGERPRINT_FIELDS", "fingerprint", "record_head", "build_record", "write_record",
           "check_record_path", "check_output_dir", "read_record",
           "RECORD_FIELDS", "write_labels"]

RECORD_VERSION = 1

#: The record fields that determine a run's predictions: equal fingerprints, equal predictions.
FINGERPRINT_FIELDS = ("dataset", "method", "seed", "data_seed", "config", "data", "data_sha256", "data_source",
                      "versions")


def fingerprint(record: dict) -> str:
    """SHA-256 (16 hex digits) of the record fields that determine the predictions (:data:`FINGERPRINT_FIELDS`)."""
    head = {k: record.get(k) for k in FINGERPRINT_FIELDS}
    return hashlib.sha256(json.dumps(head, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _data_source(config: RunConfig, data) -> dict:
    if hasattr(data, "X"):  # raw images
        return {"images": config.dataset, "root": config.features}
    if config.features:
        return {"features": config.features, "model": config.model, "pretrained": config.pretrained,
                "nouns": config.nouns, "prompts": config.prompts}
    source = {"generator": data.meta.get("generator", "cache"), "data_seed": config.data_seed}
    if data.meta.get("model", "tree") != "tree":  # a twin of the clip model (the tree model's records predate it)
        source["twin_model"] = data.meta["model"]
    if data.meta.get("noun_pool", "real") != "real":  # the completed pool of the "real" model
        source["noun_pool"] = data.meta["noun_pool"]
    return source


def record_head(config: RunConfig, data) -> dict:
    """The part of a run record known before the run: what runs, on which data, in which environment.

    :func:`build_record` completes it; a grid computes ``fingerprint(record_head(...))`` to tell
    whether an existing record already holds this run.
    """
    method = get_method(config.method)
    used = {k: config.params[k] for k in method.parameters()}
    return {
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
        "data_sha256": data.digest(),
        "data_source": _data_source(config, data),
        "versions": package_versions(),
        "environment": lock_status(),
    }


def _training_info(model) -> dict:
    """Loss curves and epoch counts of trained methods (GradNorm's ERM aside: TAC*, SIC, IDCL)."""
    out = {}
    for attr, key in (("loss_history_", "loss_history"), ("history_", "history"), ("pretrain_loss_", "pretrain_loss")):
        val = getattr(model, attr, None)
        if isinstance(val, dict):
            out[key] = {k: [None if (isinstance(x, float) and x != x) else round(float(x), 6) for x in v]
                        for k, v in val.items()}
        elif isinstance(val, list):
            out[key] = [round(float(x), 6) for x in val]
    if hasattr(model, "n_epochs_"):
        out["n_epochs"] = int(model.n_epochs_)
    return out


def _filter_info(model, data) -> dict:
    """The ``filter`` entry and the selected nouns of a method with a Stage 1."""
    info = model.filter_summary()
    info["n_pseudo_classes"] = int(len(model.selected_per_group_))
    if getattr(data, "positive_mask", None) is not None:
        pr = filter_precision_recall(model.selected_indices_, data.positive_mask)
        info.update({"precision": round(pr["precision"], 4), "recall": round(pr["recall"], 4)})
    if model.short_groups_.size:
        info["warning"] = (f"{model.short_groups_.size} pseudo-class(es) had fewer candidate nouns than asked "
                           "for; all of their nouns were kept")
    return {"filter": info, "selected_nouns": {str(g): [data.nouns[i] for i in idx]
                                               for g, idx in enumerate(model.selected_per_group_) if idx.size}}


#: Names recorded per cluster.
CLUSTER_NAMES = 5


def _cluster_names(model, data, labels) -> dict:
    """Each final cluster's five best nouns by mean Eq. 9 weight over its images, its matched class, and
    (when the positives are known) the naming accuracy: the share of matched clusters whose top noun is a
    positive of their class. Methods without κ (SIC) are ranked with GradNorm's κ = 0.006."""
    K = int(np.max(labels)) + 1
    W = cluster_noun_weights(data.E_test, model.R_pos_, labels, K, getattr(model, "kappa", KAPPA))
    top = np.argsort(-W, axis=1, kind="stable")[:, :CLUSTER_NAMES]
    idx = model.selected_indices_
    matching = cluster_matching(data.y_test, labels)
    present = set(np.unique(labels).tolist())
    out = {"cluster_names": {str(c): {"names": [data.nouns[idx[j]] for j in top[c]],
                                      "class": data.class_names[matching[c]] if c in matching else None}
                             for c in range(K) if c in present}}
    if getattr(data, "noun_class", None) is not None:
        best = {c: int(idx[top[c, 0]]) for c in present}
        out["naming_accuracy"] = round(naming_accuracy(best, matching, data.noun_class), 4)
    return out


def devices_used(device: str) -> dict:
    """What ``device`` (the ``--device`` parameter, e.g. ``auto``) became on this machine: torch's device and
    whether faiss' k-means ran on the GPU."""
    try:
        faiss_gpu = kmeans_on_gpu(device)
    except LaicError:
        faiss_gpu = False
    return {"requested": device, "torch": resolve_device(device), "faiss": "gpu" if faiss_gpu else "cpu"}


def build_record(config: RunConfig, data, model, labels, timings: dict) -> dict:
    """The run record of a finished run (every path: features, raw images, grid workers)."""
    record = record_head(config, data)
    y = data.y if hasattr(data, "X") else data.y_test
    record["metrics"] = {k: round(v, 4) for k, v in clustering_scores(y, labels).items()}
    if hasattr(data, "X"):  # raw-image datasets (IDCL's): also the IDCL paper's NMI (Appendix E, Eq. 30)
        record["metrics"]["NMI_max"] = round(nmi_max(y, labels), 4)
    record.update(_training_info(model))
    if hasattr(model, "selected_per_group_"):
        record.update(_filter_info(model, data))
    if hasattr(model, "R_pos_") and not hasattr(data, "X"):
        record.update(_cluster_names(model, data, labels))
    record["predictions_sha256"] = hashlib.sha256(np.asarray(labels, dtype=np.int64).tobytes()).hexdigest()
    record["fingerprint"] = fingerprint(record)
    if "device" in config.params:
        record["devices"] = devices_used(config.params["device"])
    record["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return record


def _resolvable(path: Path) -> None:
    """Refuse a path that goes through a symbolic link loop or a dangling link (its write would fail later)."""
    p = path
    while True:
        if p.is_symlink():
            try:
                p.resolve(strict=True)
            except (OSError, RuntimeError):
                raise LaicError(f"cannot write to {path}: {p} is a symbolic link that leads nowhere (a loop or a "
                                "missing target)") from None
        if p == p.parent:
            return
        p = p.parent


def check_output_dir(path) -> Path:
    """An output folder must be a folder or not exist yet: refuse a file on its path before any run starts."""
    path = Path(path)
    _resolvable(path)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise LaicError(f"{path} cannot be an output folder: {p} is a file, not a folder")
            break
    return path


def check_record_path(path, what: str = "the run record") -> Path:
    """Refuse a path that cannot be a file (an existing folder, a link loop) before any work is done."""
    path = Path(path)
    _resolvable(path)
    if path.is_dir():
        raise LaicError(f"cannot write {what} to {path}: it is a folder (give a file name)")
    check_output_dir(path.parent)
    return path


#: The fields every run record has (:func:`build_record`); a JSON file without them is not a run record.
RECORD_FIELDS = ("record_version", "dataset", "method", "seed", "metrics", "fingerprint")


def read_record(path) -> dict | None:
    """The run record in ``path``, or None when the file is unreadable, not JSON, or not a whole run record (a
    foreign or truncated file, ``[]``, a record with a fingerprint only): such a file is recomputed, never
    trusted."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or any(k not in record for k in RECORD_FIELDS):
        return None
    if not isinstance(record["metrics"], dict) or any(k not in record["metrics"] for k in ("ACC", "NMI", "ARI")):
        return None
    return record


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


def write_labels(result, path) -> Path:
    """Every test image's predicted cluster, one CSV row per image (``index, cluster, label``: the true label, for
    evaluation), written atomically beside the run record (``laic run --save-labels``)."""
    import io

    path = check_record_path(path, what="the labels")
    data = result.data
    y = data.y if hasattr(data, "X") else data.y_test
    buf = io.StringIO()
    buf.write("index,cluster,label\n")
    for i, (c, t) in enumerate(zip(np.asarray(result.labels), y)):
        buf.write(f"{i},{int(c)},{int(t)}\n")
    try:
        with atomic_open(path, "w") as fh:
            fh.write(buf.getvalue())
    except OSError as exc:
        raise LaicError(f"cannot write the labels to {path}: {exc.strerror or exc}") from None
    return path


#: The file beside a dataset's run records that says why one method failed (``laic batch``'s pages).
FAILED_SUFFIX = ".failed"


def write_failure(records_dir, dataset: str, method: str, message: str) -> Path:
    """Note that ``method`` failed on ``dataset`` (one line, ``<records_dir>/<dataset>/<method>.failed``), for the
    results page and the batch's exit status."""
    path = Path(records_dir) / dataset / f"{method}{FAILED_SUFFIX}"
    try:
        with atomic_open(path, "w") as fh:
            fh.write(message.strip().splitlines()[0] if message.strip() else "failed")
            fh.write("\n")
    except OSError as exc:
        raise LaicError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def read_failures(records_dir, datasets=None) -> list[tuple]:
    """``(dataset, method, message)`` of every failure note under ``records_dir`` (of ``datasets`` when given)."""
    out = []
    for p in sorted(Path(records_dir).glob(f"*/*{FAILED_SUFFIX}")):
        if datasets is None or p.parent.name in datasets:
            try:
                out.append((p.parent.name, p.name[:-len(FAILED_SUFFIX)], p.read_text(errors="replace").strip()))
            except OSError:
                continue
    return out
