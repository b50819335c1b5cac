"""Run one method on one dataset and produce its run record.

Explained in: notebooks/05_pipeline.

:func:`run` loads the data (generated, from the feature cache, or raw images), builds
the method's estimator from the resolved configuration
(:meth:`~laicpkg.methods.registry.Method.build`), lets it cluster the dataset
(:meth:`~laicpkg.methods.base.Estimator.cluster`: each estimator knows which splits
it reads) and builds the record (:func:`~laicpkg.run.records.build_record`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..features.datasets import load_dataset
from ..methods.registry import get_method
from ..utils.timing import timed
from .config import RunConfig, with_feature_names
from .records import build_record

__all__ = ["RunResult", "run"]


@dataclass
class RunResult:
    record: dict
    labels: np.ndarray
    model: object
    data: object


def _seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run(config: RunConfig, data=None, progress: bool | None = False) -> RunResult:
    """Run ``config.method`` on ``config.dataset`` and return the record, labels, fitted model and data;
    ``progress``: progress bars over the method's training epochs (None: only on a terminal)."""
    method = get_method(config.method)
    timings: dict = {}
    with timed(timings, "load"):
        if data is None:
            data = load_dataset(config.dataset, features=config.features, data_seed=config.data_seed,
                                model=config.model, pretrained=config.pretrained, nouns=config.nouns,
                                prompts=config.prompts)
    config = with_feature_names(config, data)
    _seed_everything(config.seed)
    model = method.build(config.params, data.n_classes, config.seed, progress=progress)
    t0 = time.perf_counter()
    with timed(timings, "cluster"):
        labels = np.asarray(model.cluster(data))
    timings.update(getattr(model, "timings_", {}))
    timings["total"] = time.perf_counter() - t0
    record = build_record(config, data, model, labels, timings)
    return RunResult(record=record, labels=labels, model=model, data=data)
