#!/usr/bin/env python
"""Execute the notebooks under another arithmetic (thread count, BLAS kernel) and report how far each checked
number moved from its committed reference.

First it generates the default twins and compares their data digests with those of the committed
run records (they must be equal: the generators' arithmetic does not depend on the machine). Run from the
repository root, e.g.::

    OMP_NUM_THREADS=1 .venv/bin/python scripts/cross_machine.py
    OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=SandyBridge .venv/bin/python scripts/cross_machine.py

The environment of this process is passed to the kernels. Each notebook runs on a temporary copy (the
committed notebooks are not touched); the script prints one line per check of ``laicpkg.book.checks`` with the
largest difference it measured, and exits non-zero if a cell failed (a check beyond its tolerance, or an
error). book/status.md reports what it printed on the project machine.
"""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(.*?): (\d+) (?:numbers|means) agree .*largest difference ([^;]+);")


def run(path: Path) -> tuple[list[str], str | None]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    failure = None
    try:
        client.execute()
    except CellExecutionError as exc:
        failure = str(exc).strip().splitlines()[-1][:300]
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines += [m.group(0) for m in map(LINE.match, out["text"].splitlines()) if m]
            if out.get("output_type") == "execute_result" and "|ΔACC|" in out.get("data", {}).get("text/plain", ""):
                lines.append("records check:\n" + out["data"]["text/plain"])
    return lines, failure


def data_digests() -> int:
    """The default twins' data digests here against the ``data_sha256`` of their committed records; returns the
    number that differ (the generators' arithmetic is fixed-order, so none should)."""
    import json

    from laicpkg.features.twins import DEFAULT_TWINS, make_twin

    differ = 0
    for name in DEFAULT_TWINS:
        record = ROOT / "book" / "results" / "records" / name / "kmeans.json"
        committed = json.loads(record.read_text())["data_sha256"]
        here = make_twin(name, seed=0).digest()
        differ += here != committed
        print(f"  {name:<20} data digest {here} {'= committed' if here == committed else '!= committed ' + committed}")
    return differ


def main() -> int:
    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "MKL_NUM_THREADS")}
    print("environment:", {k: v for k, v in env.items() if v})
    print("== the twins' data")
    failed = data_digests()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        t0 = time.perf_counter()
        lines, failure = run(path)
        print(f"== {path.name} ({time.perf_counter() - t0:.0f} s){': FAILED ' + failure if failure else ''}")
        for line in lines:
            print("  " + line.replace("\n", "\n  "))
        failed += failure is not None
    print(f"{failed} twin digest(s) or notebook(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
