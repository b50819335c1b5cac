"""CLIP feature extraction with open_clip, cached, resumable (the only stage that needs images).

Explained in: README ("Running on real data").

* :data:`MODELS` maps a readable name to open_clip's ``(model_name, pretrained)``;
  ViT-B/32 with OpenAI weights is the paper's default (Sec. 5.1.2).
* :func:`load_clip` fails within seconds when weights cannot be fetched
  (offline, no cached copy), naming the model, the tag and how to pass a local
  checkpoint (open_clip accepts a file path as ``pretrained``).
* :func:`extract_image_features` / :func:`extract_text_features` encode in
  batches under ``torch.no_grad`` (fp16 autocast on CUDA), with DataLoader
  workers and a tqdm bar showing images/s, into shards that are written
  atomically; an interrupted run resumes from the completed shards, and the
  final cache (:mod:`laicpkg.features.cache`) is assembled atomically at the end.
* Text features: every prompt of the template set is encoded and L2-normalised,
  the prompts of a noun are averaged and the mean re-normalised (book/implementation.md);
  ``average="raw"`` averages the unnormalised embeddings as the GradNorm
  authors' code does.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
from tqdm import tqdm

from .cache import (RANDOM_TAGS, class_text_cache_path, image_cache_path, load_cache, nouns_name, save_cache,
                    text_cache_path, weights_name)
from ..utils.errors import CacheError, DatasetError, ParameterError, UnknownNameError, WeightsUnavailableError, look_up
from .nouns import NOUN_LISTS, PROMPT_SETS, load_nouns, prompt_texts
from ..utils.validation import check_choice, check_int, resolve_device
from .datasets import build_image_dataset

__all__ = ["MODELS", "load_clip", "extract_image_features", "extract_text_features", "read_noun_file",
           "resolve_nouns", "cache_tag", "check_text_inputs", "image_list_digest", "weights_identity", "item_name",
           "encode_image_set", "default_weights", "extract_class_texts"]

#: Readable name → (open_clip model name, default pretrained tag).
MODELS = {
    "ViT-B-32": ("ViT-B-32", "openai"),
    "ViT-B-16": ("ViT-B-16", "openai"),
    "ViT-L-14": ("ViT-L-14", "openai"),
    "RN50": ("RN50", "openai"),
    "laic-tiny": ("laic-tiny", "none"),  # tiny random architecture for tests (laicpkg/data/open_clip)
}
_CONFIG_DIR = Path(__file__).with_name("data") / "open_clip"
_registered = False


def _open_clip():
    global _registered
    import open_clip

    if not _registered:
        open_clip.add_model_config(_CONFIG_DIR)
        _registered = True
    return open_clip


#: The name weights get in cache identities (a checkpoint path becomes ``file-<stem>``).
cache_tag = weights_name


def default_weights(model: str, pretrained: str | None) -> str:
    """The weights to load: ``pretrained`` as given; without it the :data:`MODELS` entry's tag. A model outside
    that table without ``pretrained`` is an error, never silently random weights (``none`` asks for those)."""
    if pretrained is not None:
        if Path(str(pretrained)).is_dir():
            raise WeightsUnavailableError(f"--pretrained {pretrained} is a folder; give the checkpoint file in it "
                                          "(e.g. open_clip_pytorch_model.bin or a .pt file) or a weights tag")
        return str(pretrained)
    if model in MODELS:
        return MODELS[model][1]
    tags = []
    try:
        tags = [t for m, t in _open_clip().list_pretrained() if m == model]
    except Exception:  # the message stays useful without open_clip's list
        pass
    raise ParameterError(f"--model {model} has no default weights here: pass --pretrained with an open_clip tag"
                         f"{' (' + ', '.join(tags[:6]) + ')' if tags else ''}, a checkpoint file, or 'none' for "
                         "random weights")


def _reachable(host: str, timeout: float) -> bool:
    def probe():
        with socket.create_connection((host, 443), timeout=timeout):
            return True

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(probe)
        try:
            return bool(fut.result(timeout=timeout + 0.5))
        except Exception:
            return False


def _cached_weights(cfg: dict) -> bool:
    hub = cfg.get("hf_hub")
    if hub:
        try:
            from huggingface_hub import try_to_load_from_cache

            repo = hub.rstrip("/")
            for fname in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
                if isinstance(try_to_load_from_cache(repo, fname), str):
                    return True
        except Exception:
            pass
    url = cfg.get("url")
    if url:
        if (Path.home() / ".cache" / "clip" / Path(urlparse(url).path).name).is_file():
            return True
    return False


def load_clip(model: str = "ViT-B-32", pretrained: str | None = None, *, device: str = "cpu",
              probe_timeout: float = 3.0, init_seed: int = 0):
    """Create an open_clip model, its preprocessing and tokenizer.

    ``pretrained``: an open_clip tag (default: the :data:`MODELS` entry), a path
    to a local checkpoint file, or ``"none"`` for random weights, drawn from
    ``init_seed`` (without touching torch's global generator), so two runs, or
    a run and its resumption, build the same network.
    Raises :class:`WeightsUnavailableError` fast when named weights are neither
    cached nor reachable, and with one line when a checkpoint cannot be read.
    """
    oc = _open_clip()
    name = MODELS.get(model, (model, None))[0]
    if name not in oc.list_models():
        raise UnknownNameError(f"unknown CLIP model {model!r}; choose one of {', '.join(MODELS)} or any "
                               "open_clip model name")
    tag = default_weights(model, pretrained)
    if tag in RANDOM_TAGS:
        arg = None
    elif Path(tag).suffix and Path(tag).exists():
        arg = str(tag)
    else:
        if Path(tag).suffix or "/" in tag:
            raise WeightsUnavailableError(f"checkpoint file {tag} does not exist")
        cfg = oc.get_pretrained_cfg(name, tag)
        if not cfg:
            tags = [t for m, t in oc.list_pretrained() if m == name]
            raise WeightsUnavailableError(f"open_clip has no pretrained weights {tag!r} for {name}; "
                                          f"tags: {', '.join(tags) or 'none'}")
        if not _cached_weights(cfg):
            hosts = ["huggingface.co"] if cfg.get("hf_hub") else []
            if cfg.get("url"):
                hosts.append(urlparse(cfg["url"]).hostname)
            if not any(_reachable(h, probe_timeout) for h in hosts):
                raise WeightsUnavailableError(
                    f"cannot fetch the pretrained weights of {name} (tag {tag!r}): no cached copy and "
                    f"{' / '.join(hosts)} cannot be reached (offline?). Download them on a machine with "
                    f"internet (open_clip.create_model('{name}', pretrained='{tag}') stores them in the "
                    "Hugging Face cache, which you can copy here), or pass the checkpoint file itself: "
                    f"--pretrained /path/to/{name}.pt (and --cache-tag {tag} to keep the cache name)")
    import logging

    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            if arg is None:  # random weights were asked for: open_clip's warning that none were loaded is noise
                logging.disable(logging.WARNING)
            try:
                net, _, preprocess = oc.create_model_and_transforms(name, pretrained=arg, device=device)
            finally:
                logging.disable(logging.NOTSET)
    except Exception as exc:  # download or checkpoint errors from open_clip / hub
        if arg is not None:
            raise WeightsUnavailableError(f"could not load {name} weights from {tag}: the file is not a readable "
                                          f"{name} checkpoint ({type(exc).__name__}); check the file and the "
                                          "--model it belongs to") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsUnavailableError(f"could not load {name} with weights {tag!r}: {first}") from None
    net.eval()
    return net, preprocess, oc.get_tokenizer(name)


def read_noun_file(path) -> list[str]:
    """A noun list from a text file (one noun per line) or a CSV whose first column is ``word``."""
    path = Path(path)
    if not path.is_file():
        raise UnknownNameError(f"no noun list file {path}")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ParameterError(f"noun list {path} is a binary file, not text (one noun per line, UTF-8)")
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark is dropped
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParameterError(f"noun list {path} is not UTF-8 text (invalid byte at line {line}); "
                             "save it as UTF-8") from None
    lines = text.splitlines()
    if path.suffix == ".csv":
        import csv

        rows = list(csv.reader(lines))
        start = 1 if rows and rows[0] and rows[0][0].strip().lower() == "word" else 0
        return [r[0] for r in rows[start:] if r]
    return [ln.strip() for ln in lines if ln.strip()]


def resolve_nouns(nouns: str) -> tuple[str, list[str]]:
    """``(list name, nouns)`` for a shipped list name or a file path (named by
    :func:`~laicpkg.features.cache.nouns_name`: its stem and a hash of its content)."""
    if nouns in NOUN_LISTS:
        return nouns, load_nouns(nouns)
    words = read_noun_file(nouns)
    return nouns_name(nouns), words


def _prompt_set_name(prompts: str, average: str) -> str:
    """The prompt set and the averaging, checked, as a cache names them (``ensemble7``, ``ensemble7-raw``)."""
    look_up(PROMPT_SETS, prompts, "prompt set")
    check_choice(average, "average", ("normalized", "raw"))
    return prompts if average == "normalized" else f"{prompts}-raw"


def check_text_inputs(nouns: str, prompts: str, average: str = "normalized") -> tuple[str, list[str]]:
    """Validate the noun list, the prompt set and the averaging (before any image is encoded)."""
    _prompt_set_name(prompts, average)
    list_name, words = resolve_nouns(nouns)
    if not words:
        raise ParameterError(f"noun list {nouns!r} is empty")
    return list_name, words


def _autocast(device: str):
    if device == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    import contextlib

    return contextlib.nullcontext()


def _run_shards(n_items: int, shard_size: int, shard_dir: Path, identity: dict, encode_range, *, desc: str,
                unit: str, progress: bool | None) -> np.ndarray:
    """Encode ``[0, n_items)`` shard by shard; completed shards found on disk are reused (resume).

    A shard is reused only when its identity (model, weights, images or nouns, range) equals this
    run's; any other shard, and any temporary file a killed run left, is removed and redone.
    """
    _remove_orphans(shard_dir, "shard-*.npz.*.tmp")
    n_shards = -(-n_items // shard_size)
    parts = []
    bar = tqdm(total=n_items, desc=desc, unit=unit, unit_scale=True, disable=(not progress) if progress is not None
               else None)
    for s in range(n_shards):
        a, b = s * shard_size, min((s + 1) * shard_size, n_items)
        path = shard_dir / f"shard-{s:05d}.npz"
        ident = {**identity, "shard": s, "start": a, "stop": b}
        if path.is_file():
            try:
                parts.append(load_cache(path, expect=ident)["features"])
                bar.update(b - a)
                continue
            except CacheError as exc:
                bar.write(f"{path.name}: not reusable ({exc}); encoding it again")
                path.unlink()
        feats = encode_range(a, b, bar)
        save_cache(path, feats, identity=ident)
        parts.append(feats)
    bar.close()
    return np.concatenate(parts).astype(np.float32)


def _remove_orphans(folder: Path, pattern: str) -> None:
    """Delete temporary files (``*.tmp``) that a killed run left in ``folder``."""
    if folder.is_dir():
        for f in folder.glob(pattern):
            f.unlink(missing_ok=True)


def _digest(*chunks) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(c if isinstance(c, bytes) else str(c).encode())
    return h.hexdigest()[:16]


def _parts(ds) -> list:
    return [q for p in ds.datasets for q in _parts(p)] if hasattr(ds, "datasets") else [ds]


def image_list_digest(ds) -> str:
    """SHA-256 (16 hex digits) of what a dataset holds: its file list and labels, or its pixel arrays.

    Part of an image cache's identity, so a resumed extraction never mixes shards of two image sets.
    """
    chunks = [len(ds), np.asarray(ds.targets, dtype=np.int64).tobytes()]
    for part in _parts(ds):
        for attr in ("samples", "imgs", "_samples", "_image_files", "_images"):
            if hasattr(part, attr):
                chunks.append("\n".join(map(str, getattr(part, attr))))
                break
        else:
            data = getattr(part, "data", None)
            if isinstance(data, np.ndarray):
                chunks.append(np.ascontiguousarray(data).tobytes())
    return _digest(*chunks)


def weights_identity(pretrained: str, init_seed: int = 0) -> str:
    """How the network's weights are named in a cache identity: the tag, a checkpoint's content hash, or the
    seed of a random initialisation."""
    if pretrained in RANDOM_TAGS:
        return f"random-init-seed{init_seed}"
    p = Path(str(pretrained))
    if p.suffix and p.is_file():
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return f"file-sha256-{h.hexdigest()[:16]}"
    return str(pretrained)


def item_name(ds, i: int) -> str:
    """The file behind item ``i`` of a dataset (its index when the dataset holds arrays)."""
    offset = 0
    for part in _parts(ds):
        if i < offset + len(part):
            j = i - offset
            for attr in ("samples", "imgs", "_samples", "_image_files"):
                if hasattr(part, attr):
                    entry = getattr(part, attr)[j]
                    return str(entry[0] if isinstance(entry, (tuple, list)) else entry)
            return f"item {i}"
        offset += len(part)
    return f"item {i}"


class _CheckedImages(torch.utils.data.Dataset):
    """Items of ``ds`` as ``(image, label, ok, reason)``: an unreadable image becomes a blank and a flag."""

    def __init__(self, ds, indices, blank):
        self.ds, self.indices, self.blank = ds, list(indices), blank

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, k):
        i = self.indices[k]
        try:
            x, y = self.ds[i]
            return x, int(y), True, ""
        except Exception as exc:  # PIL / OS errors of one file: reported by the caller with the file name
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return self.blank, -1, False, f"{type(exc).__name__}: {first}"


def extract_image_features(dataset: str, root, out, *, model: str = "ViT-B-32", pretrained: str | None = None,
                           splits=("train", "test"), device: str = "auto", batch_size: int = 256,
                           num_workers: int = 4, shard_size: int = 8192, check_size: bool = True,
                           cache_name: str | None = None, skip_bad_images: bool = False, init_seed: int = 0,
                           progress: bool | None = None, _stop_after_shards: int | None = None) -> list[Path]:
    """Encode the images of ``dataset`` (each split) and write one cache file per split.

    An image that cannot be read stops the run with a :class:`DatasetError` naming the file, unless
    ``skip_bad_images``: then it is left out and listed in the cache's metadata (``skipped``).
    """
    device = resolve_device(device)
    batch_size = check_int(batch_size, "batch_size")
    num_workers = check_int(num_workers, "num_workers", minimum=0)
    shard_size = check_int(shard_size, "shard_size")
    tag = default_weights(model, pretrained)
    ctag = cache_name or cache_tag(tag)
    # Build the datasets first: a wrong root fails before any model is loaded.
    sets = {split: build_image_dataset(dataset, root, split, None, check_size=check_size) for split in splits}
    weights = weights_identity(tag, init_seed)
    net, preprocess, _ = load_clip(model, tag, device=device, init_seed=init_seed)
    written = []
    for split, ds in sets.items():
        final = image_cache_path(out, model, ctag, dataset, split)
        identity = {"model": model, "pretrained": ctag, "dataset": dataset, "split": split,
                    "root": str(Path(root).resolve()), "images": image_list_digest(ds), "weights": weights}
        written.append(encode_image_set(ds, final, identity, net, preprocess, device=device, batch_size=batch_size,
                                        num_workers=num_workers, shard_size=shard_size,
                                        skip_bad_images=skip_bad_images, desc=f"{dataset} {split}",
                                        progress=progress, extra={"root": str(root)},
                                        _stop_after_shards=_stop_after_shards))
    return written


def encode_image_set(ds, final: Path, identity: dict, net, preprocess, *, device: str, batch_size: int,
                     num_workers: int, shard_size: int, skip_bad_images: bool, desc: str, progress=None,
                     extra: dict | None = None, _stop_after_shards: int | None = None) -> Path:
    """Encode the images of ``ds`` (a dataset with ``samples`` or arrays, and ``targets``) into the cache ``final``,
    shard by shard (resumable; see :func:`_run_shards`). An unreadable image stops the run with a
    :class:`DatasetError` naming the file, unless ``skip_bad_images``: then it is left out and listed in the cache's
    metadata (``skipped``)."""
    from torch.utils.data import DataLoader

    blank = preprocess(_blank_image())
    ds.transform = preprocess
    if hasattr(ds, "datasets"):  # ConcatDataset of torchvision parts
        for part in ds.datasets:
            part.transform = preprocess
    _remove_orphans(final.parent, final.name + ".*.tmp")
    done = {"shards": 0}

    def encode_range(a, b, bar):
        if _stop_after_shards is not None and done["shards"] >= _stop_after_shards:
            raise KeyboardInterrupt("simulated interruption")
        loader = DataLoader(_CheckedImages(ds, range(a, b), blank), batch_size=batch_size,
                            num_workers=num_workers, pin_memory=device == "cuda")
        feats, start = [], a
        with torch.no_grad(), _autocast(device):
            for x, _, ok, why in loader:
                if not bool(ok.all()) and not skip_bad_images:
                    k = int((~ok).nonzero()[0, 0])
                    raise DatasetError(f"cannot read image {item_name(ds, start + k)} ({why[k]}); fix or "
                                       "remove it, or pass --skip-bad-images")
                f = torch.nn.functional.normalize(net.encode_image(x.to(device, non_blocking=True)).float(),
                                                  dim=-1).cpu()
                f[~ok] = float("nan")  # marks a skipped image until the cache is assembled
                feats.append(f)
                bar.update(x.shape[0])
                start += x.shape[0]
        done["shards"] += 1
        return torch.cat(feats).numpy()

    t0 = time.perf_counter()
    feats = _run_shards(len(ds), shard_size, final.with_suffix(".shards"), identity, encode_range, desc=desc,
                        unit="img", progress=progress)
    seconds = time.perf_counter() - t0
    bad = np.flatnonzero(~np.isfinite(feats).all(axis=1))
    if bad.size and not skip_bad_images:
        raise DatasetError(f"{bad.size} image(s) of {desc} could not be read (first: "
                           f"{item_name(ds, int(bad[0]))}); fix them or pass --skip-bad-images")
    keep = np.setdiff1d(np.arange(len(ds)), bad)
    if not keep.size:
        raise DatasetError(f"none of the {len(ds)} image(s) of {desc} could be read")
    path = save_cache(final, feats[keep], labels=np.asarray(ds.targets)[keep], identity=identity,
                      extra={"class_names": list(ds.class_names), **(extra or {}),
                             "skipped": [item_name(ds, int(i)) for i in bad],
                             "seconds": round(seconds, 2), "device": device})
    _remove_shards(final.with_suffix(".shards"))
    return path


def _blank_image():
    from PIL import Image

    return Image.new("RGB", (224, 224))


def _remove_shards(folder: Path) -> None:
    if folder.is_dir():
        for f in folder.glob("shard-*.npz"):
            f.unlink()
        try:
            folder.rmdir()
        except OSError:
            pass


def encode_texts(net, tokenizer, texts_per_item: list[list[str]], *, device: str, batch_size: int = 1024,
                 average: str = "normalized") -> np.ndarray:
    """Encode groups of prompts and average each group (see the module docstring)."""
    check_choice(average, "average", ("normalized", "raw"))
    flat = [t for group in texts_per_item for t in group]
    sizes = [len(g) for g in texts_per_item]
    out = []
    with torch.no_grad(), _autocast(device):
        for a in range(0, len(flat), batch_size):
            tokens = tokenizer(flat[a:a + batch_size]).to(device)
            out.append(net.encode_text(tokens).float())
    emb = torch.cat(out)
    if average == "normalized":
        emb = torch.nn.functional.normalize(emb, dim=-1)
    groups = torch.split(emb, sizes)
    means = torch.stack([g.mean(0) for g in groups])
    return torch.nn.functional.normalize(means, dim=-1).cpu().numpy()


def extract_text_features(out, *, nouns: str = "wordnet", prompts: str = "ensemble7", model: str = "ViT-B-32",
                          pretrained: str | None = None, device: str = "auto", batch_size: int = 1024,
                          average: str = "normalized", shard_size: int = 8192, cache_name: str | None = None,
                          init_seed: int = 0, progress: bool | None = None, reuse: bool = False) -> Path:
    """Encode a noun list with a prompt set and write its text cache; with ``reuse``, a cache already there with
    this identity (model, weights, nouns, prompts) is kept and nothing is encoded."""
    list_name, words = check_text_inputs(nouns, prompts, average)
    device = resolve_device(device)
    tag = default_weights(model, pretrained)
    ctag = cache_name or cache_tag(tag)
    unique = list(dict.fromkeys(words))  # duplicates share one embedding
    prompt_name = _prompt_set_name(prompts, average)
    final = text_cache_path(out, model, ctag, list_name, prompt_name)
    _remove_orphans(final.parent, final.name + ".*.tmp")
    identity = {"model": model, "pretrained": ctag, "nouns": list_name, "prompts": prompt_name,
                "words": _digest("\n".join(words)), "weights": weights_identity(tag, init_seed)}
    if reuse and final.is_file():
        try:
            load_cache(final, expect=identity)
            return final
        except CacheError:
            pass  # another identity or a damaged file: encode again
    net, _, tokenizer = load_clip(model, tag, device=device, init_seed=init_seed)

    def encode_range(a, b, bar):
        feats = encode_texts(net, tokenizer, [prompt_texts(w, prompts) for w in unique[a:b]], device=device,
                             batch_size=batch_size, average=average)
        bar.update(b - a)
        return feats

    feats = _run_shards(len(unique), shard_size, final.with_suffix(".shards"), identity, encode_range,
                        desc=f"nouns ({list_name})", unit="noun", progress=progress)
    index = {w: i for i, w in enumerate(unique)}
    full = feats[[index[w] for w in words]]
    path = save_cache(final, full, names=words, identity=identity,
                      extra={"n_unique": len(unique), "templates": list(PROMPT_SETS[prompts]), "average": average})
    _remove_shards(final.with_suffix(".shards"))
    return path


def extract_class_texts(dataset: str, out, *, prompts: str = "ensemble7", model: str = "ViT-B-32",
                        pretrained: str | None = None, device: str = "auto", average: str = "normalized",
                        cache_name: str | None = None, init_seed: int = 0) -> Path:
    """Encode the class names of ``dataset`` (as its image cache lists them: the dataset files' own names, e.g.
    CIFAR-100's 20 coarse names for CIFAR-20) with a prompt set, for zero-shot CLIP (GradNorm Eq. 1); written
    to the cache's ``classes__<dataset>__<prompts>.npz``. Needs the dataset's image cache (test split, or train
    where only that was extracted)."""
    prompt_name = _prompt_set_name(prompts, average)
    device = resolve_device(device)
    tag = default_weights(model, pretrained)
    ctag = cache_name or cache_tag(tag)
    names = None
    for split in ("test", "train"):
        path = image_cache_path(out, model, ctag, dataset, split)
        if path.is_file():
            names = load_cache(path)["meta"].get("class_names")
            break
    if not names:
        raise CacheError(f"no image cache of {dataset} under {out} that names its classes; extract its images first")
    net, _, tokenizer = load_clip(model, tag, device=device, init_seed=init_seed)
    feats = encode_texts(net, tokenizer, [prompt_texts(str(n), prompts) for n in names], device=device,
                         average=average)
    identity = {"model": model, "pretrained": ctag, "dataset": dataset, "prompts": prompt_name,
                "weights": weights_identity(tag, init_seed)}
    return save_cache(class_text_cache_path(out, model, ctag, dataset, prompt_name), feats, names=list(names),
                      identity=identity, extra={"templates": list(PROMPT_SETS[prompts]), "average": average})
