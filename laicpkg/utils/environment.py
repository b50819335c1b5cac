"""Which environment ran a computation: package versions and the lock file they should match.

Explained in: book/status.md.

``make env`` installs the exact versions of ``requirements/lock.txt`` (``make lock``
regenerates it). Every run record names the lock by its SHA-256 and says whether
the installed packages equal it, so a reader can tell a record made in the
reference environment from one made elsewhere.
"""
from __future__ import annotations

import hashlib
import importlib.metadata as md
import platform
from functools import lru_cache
from pathlib import Path
from .._version import __version__

__all__ = ["LOCK_FILE", "package_versions", "lock_status", "read_lock", "faiss_distribution"]

#: The lock file of a source checkout (absent when the package was installed from a wheel).
LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements" / "lock.txt"
_RECORDED = ("numpy", "scipy", "scikit-learn", "faiss", "torch", "open_clip_torch")


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def read_lock(path=LOCK_FILE) -> dict:
    """``{normalised package name: version}`` of a pip-freeze style lock file."""
    pins = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_norm(name.split("[")[0])] = version.strip()
    return pins


@lru_cache(maxsize=1)
def lock_status(path=LOCK_FILE) -> dict:
    """The lock's file name and SHA-256 (first 16 hex digits) and the installed packages that differ from it."""
    path = Path(path)
    if not path.is_file():
        return {"lock": None, "note": "no lock file beside the package (installed from a wheel?)"}
    pins = read_lock(path)
    differ = {}
    for name, want in pins.items():
        try:
            have = md.version(name)
        except md.PackageNotFoundError:
            have = None
        if have != want:
            differ[name] = {"locked": want, "installed": have}
    return {"lock": f"requirements/{path.name}", "lock_sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16],
            "matches_lock": not differ, "differs_from_lock": dict(sorted(differ.items())[:20])}


def package_versions() -> dict:
    """Python and the versions of the packages that shape the numbers of a run."""
    out = {"python": platform.python_version(), "laicpkg": __version__}
    for pkg in _RECORDED:
        if pkg == "faiss":  # whichever wheel provides the module: faiss-cpu, faiss-gpu-cu12, …
            name = faiss_distribution()
            if name:
                out[name] = md.version(name)
            continue
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


@lru_cache(maxsize=1)
def faiss_distribution() -> str | None:
    """The installed distribution that provides the ``faiss`` module (``faiss-cpu``, ``faiss-gpu-cu12``, conda's
    ``faiss-gpu``, …), or None."""
    names = md.packages_distributions().get("faiss", [])
    return sorted(names, key=lambda n: (not n.lower().startswith("faiss"), n))[0] if names else None
