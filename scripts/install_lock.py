#!/usr/bin/env python
"""Install the lock file into the environment of this interpreter, keeping a GPU build of faiss (``make env``).

``python scripts/install_lock.py requirements/lock.txt [--faiss-gpu faiss-gpu-cu12]``

The lock pins ``faiss-cpu``; a GPU wheel (``faiss-gpu-cu12``, …) provides the same ``faiss`` module, so installing
the lock over it would silently replace the GPU build by the CPU one. When a ``faiss-gpu*`` distribution is
installed already (or ``--faiss-gpu NAME`` asks for one), every pin of the lock but ``faiss-cpu`` is installed, the
GPU build is kept (or installed), and one line says so.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import subprocess
import sys
import tempfile
from pathlib import Path


def installed_faiss_gpu() -> str | None:
    """The name of an installed faiss GPU distribution, or None."""
    for dist in md.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name.startswith("faiss-gpu"):
            return name
    return None


def lock_without_faiss_cpu(lines) -> list[str]:
    """The lock's lines without the ``faiss-cpu`` pin."""
    return [ln for ln in lines if not ln.strip().lower().replace("_", "-").startswith("faiss-cpu==")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lock")
    ap.add_argument("--faiss-gpu", default=None, metavar="NAME", help="install this faiss GPU wheel instead of faiss-cpu")
    args = ap.parse_args(argv)
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    gpu = args.faiss_gpu or installed_faiss_gpu()
    if not gpu:
        return subprocess.call([*pip, "-r", args.lock])
    lines = Path(args.lock).read_text(encoding="utf-8").splitlines()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(lock_without_faiss_cpu(lines)) + "\n")
    try:
        rc = subprocess.call([*pip, "-r", fh.name])
    finally:
        Path(fh.name).unlink(missing_ok=True)
    if rc == 0 and args.faiss_gpu:
        subprocess.call([sys.executable, "-m", "pip", "uninstall", "-y", "-q", "faiss-cpu"])
        rc = subprocess.call([*pip, args.faiss_gpu])
    print(f"make env: kept the GPU build of faiss ({gpu}) instead of the lock's faiss-cpu", file=sys.stderr)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
