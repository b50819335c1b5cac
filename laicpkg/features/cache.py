"""Feature cache: one ``.npz`` file per (model, tag, dataset, split) and per (model, tag, noun list, prompts).

Explained in: README ("Running on real data").

A cache file holds ``features`` (fp16), optional ``labels`` (int64) and ``names_json`` (the noun strings
as UTF-8 JSON bytes; older caches: a ``names`` string array), and ``meta``: a JSON document with the identity
fields, the count, the dimension, library versions and a SHA-256 of the
feature bytes. Writes go to a temporary file in the same folder that is then
renamed, so a crash never leaves a half-written cache; loading checks the
identity, the shape and the hash, and refuses anything that does not match
with a :class:`~laicpkg.utils.errors.CacheError`.

Layout::

    DIR/<model>__<pretrained>/image__<dataset>__<split>.npz
    DIR/<model>__<pretrained>/text__<nouns>__<prompts>.npz
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from ..utils.atomic import atomic_open
from ..utils.environment import package_versions
from ..utils.errors import CacheError

__all__ = ["image_cache_path", "text_cache_path", "save_cache", "load_cache", "content_hash", "FORMAT_VERSION"]

FORMAT_VERSION = 1


def _safe(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in str(s))


def model_dir(root, model: str, pretrained: str) -> Path:
    return Path(root) / f"{_safe(model)}__{_safe(pretrained)}"


def image_cache_path(root, model: str, pretrained: str, dataset: str, split: str) -> Path:
    return model_dir(root, model, pretrained) / f"image__{_safe(dataset)}__{_safe(split)}.npz"


def text_cache_path(root, model: str, pretrained: str, nouns: str, prompts: str) -> Path:
    return model_dir(root, model, pretrained) / f"text__{_safe(nouns)}__{_safe(prompts)}.npz"


def content_hash(features: np.ndarray) -> str:
    """SHA-256 of the fp16 feature bytes (C order)."""
    return hashlib.sha256(np.ascontiguousarray(features, dtype=np.float16).tobytes()).hexdigest()


def save_cache(path, features, *, labels=None, names=None, identity: dict, extra: dict | None = None) -> Path:
    """Write a cache file atomically (temporary file + rename) and return its path."""
    path = Path(path)
    feats = np.ascontiguousarray(features, dtype=np.float16)
    if feats.ndim != 2:
        raise CacheError(f"features to cache must be 2-D, got shape {feats.shape}")
    meta = {"format_version": FORMAT_VERSION, "identity": identity, "count": int(feats.shape[0]),
            "dim": int(feats.shape[1]), "sha256": content_hash(feats), "versions": package_versions(), **(extra or {})}
    arrays = {"features": feats, "meta": np.array(json.dumps(meta, sort_keys=True))}
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (feats.shape[0],):
            raise CacheError(f"{feats.shape[0]} features but labels of shape {labels.shape}")
        arrays["labels"] = labels
    if names is not None:
        if len(names) != feats.shape[0]:
            raise CacheError(f"{feats.shape[0]} features but {len(names)} names")
        # UTF-8 JSON bytes: a fixed-width string array would pad every name to the longest one
        arrays["names_json"] = np.frombuffer(json.dumps([str(n) for n in names]).encode("utf-8"), dtype=np.uint8)
    try:
        with atomic_open(path, "wb") as fh:
            np.savez(fh, **arrays)
    except OSError as exc:
        raise CacheError(f"cannot write feature cache {path}: {exc.strerror or exc}") from None
    return path


def _read_names(z) -> list | None:
    """The noun strings of an open cache: UTF-8 JSON bytes (``names_json``), or the string array of older caches."""
    if "names_json" in z.files:
        names = json.loads(z["names_json"].tobytes().decode("utf-8"))
        if not isinstance(names, list):
            raise ValueError("names_json is not a list")
        return [str(n) for n in names]
    return [str(s) for s in z["names"]] if "names" in z.files else None


_META_FIELDS = {"format_version": int, "identity": dict, "count": int, "dim": int, "sha256": str}


def _check_meta(path: Path, meta) -> None:
    """Raise :class:`CacheError` unless the metadata is a JSON object with the fields :func:`save_cache` writes."""
    if not isinstance(meta, dict):
        raise CacheError(f"{path}: cache metadata is a JSON {type(meta).__name__}, not an object; "
                         "the file was not written by laic extract")
    for key, kind in _META_FIELDS.items():
        if key not in meta:
            raise CacheError(f"{path}: cache metadata lacks {key!r}; the file was not written by laic extract")
        if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
            raise CacheError(f"{path}: cache metadata field {key!r} is a {type(meta[key]).__name__}, "
                             f"not a {kind.__name__}")


def load_cache(path, *, expect: dict | None = None) -> dict:
    """Load and verify a cache file.

    Returns a dict with ``features`` (float32), ``labels`` (or None), ``names``
    (list or None) and ``meta``. ``expect`` lists identity fields that must match.
    """
    path = Path(path)
    if not path.is_file():
        raise CacheError(f"no feature cache at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            feats = z["features"]
            labels = z["labels"] if "labels" in z.files else None
            names = _read_names(z)
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise CacheError(f"feature cache {path} is truncated or corrupt ({type(exc).__name__}); delete it and extract again") from None
    _check_meta(path, meta)
    if meta.get("format_version") != FORMAT_VERSION:
        raise CacheError(f"{path}: cache format {meta.get('format_version')} is not the supported {FORMAT_VERSION}")
    ident = meta.get("identity", {})
    for key, want in (expect or {}).items():
        if ident.get(key) != want:
            raise CacheError(f"{path}: cache was made for {key}={ident.get(key)!r}, not {want!r}")
    if feats.shape != (meta["count"], meta["dim"]):
        raise CacheError(f"{path}: features have shape {feats.shape}, metadata says ({meta['count']}, {meta['dim']})")
    if content_hash(feats) != meta["sha256"]:
        raise CacheError(f"{path}: content hash does not match its metadata (corrupt file)")
    return {"features": feats.astype(np.float32), "labels": labels, "names": names, "meta": meta}
