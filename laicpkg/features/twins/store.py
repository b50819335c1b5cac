"""The calibrated twins: the committed calibration files, read and written (locked, atomically).

Explained in: book/implementation.md ("Synthetic twins").
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ...utils.errors import ParameterError, look_up
from .recipes import base_specs
from .real import COMPLETED_DATASETS, REAL_DATASETS
from .spec import CALIBRATION_FILES, CLIP_DEFAULTS, REAL_DEFAULTS, REAL_PARAMS, TwinSpec, _check_model, twin_model
from ...utils.atomic import atomic_open


def calibrated_twins(model: str) -> dict:
    """The twins by name with the committed calibration of generator ``model`` (:data:`CALIBRATION_FILES`);
    a twin without one has the model's uncalibrated parameters (for "clip": :data:`CLIP_DEFAULTS`)."""
    _check_model(model)
    if model == "real-completed":  # the real model's twins, images and calibration, with the completed pool,
        start = real_start()  # and the twins whose class texts only that pool has, from CIFAR-10's fit
        specs = {name: replace(spec, noun_pool="completed") if spec.model == "real" else spec
                 for name, spec in calibrated_twins("real").items()}
        specs.update({name: replace(spec, **start, noun_pool="completed", calibration={})
                      for name, spec in specs.items() if spec.dataset in COMPLETED_DATASETS})
    elif model == "real":  # real text where a dataset's class names have it, the clip model's twins elsewhere
        specs = calibrated_twins("clip")
        specs.update({name: replace(spec, **REAL_DEFAULTS, calibration={}) for name, spec in specs.items()
                      if spec.dataset in REAL_DATASETS and name != "twin-imagenet"})
    else:
        specs = base_specs()
    if model == "clip":
        specs = {name: replace(spec, **CLIP_DEFAULTS) for name, spec in specs.items()}
    path = CALIBRATION_FILES[model]
    if path.is_file():  # real-completed: only its own twins' entries (the others are the real model's)
        for name, entry in json.loads(path.read_text()).items():
            if name in specs:
                specs[name] = replace(specs[name], **entry["params"], calibration=entry)
    return specs


def real_start() -> dict:
    """The "real" model's parameters fitted on CIFAR-10 (:data:`~laicpkg.features.twins.spec.REAL_PARAMS`): where
    every other twin of the model, and of "real-completed", starts."""
    cifar10 = calibrated_twins("real")["twin-cifar10"]
    return {p: getattr(cifar10, p) for p in REAL_PARAMS}


#: The book's default datasets (results pages, comparison chapter): the twins of GradNorm's
#: Tables 1–2 other than ImageNet-1K's, whose runs take hours on the project's machines.
DEFAULT_TWINS = tuple(name for name in base_specs() if name != "twin-imagenet")


@lru_cache(maxsize=None)
def _twin_specs(model: str) -> dict:
    return calibrated_twins(model)


def twin_specs(model: str | None = None) -> dict:
    """The twins by name with the committed calibration of ``model`` (default: this process's,
    :func:`~laicpkg.features.twins.spec.twin_model`, read when called)."""
    return dict(_twin_specs(model or twin_model()))


def get_twin(name: str, model: str | None = None) -> TwinSpec:
    """The twin ``name`` of generator ``model`` (default: this process's), calibrated."""
    return look_up(_twin_specs(model or twin_model()), name, "twin")


def read_calibrations(path=None) -> dict:
    """The calibration table in ``path`` (default: this process's model's file; {} when the file does not exist);
    :class:`ParameterError` when the file is not a JSON object of calibration entries, so that nothing is
    calibrated only to be lost."""
    path = Path(path if path is not None else CALIBRATION_FILES[twin_model()])
    if not path.exists():
        return {}
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path} is not a calibration file ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else 'unreadable'}); give another --out") from None
    if not isinstance(table, dict) or not all(isinstance(v, dict) and "params" in v for v in table.values()):
        raise ParameterError(f"{path} is JSON but not a calibration file (an object of twin entries); give another "
                             "--out")
    return table


def check_calibration_file(path) -> Path:
    """Before any calibration starts: ``path`` is a calibration file or absent, and its folder takes a new file."""
    import tempfile

    path = Path(path)
    read_calibrations(path)
    folder = path.parent
    while not folder.exists():  # the first existing folder decides whether the file can be made
        folder = folder.parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ParameterError(f"cannot write the calibration to {path}: {exc.strerror or exc}") from None
    return path


@contextmanager
def calibration_lock(path: Path):
    """An exclusive lock on the calibration file's folder for a read-modify-write of the file (two calibrations
    writing one file keep both updates; an interrupted one leaves no lock file behind)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)  # the folder itself is locked: no lock file to leave behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_calibration(name: str, entry: dict, path=None) -> Path:
    """Store one twin's calibration in the calibration file (default: this process's model's; under a lock,
    atomically; other twins kept)."""
    path = Path(path if path is not None else CALIBRATION_FILES[twin_model()])
    _twin_specs.cache_clear()
    with calibration_lock(path):
        table = read_calibrations(path)
        table[name] = entry
        try:
            with atomic_open(path, "w") as fh:
                json.dump(dict(sorted(table.items())), fh, indent=2)
                fh.write("\n")
        except OSError as exc:
            raise ParameterError(f"cannot write {name}'s calibration to {path}: {exc.strerror or exc}; its parameters: "
                                 f"{json.dumps(entry['params'])}") from None
    return path


def merge_calibrations(names, out) -> list:
    """Fold the ``<out>.<name>.part`` files of earlier versions' interrupted grids into the calibration file;
    returns the entries merged."""
    merged = []
    for name in names:
        part = Path(f"{out}.{name}.part")
        if part.is_file():
            try:
                entry = json.loads(part.read_text())
            except (OSError, ValueError):
                continue
            write_calibration(name, entry, out)
            part.unlink()
            merged.append((name, entry))
    return merged
