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
    DIR/<model>__<pretrained>/classes__<dataset>__<prompts>.npz   (the class names, for zero-shot CLIP)

How a cache is named (:func:`weights_name`, :func:`nouns_name`): a pretrained tag by itself, a checkpoint
file as ``file-<stem>``; a shipped noun list by itself, a noun file as ``<stem>-<8 hex digits of its
content>`` (two files with one stem never share a cache). :func:`resolve_cache_names` finds the cache of a
dataset in a folder from whatever the user gave — nothing (the folder's only cache), a name, a file — so that
``laic run``, ``batch``, ``compare`` and the pipeline notebook read what ``laic extract`` wrote with the same
arguments; when nothing matches, its error lists what the folder holds.
"""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import numpy as np

from ..utils.atomic import atomic_open
from ..utils.environment import package_versions
from ..utils.errors import CacheError

__all__ = ["image_cache_path", "text_cache_path", "class_text_cache_path", "save_cache", "load_cache", "content_hash",
           "FORMAT_VERSION", "weights_name", "nouns_name", "read_meta", "scan_caches", "resolve_cache_names",
           "RANDOM_TAGS"]

FORMAT_VERSION = 1


def _safe(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in str(s))


def model_dir(root, model: str, pretrained: str) -> Path:
    return Path(root) / f"{_safe(model)}__{_safe(pretrained)}"


def image_cache_path(root, model: str, pretrained: str, dataset: str, split: str) -> Path:
    return model_dir(root, model, pretrained) / f"image__{_safe(dataset)}__{_safe(split)}.npz"


def text_cache_path(root, model: str, pretrained: str, nouns: str, prompts: str) -> Path:
    return model_dir(root, model, pretrained) / f"text__{_safe(nouns)}__{_safe(prompts)}.npz"


def class_text_cache_path(root, model: str, pretrained: str, dataset: str, prompts: str) -> Path:
    """The text features of a dataset's class names (zero-shot CLIP, GradNorm Eq. 1)."""
    return model_dir(root, model, pretrained) / f"classes__{_safe(dataset)}__{_safe(prompts)}.npz"


#: ``--pretrained`` values that ask for randomly initialised weights.
RANDOM_TAGS = ("none", "random")


def weights_name(pretrained: str) -> str:
    """The name weights get in cache paths and identities: an open_clip tag (or ``none``) as it is, a checkpoint
    file as ``file-<stem>``."""
    p = Path(str(pretrained))
    return f"file-{p.stem}" if p.suffix and p.is_file() else str(pretrained)


def nouns_name(nouns: str) -> str:
    """The name of a noun list in cache paths: a shipped list (``wordnet``, …) as it is, a file as
    ``<stem>-<first 8 hex digits of the SHA-256 of its bytes>``; anything else is taken as such a name already."""
    p = Path(str(nouns))
    if p.is_file():
        return f"{p.stem}-{hashlib.sha256(p.read_bytes()).hexdigest()[:8]}"
    return str(nouns)


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


def read_meta(path) -> dict | None:
    """The metadata of a cache file without loading its features; None for a file that is not a cache."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError, UnicodeDecodeError):
        return None
    return meta if isinstance(meta, dict) and isinstance(meta.get("identity"), dict) else None


def scan_caches(root) -> list[dict]:
    """Every cache file under ``root`` (``<model dir>/<kind>__<a>__<b>.npz``) as its identity plus ``kind``
    (image, text or classes) and ``path``, in path order; files that are not caches are left out."""
    found = []
    root = Path(root)
    if not root.is_dir():
        return found
    for path in sorted(root.glob("*__*/*__*__*.npz")):
        meta = read_meta(path)
        if meta is not None:
            found.append({**meta["identity"], "kind": path.name.split("__", 1)[0], "path": str(path)})
    return found


def _holdings(caches: list[dict]) -> str:
    """What a feature folder holds, in one line: per model and weights, its datasets and noun lists."""
    groups: dict = {}
    for c in caches:
        key = f"--model {c.get('model')} --pretrained {c.get('pretrained')}"
        g = groups.setdefault(key, {"image": set(), "text": set()})
        if c["kind"] == "image":
            g["image"].add(f"{c.get('dataset')} {c.get('split')}")
        elif c["kind"] == "text":
            g["text"].add(f"--nouns {c.get('nouns')} --prompts {c.get('prompts')}")
    if not groups:
        return "no feature caches at all"
    return "; ".join(f"{k}: images of {', '.join(sorted(g['image'])) or 'no dataset'}, nouns "
                     f"{' / '.join(sorted(g['text'])) or 'none'}" for k, g in groups.items())


def resolve_cache_names(root, dataset: str, *, train_from: str | None = None, model: str | None = None,
                        pretrained: str | None = None, nouns: str | None = None,
                        prompts: str | None = None) -> dict:
    """The cache names (``model``, ``pretrained``, ``nouns``, ``prompts``) of ``dataset`` in the folder ``root``.

    Each argument is what the user gave ``laic extract`` (a tag or a checkpoint file; a list name or a noun
    file) or None for "whichever the folder holds". The folder must hold the test split of ``dataset``, the
    train split of ``train_from`` (default: ``dataset``) and one noun list under the same model and weights.
    Raises :class:`CacheError` naming the flag to add when several caches match, and listing the folder's
    caches when none does.
    """
    want = {"model": model, "pretrained": None if pretrained is None else weights_name(pretrained),
            "nouns": None if nouns is None else nouns_name(nouns), "prompts": prompts}
    caches = scan_caches(root)
    if not caches:
        raise CacheError(f"no feature cache under {root}: run `laic extract --dataset {dataset} --out {root} …` "
                         "first (or check --features)")
    split_of = {"test": dataset, "train": train_from or dataset}

    def matches(c, keys):
        return all(want[k] is None or c.get(k) == want[k]
                   or (k == "nouns" and re.fullmatch(re.escape(want[k]) + "-[0-9a-f]{8}", str(c.get(k)))) for k in keys)

    images = {(c.get("model"), c.get("pretrained"), c.get("dataset"), c.get("split")) for c in caches
              if c["kind"] == "image"}
    weights = {(m, p) for m, p, _, _ in images if matches({"model": m, "pretrained": p}, ("model", "pretrained"))
               and all((m, p, d, s) in images for s, d in split_of.items())}
    options = []
    for m, p in sorted(weights):
        for c in caches:
            if c["kind"] == "text" and (c.get("model"), c.get("pretrained")) == (m, p) and matches(c, ("nouns", "prompts")):
                options.append({"model": m, "pretrained": p, "nouns": c.get("nouns"), "prompts": c.get("prompts")})
    given = " ".join(f"--{k} {v}" for k, v in (("model", model), ("pretrained", pretrained), ("nouns", nouns),
                                                ("prompts", prompts)) if v is not None)
    if not options:
        what = f"{dataset} (test)" + (f" and {split_of['train']} (train)" if split_of["train"] != dataset else
                                       " and its train split")
        raise CacheError(f"no feature cache of {what} with a noun list{' for ' + given if given else ''} under "
                         f"{root}; it holds: {_holdings(caches)}")
    if len(options) > 1:
        differ = [k for k in ("model", "pretrained", "nouns", "prompts") if len({o[k] for o in options}) > 1]
        raise CacheError(f"{len(options)} feature caches of {dataset} under {root} fit"
                         f"{' ' + given if given else ''}; choose one with "
                         + " and ".join(f"--{k} ({', '.join(sorted({str(o[k]) for o in options}))})" for k in differ))
    return options[0]
