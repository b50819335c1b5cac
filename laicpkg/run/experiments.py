"""Running many runs: a list of methods on one dataset, parameter sweeps, the comparison grid, the
final-assignment experiment, and reading records back.

Explained in: notebooks/05_pipeline, notebooks/06_ablations and notebooks/07_comparison. The tables
these runs feed are in :mod:`laicpkg.book.records` and its neighbours.
"""
from __future__ import annotations

import time
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .config import check_seed, resolve_config, with_feature_names
from ..features.container import LaICData
from ..features.datasets import load_dataset
from ..features.twins import DEFAULT_TWINS
from .runner import run
from ..utils.errors import LaicError, ParameterError
from ..core.counterparts import concat_features, final_clustering
from ..core.metrics import clustering_scores
from ..methods.idcl import IDCL_VARIANTS, variant_config, variant_title
from ..methods.registry import get_method
from .grid import Task, execute
from .records import FAILED_SUFFIX, fingerprint, read_record, record_head, write_failure, write_record

__all__ = ["run_methods", "sweep", "seed_spread", "load_records", "COMPARISON_METHODS", "compare", "compare_task",
           "final_assign_experiment", "idcl_grid", "idcl_task", "IDCL_RECORDS_DIR", "IDCL_PRETRAIN_CACHE"]

#: The methods of the comparison chapter (issue: full baselines on the same features).
#: The comparison chapter's datasets and seeds (``laic compare``'s defaults).
COMPARISON_DATASETS = DEFAULT_TWINS
COMPARISON_SEEDS = 3
COMPARISON_METHODS = ["zeroshot", "kmeans", "sic", "tac", "tac-star", "gradnorm", "gradnorm-literal", "gradnorm-centroid",
                      "gradnorm-tac-star"]


def run_methods(dataset: str, methods, *, data: LaICData | None = None, features=None, seed: int = 0,
                data_seed: int = 0, overrides: dict | None = None, records_dir=None, failures: list | None = None,
                **fields):
    """Run every method on one dataset (same data, same seed); write records when ``records_dir`` is set.

    Returns a dict method → :class:`~laicpkg.run.runner.RunResult`
    (:func:`laicpkg.book.records.results_table` turns their records into a table). With ``failures`` (a list), a
    method that fails (with any error) is appended to it as ``(method, message)`` and noted beside the
    records (:func:`~laicpkg.run.records.write_failure`) while the other methods go on; without it, it raises.
    """
    fields = {k: v for k, v in fields.items() if v is not None}  # None: the feature folder's only cache
    if data is None:
        data = load_dataset(dataset, features=features, data_seed=data_seed, **fields)
    results = {}
    for m in methods:
        try:
            cfg = resolve_config(dataset, m, overrides=overrides, seed=seed, data_seed=data_seed, features=features,
                                 **fields)
            results[m] = run(cfg, data=data)
        except Exception as exc:  # noqa: BLE001 — with ``failures``, any method's error is reported, not fatal
            if failures is None:
                raise
            why = str(exc) if isinstance(exc, LaicError) else f"{type(exc).__name__}: {exc}"
            failures.append((m, why))
            if records_dir is not None:
                write_failure(records_dir, dataset, m, why)
            continue
        if records_dir is not None:
            write_record(results[m].record, Path(records_dir) / dataset / f"{m}.json")
            (Path(records_dir) / dataset / f"{m}{FAILED_SUFFIX}").unlink(missing_ok=True)
    return results


def load_records(folder, *, methods=None, datasets=None) -> list[dict]:
    """The run records (``*.json``) under ``folder``, sorted by path; only those of ``methods`` and
    ``datasets`` when given. Files that are not whole run records (corrupt, foreign, truncated) are left out
    with one warning naming them."""
    records, skipped = [], []
    for p in sorted(Path(folder).rglob("*.json")):
        r = read_record(p)
        (records.append(r) if r is not None else skipped.append(p.name))
    if skipped:
        warnings.warn(f"{len(skipped)} file(s) under {folder} are not run records and were left out: "
                      f"{', '.join(skipped[:5])}{' …' if len(skipped) > 5 else ''}", stacklevel=2)
    return [r for r in records if (methods is None or r["method"] in methods)
            and (datasets is None or r["dataset"] in datasets)]


def sweep(data: LaICData, method: str, param: str, values, *, seed: int = 0, overrides: dict | None = None):
    """Run ``method`` once per value of ``param`` (others at their defaults); one row per value."""
    rows = []
    for v in values:
        cfg = resolve_config(data.name, method, overrides={**(overrides or {}), param: v}, seed=seed)
        rec = run(cfg, data=data).record
        rows.append({param: v, **{k: rec["metrics"][k] for k in ("ACC", "NMI", "ARI")},
                     "precision": rec.get("filter", {}).get("precision", np.nan)})
    return pd.DataFrame(rows)


def seed_spread(data: LaICData, method: str, param: str, values, seeds=range(5), *,
                overrides: dict | None = None) -> pd.DataFrame:
    """Mean and standard deviation over ``seeds`` of ACC, NMI and ARI for each value of ``param``.

    Explained in: notebooks/06_ablations (k-means subsampling and seed variance).
    """
    rows = []
    for v in values:
        for s in seeds:
            cfg = resolve_config(data.name, method, overrides={**(overrides or {}), param: v}, seed=s)
            rec = run(cfg, data=data).record
            rows.append({param: v, "seed": s, **{k: rec["metrics"][k] for k in ("ACC", "NMI", "ARI")},
                         **({"precision": rec["filter"]["precision"]} if "precision" in rec.get("filter", {})
                            else {})})
    df = pd.DataFrame(rows)
    cols = [c for c in ("ACC", "NMI", "ARI", "precision") if c in df]
    g = df.groupby(param, sort=False)[cols]
    out = g.mean().merge(g.std(ddof=1), left_index=True, right_index=True, suffixes=("", " std"))
    out = out[[c for m in cols for c in (m, f"{m} std")]]
    out["seeds"] = df.groupby(param, sort=False)["seed"].nunique()
    return out


def cached_dataset(name: str, features, fields: tuple, data_seed: int = 0) -> LaICData:
    """The data of a grid's tasks, loaded once per process (per worker on a cluster) and loaded again when a
    cache file under ``features`` changed."""
    return _load_once(name, features, fields, _stamp(features), data_seed)


@lru_cache(maxsize=2)
def _load_once(name: str, features, fields: tuple, stamp: tuple, data_seed: int = 0) -> LaICData:
    return load_dataset(name, features=features, data_seed=data_seed, **dict(fields))


def _stamp(features) -> tuple:
    """(path, size, modification time) of every cache file under ``features`` (empty for generated data)."""
    if not features:
        return ()
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(features).rglob("*.npz")))


def compare_task(dataset: str, method: str, seed: int, *, records_dir, features=None, overrides=None,
                 fields: tuple = (), data_seed: int = 0, preset: str = "paper") -> dict:
    """One run of :func:`compare`: write ``<records_dir>/<dataset>__<method>__seed<seed>.json``.

    Skipped when that file already holds a record with this run's fingerprint (same config, data,
    versions); otherwise (re)computed and written atomically. Runs the same code wherever it is called.
    """
    path = Path(records_dir) / f"{dataset}__{method}__seed{seed}.json"
    data = cached_dataset(dataset, features, tuple(fields), data_seed)
    cfg = with_feature_names(resolve_config(dataset, method, overrides=overrides, preset=preset, seed=seed,
                                            data_seed=data_seed, features=features, **dict(fields)), data)
    old = read_record(path) if path.is_file() else None  # anything but a whole record is recomputed
    if old is not None and old["fingerprint"] == fingerprint(record_head(cfg, data)):
        return {"status": "skipped", "path": str(path)}
    t0 = time.perf_counter()
    record = run(cfg, data=data).record
    _write_keeping_numbers(record, path)
    return {"status": "done", "path": str(path), "seconds": time.perf_counter() - t0}


def compare(datasets=COMPARISON_DATASETS, methods=None, seeds=range(COMPARISON_SEEDS), *,
            records_dir="book/results/comparison/records", features=None, overrides: dict | None = None,
            progress: bool = True, grid: dict | None = None, report: list | None = None,
            data_seeds: int | str = "paired", preset: str = "paper", **fields) -> list[dict]:
    """Run every method on every dataset with every seed; one record file per run.

    Records are written as ``<records_dir>/<dataset>__<method>__seed<seed>.json``; a run whose file
    already holds a record with the same fingerprint is not repeated. The seed drives each method's k-means,
    initialisation and batches. ``data_seeds="paired"`` (the default) draws a generated dataset with data
    seed = run seed, so the three seeds see the three draws a twin was calibrated on (its baseline rows are
    the mean over data seeds 0–2, :func:`laicpkg.features.twins.calibrate_twin`) and the comparison's CLIP rows
    are those targets; an integer keeps one draw for every seed (real features have one draw anyway).
    ``grid`` holds :func:`laicpkg.run.grid.execute`'s options (``workers``, ``scheduler``, ``cluster``, …);
    without it the runs go one after another in this process. Returns the records of the runs that
    succeeded; ``report`` (a list) receives the :class:`~laicpkg.run.grid.GridReport`. ``preset`` names the
    parameter preset of every run (:data:`~laicpkg.run.config.PARAMETER_PRESETS`).
    """
    methods = list(methods or COMPARISON_METHODS)
    fields_t = tuple(sorted((k, v) for k, v in fields.items() if v is not None))
    data_seed_of = data_seed_rule(data_seeds)
    tasks = [Task(f"{d}/{m}/seed{s}", compare_task,
                  {"dataset": d, "method": m, "seed": s, "records_dir": str(records_dir), "features": features,
                   "overrides": overrides, "fields": fields_t, "data_seed": data_seed_of(s), "preset": preset})
             for d in datasets for s in seeds for m in methods]
    result = execute(tasks, progress=progress, desc="comparison runs", **(grid or {}))
    if report is not None:
        report.append(result)
    failed = {name for name, _ in result.failed}
    records = [read_record(Path(records_dir) / f"{t.kwargs['dataset']}__{t.kwargs['method']}__seed{t.kwargs['seed']}"
                                               ".json") for t in tasks if t.name not in failed]
    return [r for r in records if r is not None]


#: Where ``laic idcl-grid`` writes IDCL's records on DIGITS and shares its pre-trained autoencoders.
IDCL_RECORDS_DIR, IDCL_PRETRAIN_CACHE = "book/results/idcl/records", ".cache/idcl"


def idcl_record_path(records_dir, dataset: str, variant: str, seed: int) -> Path:
    """Where :func:`idcl_task` writes the record of one (dataset, variant, seed)."""
    return Path(records_dir) / f"{dataset}__{variant}__seed{seed}.json"


def idcl_task(dataset: str, variant: str, seed: int, *, records_dir=IDCL_RECORDS_DIR,
              pretrain_cache: str = IDCL_PRETRAIN_CACHE, threads: int | None = None) -> dict:
    """One run of :func:`idcl_grid`: the IDCL variant ``variant`` (:data:`~laicpkg.methods.idcl.IDCL_VARIANTS`) on
    the raw images of ``dataset`` with ``seed``, written to ``<records_dir>/<dataset>__<variant>__seed<seed>.json``.

    Skipped when that file holds a whole record of the same variant (its configuration names the same variant,
    :func:`~laicpkg.methods.idcl.variant_title`), whichever code version wrote it: the IDCL chapter reads the
    records as they are. ``threads`` sets torch's threads in this process (two runs side by side, one thread
    each, are faster than one run on two threads on a 2-core machine)."""
    import torch

    path = idcl_record_path(records_dir, dataset, variant, seed)
    cfg = resolve_config(dataset, "idcl", overrides={**variant_config(variant), "idcl_pretrain_cache": pretrain_cache},
                         seed=seed)
    old = read_record(path) if path.is_file() else None  # anything but a whole record is recomputed
    if old is not None and variant_title(old["config"]) == variant_title(cfg.params):
        return {"status": "skipped", "path": str(path)}
    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    record = run(cfg).record
    _write_keeping_numbers(record, path)
    return {"status": "done", "path": str(path), "seconds": time.perf_counter() - t0}


def idcl_grid(dataset: str = "digits", variants=None, seeds=range(5), *, records_dir=IDCL_RECORDS_DIR,
              pretrain_cache: str = IDCL_PRETRAIN_CACHE, threads: int | None = None, progress: bool = True,
              grid: dict | None = None, report: list | None = None) -> list[dict]:
    """IDCL's variants (all of :data:`~laicpkg.methods.idcl.IDCL_VARIANTS` by default: Table 4's ablation, Table 2's
    DEC and IDEC, and the book's own variants) on ``dataset`` with every seed, one record per run
    (:func:`idcl_task`). Seeds go in order (every variant of seed 0 first), so a cut leaves whole seeds; a run
    whose record exists is skipped, so an interrupted grid resumes. ``grid`` and ``report`` as in
    :func:`compare`. Returns the records of the runs that succeeded.

    Explained in: notebooks/09_idcl."""
    variants = list(variants or IDCL_VARIANTS)
    for v in variants:
        variant_config(v)  # every name checked before any run starts
    tasks = [Task(f"{dataset}/{v}/seed{s}", idcl_task,
                  {"dataset": dataset, "variant": v, "seed": s, "records_dir": str(records_dir),
                   "pretrain_cache": pretrain_cache, "threads": threads})
             for s in seeds for v in variants]
    result = execute(tasks, progress=progress, desc="IDCL runs", **(grid or {}))
    if report is not None:
        report.append(result)
    failed = {name for name, _ in result.failed}
    records = [read_record(idcl_record_path(records_dir, dataset, t.kwargs["variant"], t.kwargs["seed"]))
               for t in tasks if t.name not in failed]
    return [r for r in records if r is not None]


def _write_keeping_numbers(record: dict, path: Path) -> None:
    """Write ``record`` to ``path``; if that fails, the error says the run's numbers, so they are not lost."""
    try:
        write_record(record, path)
    except LaicError as exc:
        m = record["metrics"]
        ari = m.get("ARI", float("nan"))
        raise LaicError(f"ACC {m['ACC']:.2f}, NMI {m['NMI']:.2f}, ARI {ari:.2f}, but {exc}") from None


def data_seed_rule(data_seeds):
    """run seed → data seed: the seed itself for ``"paired"``, else the given integer for every seed
    (checked as a seed, :func:`~laicpkg.run.config.check_seed`)."""
    text = str(data_seeds).strip()
    if text == "paired":
        return int
    if isinstance(data_seeds, bool) or not text.isdigit():
        raise ParameterError(f"data seeds must be 'paired' or an integer >= 0; got {data_seeds!r}")
    fixed = check_seed(int(text), "--data-seeds")
    return lambda s: fixed


def final_assign_experiment(datasets, methods=("kmeans", "gradnorm-centroid"), seeds=range(5),
                            assigns=("kmeans", "density-core", "density-core-mean"), *, features=None,
                            progress: bool = True) -> pd.DataFrame:
    """k-means against IDCL's density-core assignment as the final step, same Stage 1.

    For every dataset, method and seed, Stage 1 is fitted once and the final clustering
    of ``[e; v]`` (or of ``e`` for CLIP k-means) is run with every ``assigns`` option.
    One row per (dataset, method, seed, assign) with ACC, NMI, ARI.
    """
    from tqdm import tqdm

    rows = []
    jobs = [(d, m, s) for d in datasets for m in methods for s in seeds]
    data = {}
    for d, m, s in tqdm(jobs, desc="final-assignment runs", disable=not progress):
        if d not in data:
            data = {d: load_dataset(d, features=features)}
        ds = data[d]
        cfg = resolve_config(d, m, seed=s, features=features)
        p = cfg.params
        model = get_method(m).build(p, ds.n_classes, s)
        if hasattr(model, "transform"):  # a two-stage method: cluster [e; v]
            model.fit(ds.E_train, ds.R)
            X = concat_features(ds.E_test, model.transform(ds.E_test))
        else:  # CLIP k-means: cluster e
            X = ds.E_test
        for a in assigns:
            labels = final_clustering(X, ds.n_classes, assign=a, niter=p["kmeans_niter"], nredo=p["final_nredo"],
                                      max_points=p["kmeans_max_points"] or None, device=p["device"],
                                      random_state=s)
            rows.append({"dataset": d, "method": m, "seed": s, "final_assign": a,
                         **clustering_scores(ds.y_test, labels)})
    return pd.DataFrame(rows)
