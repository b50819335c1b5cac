"""Checks that a notebook's learned or clustered numbers agree with committed references, within tolerances.

Explained in: book/status.md.

Float32 matrix products and k-means give slightly different numbers on different CPUs, so a notebook
cell that prints the result of k-means, training or t-SNE cannot be compared digit by digit across
machines. Such a cell calls one of the checks below instead: it compares its numbers with a committed
reference (the run records ``laic batch`` wrote, or the notebook's reference file) and raises
:class:`ReferenceMismatch` when any number is off by more than the stated tolerance, so nbval fails the
cell. Cells whose outputs are mathematically determined stay compared exactly by nbval (the cell tag
``nbval-check-output``, out of the reader's view).

Reference files (``book/results/reference/<notebook>.json``) are written by ``make notebooks``, which
executes every notebook with ``LAIC_WRITE_REFERENCE=1``: the checks then store what they are given.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils.atomic import atomic_open
from ..run.records import read_record
from ..utils.errors import LaicError

__all__ = ["Tolerance", "TOLERANCES", "ReferenceMismatch", "compare_frames", "check_reference", "check_seed_means",
           "check_against_records", "seed_spread_of_records", "WRITE_ENV"]

#: Set to 1 to (re)write reference files instead of checking against them (``make notebooks`` does).
WRITE_ENV = "LAIC_WRITE_REFERENCE"


@dataclass(frozen=True)
class Tolerance:
    """``|here - reference| <= atol + rtol * |reference|`` for every number."""

    atol: float = 0.0
    rtol: float = 0.0

    def allows(self, here: float, ref: float) -> bool:
        if isinstance(here, float) and isinstance(ref, float) and math.isnan(here) and math.isnan(ref):
            return True
        return abs(here - ref) <= self.atol + self.rtol * abs(ref)

    def __str__(self) -> str:
        parts = ([f"±{self.atol:g}"] if self.atol else []) + ([f"±{self.rtol:.0%} of the reference"] if self.rtol
                                                                else [])
        return " + ".join(parts) or "exact"


#: The tolerances the book states (book/status.md), by kind of number.
TOLERANCES = {
    "metrics": Tolerance(atol=3.0),          # ACC / NMI in percent: a few points
    "ari": Tolerance(atol=5.0),              # ARI in percent moves more than ACC for the same label changes
    "percent": Tolerance(atol=3.0),          # filter precision / recall in percent
    "count": Tolerance(rtol=0.05, atol=1.0),  # numbers of nouns, iterations
    "quantity": Tolerance(rtol=0.05, atol=0.02),  # theory quantities (errors, ratios, correlations)
    "cosine": Tolerance(atol=0.005),         # mean cosines of float32 features
}


class ReferenceMismatch(LaicError):
    """A notebook number differs from its committed reference by more than the stated tolerance."""


def _as_frame(value) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame()
    if isinstance(value, dict):
        return pd.DataFrame({"value": pd.Series(value)})
    return pd.DataFrame({"value": [value]})


def compare_frames(here, reference, tolerance: Tolerance | dict, *, what: str = "table") -> dict:
    """Compare two tables cell by cell; raise :class:`ReferenceMismatch` naming the worst cells.

    ``tolerance`` is one :class:`Tolerance` or a dict column → Tolerance (columns not named there must
    match exactly). Index and columns must agree; non-numeric cells must be equal. Returns a summary
    (number of cells compared, largest absolute difference).
    """
    here, reference = _as_frame(here), _as_frame(reference)
    here.columns = [str(c) for c in here.columns]
    reference.columns = [str(c) for c in reference.columns]
    here.index = [str(i) for i in here.index]
    reference.index = [str(i) for i in reference.index]
    if list(here.columns) != list(reference.columns) or list(here.index) != list(reference.index):
        raise ReferenceMismatch(f"{what}: rows {list(here.index)} / columns {list(here.columns)} differ from the "
                                f"reference's {list(reference.index)} / {list(reference.columns)}")
    bad, n, largest = [], 0, 0.0
    for col in here.columns:
        tol = tolerance.get(col, Tolerance()) if isinstance(tolerance, dict) else tolerance
        for row in here.index:
            a, b = here.at[row, col], reference.at[row, col]
            if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)) \
                    and not isinstance(a, bool):
                a, b = float(a), float(b)
                n += 1
                if not (math.isnan(a) and math.isnan(b)):
                    largest = max(largest, abs(a - b))
                if not tol.allows(a, b):
                    bad.append(f"{row}/{col}: {a:.4g} vs {b:.4g} (tolerance {tol})")
            elif a != b:
                bad.append(f"{row}/{col}: {a!r} vs {b!r} (must be equal)")
    if bad:
        raise ReferenceMismatch(f"{what} differs from its committed reference in {len(bad)} cell(s): "
                                + "; ".join(bad[:4]))
    return {"compared": n, "largest_difference": largest}


def _load(path: Path) -> dict:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _encode(value) -> dict:
    return json.loads(_as_frame(value).to_json(orient="split", double_precision=15))


def _decode(obj: dict) -> pd.DataFrame:
    return pd.DataFrame(obj["data"], index=obj["index"], columns=obj["columns"])


def _reference(value, reference_file, key: str) -> pd.DataFrame:
    """Entry ``key`` of ``reference_file`` as a table; with ``LAIC_WRITE_REFERENCE=1`` ``value`` is stored there
    first (atomically). :class:`ReferenceMismatch` when the entry is missing."""
    path = Path(reference_file)
    refs = _load(path)
    if os.environ.get(WRITE_ENV) == "1":
        refs[key] = _encode(value)
        with atomic_open(path, "w") as fh:
            json.dump(refs, fh, indent=1, sort_keys=True)
            fh.write("\n")
    if key not in refs:
        raise ReferenceMismatch(f"{path} has no reference {key!r}; run `make notebooks` to write it")
    return _decode(refs[key])


def check_reference(value, reference_file, key: str, tolerance: Tolerance | dict) -> str:
    """Compare ``value`` (a table, series, dict or number) with entry ``key`` of ``reference_file``.

    With ``LAIC_WRITE_REFERENCE=1`` the entry is written instead (atomically). Returns one line for the
    notebook; raises :class:`ReferenceMismatch` beyond the tolerance or when the entry is missing.
    """
    summary = compare_frames(_as_frame(value).copy(), _reference(value, reference_file, key), tolerance, what=key)
    return (f"{key}: {summary['compared']} numbers agree with the committed reference (largest difference "
            f"{summary['largest_difference']:.3g}; tolerance {_describe(tolerance)})")


def check_seed_means(table: pd.DataFrame, reference_file, key: str, tolerance: dict) -> str:
    """:func:`check_reference` for a table of means over seeds (:func:`laicpkg.run.experiments.seed_spread`:
    columns ``M``, ``M std`` and ``seeds``): the means are compared, each metric ``M`` within the larger of its
    stated tolerance and twice the standard error of the difference of two such means,
    ``2·√2·max(M std)/√seeds``, with the standard deviations of the committed reference. A method whose single runs swing by several points between seeds
    (and so between CPUs and thread counts) is held to what its mean can promise, and still fails when it
    lands elsewhere. With ``LAIC_WRITE_REFERENCE=1`` the whole table is stored."""
    ref = _reference(table, reference_file, key)
    n = float(ref["seeds"].min())
    tol = {m: Tolerance(atol=max(t.atol, 2.0 * math.sqrt(2.0) * float(ref[f"{m} std"].max()) / math.sqrt(n)),
                        rtol=t.rtol) for m, t in tolerance.items()}
    cols = list(tolerance)
    summary = compare_frames(table[cols].copy(), ref[cols], tol, what=key)
    return (f"{key}: {summary['compared']} means agree with the committed reference (largest difference "
            f"{summary['largest_difference']:.3g}; tolerance {_describe(tol)})")


def _describe(tolerance) -> str:
    if isinstance(tolerance, dict):
        return ", ".join(f"{k} {v}" for k, v in tolerance.items())
    return str(tolerance)


def _jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / max(len(a | b), 1)


def seed_spread_of_records(records_dir, dataset: str, method: str) -> dict:
    """How far one method's results on one dataset move between seeds, from the comparison records
    (``<records_dir>/<dataset>__<method>__seed<s>.json``): the range (max − min) of ACC, NMI, ARI, filter precision
    and recall, the number of kept nouns and the naming accuracy, and the smallest Jaccard overlap of two seeds'
    selected nouns. Empty when fewer than two seeds are recorded."""
    recs = [r for r in (read_record(p) for p in sorted(Path(records_dir).glob(f"{dataset}__{method}__seed*.json")))
            if r is not None]
    if len(recs) < 2:
        return {}

    def span(values):
        values = [v for v in values if v is not None]
        return float(max(values) - min(values)) if len(values) > 1 else 0.0

    out = {m: span([r["metrics"][m] for r in recs]) for m in ("ACC", "NMI", "ARI")}
    filters = [r.get("filter") or {} for r in recs]
    for m in ("precision", "recall", "n_selected"):
        out[m] = span([f.get(m) for f in filters])
    out["naming_accuracy"] = span([r.get("naming_accuracy") for r in recs])
    nouns = [[w for ws in r.get("selected_nouns", {}).values() for w in ws] for r in recs]
    if all(nouns):
        out["noun_overlap"] = min(_jaccard(a, b) for i, a in enumerate(nouns) for b in nouns[i + 1:])
    out["seeds"] = len(recs)
    return out


def check_against_records(results: dict, records_dir, dataset: str, *, seed: int, data_seed: int,
                          min_noun_overlap: float = 0.8, spread_dir=None) -> pd.DataFrame:
    """Compare fresh run results with the committed run records of the same dataset, seed and data seed.

    For every method with a record: ACC and NMI within ``TOLERANCES['metrics']``, ARI within
    ``TOLERANCES['ari']``, filter precision/recall within ``TOLERANCES['percent']``, the number of
    selected nouns within ``TOLERANCES['count']``, and the Jaccard overlap of the selected nouns at
    least ``min_noun_overlap``; the naming accuracy within 3 points or two clusters' share. With ``spread_dir``
    (the comparison records, three seeds per method), each tolerance is widened to what the method's own seeds
    measured (:func:`seed_spread_of_records`): a method whose filter lands elsewhere with every seed cannot be
    held to one seed's nouns on another CPU, and a stable one stays held to the stated tolerance. Returns one row
    per method; raises :class:`ReferenceMismatch` otherwise, and where a record was made on other data (another
    ``data_sha256``: the dataset itself changed). Methods without a matching record are listed as not checked.
    """
    folder = Path(records_dir) / dataset
    rows, bad = [], []
    for method, result in results.items():
        path = folder / f"{method}.json"
        ref = read_record(path) if path.is_file() else None
        if ref is None or ref.get("seed") != seed or ref.get("data_seed") != data_seed:
            rows.append({"method": method, "checked": "no record for this seed"})
            continue
        if ref.get("data_sha256") and result.record.get("data_sha256") not in (None, ref["data_sha256"]):
            # generated data is the same bit for bit on every machine: other data means the dataset itself
            # changed (a recalibrated twin), and its old records are no reference for the new one
            bad.append(f"{method}'s record was made on other data ({ref['data_sha256']} vs "
                       f"{result.record['data_sha256']}: the dataset changed; remove {folder} to record new "
                       "references)")
            continue
        spread = seed_spread_of_records(spread_dir, dataset, method) if spread_dir else {}

        def tol(kind: str, key: str) -> Tolerance:
            base = TOLERANCES[kind]
            return Tolerance(atol=max(base.atol, spread.get(key, 0.0)), rtol=base.rtol)

        rec = result.record
        row = {"method": method, "checked": "yes"}
        for m in ("ACC", "NMI", "ARI"):
            t = tol("ari" if m == "ARI" else "metrics", m)
            row[f"|Δ{m}|"] = round(abs(rec["metrics"][m] - ref["metrics"][m]), 2)
            if not t.allows(rec["metrics"][m], ref["metrics"][m]):
                bad.append(f"{method} {m} {rec['metrics'][m]:.1f} vs {ref['metrics'][m]:.1f} ({t})")
        f, g = rec.get("filter"), ref.get("filter")
        if f and g:
            for m in ("precision", "recall"):
                t = tol("percent", m)
                if m in f and not t.allows(f[m], g[m]):
                    bad.append(f"{method} {m} {f[m]:.1f} vs {g[m]:.1f} ({t})")
            if not tol("count", "n_selected").allows(f["n_selected"], g["n_selected"]):
                bad.append(f"{method} nouns kept {f['n_selected']} vs {g['n_selected']}")
            ours = [w for ws in rec.get("selected_nouns", {}).values() for w in ws]
            theirs = [w for ws in ref.get("selected_nouns", {}).values() for w in ws]
            row["noun overlap"] = round(_jaccard(ours, theirs), 3)
            need = min(min_noun_overlap, spread.get("noun_overlap", 1.0))
            if row["noun overlap"] < need:
                bad.append(f"{method} selected-noun overlap {row['noun overlap']:.2f} < {need:.2f}")
        if rec.get("naming_accuracy") is not None and ref.get("naming_accuracy") is not None:
            # a share of clusters: two clusters renamed (or 3 points where K is large) is within tolerance
            k = max(len(rec.get("cluster_names") or {}), 1)
            t = Tolerance(atol=max(TOLERANCES["metrics"].atol, 200.0 / k, spread.get("naming_accuracy", 0.0)))
            row["|Δnaming|"] = round(abs(rec["naming_accuracy"] - ref["naming_accuracy"]), 2)
            if not t.allows(rec["naming_accuracy"], ref["naming_accuracy"]):
                bad.append(f"{method} naming accuracy {rec['naming_accuracy']:.1f} vs {ref['naming_accuracy']:.1f} "
                           f"({t})")
        if spread:
            row["tolerance from"] = f"{spread['seeds']} seeds"
        rows.append(row)
    if bad:
        raise ReferenceMismatch(f"{dataset}: results differ from the committed records in {folder}: "
                                + "; ".join(bad[:4]))
    return pd.DataFrame(rows).set_index("method")
