"""Cluster a folder of unlabelled images and name every cluster: ``laic cluster IMAGES --n-clusters K --out DIR``.

Explained in: README ("Cluster your own photos").

The same pipeline as the benchmarks, on images nobody labelled: every image under a folder (searched
recursively) is encoded with open_clip (cached and resumable like ``laic extract``; a second run on the same
folder reuses the features), the noun pool is encoded with the prompt set, and a LaIC method clusters the
images with its Stage 1 on the same images (there is no train split). Each cluster is named by the nouns of
highest mean Eq. 9 weight over its images (book/implementation.md, "Clusters that name themselves"), each image
gets its similarity to its cluster's mean image and its three nearest nouns, and the most central images of a
cluster are those most similar to that mean.
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..utils.errors import LaicError, ParameterError

# The checks of a command's inputs run before torch, open_clip and faiss load (seconds), so the functions that
# need them import them where they run.

__all__ = ["PHOTOS", "ClusterResult", "check_cluster_inputs", "cluster_folder", "folder_cache_name", "NAMES",
           "locked_output", "check_writable", "files_digest", "file_stamp"]

#: The dataset name of a folder of unlabelled images in configurations and records.
PHOTOS = "photos"

#: Names kept per cluster, and nouns per image.
NAMES, IMAGE_NOUNS = 5, 3


@dataclass
class ClusterResult:
    """What ``laic cluster`` found: per image its file, cluster, similarity to the cluster's mean image and three
    nearest nouns; per cluster its names and images, most central first; and the run record."""

    root: Path
    files: list
    labels: np.ndarray
    similarity: np.ndarray
    image_nouns: list
    names: dict
    central: dict
    record: dict
    skipped: list = field(default_factory=list)

    @property
    def n_clusters(self) -> int:
        return len(self.names)

    def relative(self, path) -> str:
        """A file's path relative to the image folder (POSIX separators): what the CSV and JSON list."""
        return Path(path).relative_to(self.root).as_posix()

    def summary(self, per_cluster: int = 3) -> str:
        """One line per cluster: size, names, and its most central files."""
        lines = [f"{len(self.files)} images in {self.n_clusters} clusters"
                 + (f" ({len(self.skipped)} unreadable image(s) left out)" if self.skipped else "")]
        for c, names in self.names.items():
            files = ", ".join(Path(self.files[i]).name for i in self.central[c][:per_cluster])
            lines.append(f"  cluster {c:>3} ({len(self.central[c]):>5} images): {', '.join(names)}   e.g. {files}")
        return "\n".join(lines)


def folder_cache_name(root) -> str:
    """The dataset name of a folder's feature cache: its name and a hash of its absolute path, so that two
    folders never share a cache file."""
    root = Path(root).resolve()  # image_cache_path makes the name safe for the filesystem
    return f"{PHOTOS}-{root.name}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"


@contextmanager
def locked_output(out):
    """Hold an exclusive lock on the folder ``out`` while a run writes it; a second run into it meanwhile stops
    with one line instead of mixing its files with this one's. A folder made here and still empty when the run
    fails is removed again (bad input leaves nothing behind)."""
    import fcntl
    import os

    from .records import check_output_dir

    out = check_output_dir(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY)
    except OSError as exc:
        raise LaicError(f"cannot use {out} as --out: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LaicError(f"another laic cluster is writing into {out}; wait for it to finish or choose another "
                            "--out") from None
        yield out
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    finally:
        os.close(fd)  # closing the folder releases the lock


def check_writable(folder, flag: str) -> Path:
    """A file can be written in ``folder``, or in the nearest existing folder above it where it does not exist yet
    (a probe file is made and removed there; nothing else is created)."""
    import tempfile

    folder = Path(folder)
    probe = next((p for p in (folder, *folder.absolute().parents) if p.exists()), None)
    try:
        if probe is None or not probe.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(probe))
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".laic-probe-"):
            pass
    except OSError as exc:
        raise LaicError(f"{flag} {folder} cannot be written: {exc.strerror or exc}") from None
    return folder


def file_stamp(path) -> str:
    """A photo as the cache and the thumbnails know it: its absolute path, size and modification time (an edited
    or replaced photo gets another stamp)."""
    st = Path(path).stat()
    return f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}"


def files_digest(photos) -> str:
    """SHA-256 (16 hex digits) of every image's :func:`file_stamp`: an edited or replaced photo changes the cache's
    identity, so its features are encoded again."""
    h = hashlib.sha256()
    for path, _ in photos.samples:
        h.update(f"{file_stamp(path)}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:16]


def _check_pseudo_classes(est, n: int) -> None:
    """A method's Stage 1 needs at most one pseudo-class per image: C (or 3K by default) against the ``n`` images,
    before any is encoded."""
    for f in (est, getattr(est, "noun_filter", None)):
        if not hasattr(f, "SAMPLES_PER_PSEUDO_CLASS"):
            continue
        try:
            f.pseudo_classes_for(n)
        except ParameterError as exc:
            flag = "--" + type(f).config_name("n_pseudo_classes").replace("_", "-")
            raise ParameterError(f"{exc} under the folder: Stage 1 needs C <= {n} pseudo-classes (by default 3K = "
                                 f"{3 * est.n_clusters}); lower --n-clusters or set {flag} to at most {n}") from None


def check_cluster_inputs(images, n_clusters, method: str, out, cache=None):
    """Everything checked before any image is encoded: the folder holds images, the method clusters CLIP features
    without class names, ``2 <= K <= the number of images``, and ``out`` (and ``cache``) can be written. The
    folders ``out`` and ``cache`` are left out of the images when they lie inside the image folder. Returns the
    image set."""
    from ..features.images import Photos
    from ..methods.registry import get_method
    from .config import INT_MAX
    from .records import check_output_dir

    m = get_method(method)
    if m.estimator.accepts_images:
        raise ParameterError(f"--method {method} clusters raw pixels; laic cluster runs the LaIC methods on CLIP "
                             "features (gradnorm, tac, sic, tac-star, kmeans, …)")
    if method == "zeroshot":
        raise ParameterError("--method zeroshot needs the true class names, which unlabelled images do not have")
    check_output_dir(out)
    check_writable(out, "--out")
    if cache is not None:
        check_writable(cache, "--cache")
    photos = Photos(images, exclude=[p for p in (out, cache) if p is not None])
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, int) or not 2 <= n_clusters <= INT_MAX:
        raise ParameterError(f"--n-clusters must be an integer of at least 2; got {n_clusters!r}")
    if n_clusters > len(photos):
        raise ParameterError(f"--n-clusters {n_clusters} is larger than the number of images under {images} "
                             f"({len(photos)})")
    return photos


def _features(photos, cache: Path, *, model, pretrained, device, batch_size, num_workers, skip_bad_images,
              nouns, prompts, progress):
    """The folder's image features (reused from ``cache`` when its identity matches) and the noun pool's."""
    from ..features.cache import image_cache_path, load_cache
    from ..features.extract import (cache_tag, default_weights, encode_image_set, extract_text_features,
                                    image_list_digest, load_clip, weights_identity)
    from ..utils.errors import CacheError
    from ..utils.validation import resolve_device

    device = resolve_device(device)
    tag = default_weights(model, pretrained)
    ctag = cache_tag(tag)
    final = image_cache_path(cache, model, ctag, folder_cache_name(photos.root), "all")
    identity = {"model": model, "pretrained": ctag, "dataset": PHOTOS, "split": "all",
                "root": str(photos.root.resolve()), "images": image_list_digest(photos),
                "weights": weights_identity(tag), "orientation": "exif", "files": files_digest(photos)}
    try:
        image = load_cache(final, expect=identity)
        reused = True
    except CacheError:
        net, preprocess, _ = load_clip(model, tag, device=device)
        encode_image_set(photos, final, identity, net, preprocess, device=device, batch_size=batch_size,
                         num_workers=num_workers, shard_size=2048, skip_bad_images=skip_bad_images,
                         desc=f"images of {photos.root.name}", progress=progress, extra={"root": str(photos.root)})
        image, reused = load_cache(final, expect=identity), False
    text = load_cache(extract_text_features(cache, nouns=nouns, prompts=prompts, model=model, pretrained=tag,
                                            device=device, progress=progress, reuse=True))
    return image, text, reused


def cluster_folder(images, n_clusters: int, out, *, method: str = "gradnorm", model: str = "ViT-B-32",
                   pretrained: str | None = None, device: str = "auto", nouns: str = "wordnet",
                   prompts: str = "ensemble7", cache=None, batch_size: int = 64, num_workers: int = 0,
                   skip_bad_images: bool = False, seed: int = 0, overrides: dict | None = None,
                   progress: bool | None = None) -> ClusterResult:
    """Cluster every image under ``images`` into ``n_clusters`` named clusters (see the module docstring).

    ``cache``: the feature cache folder (default ``<out>/features``). Returns a :class:`ClusterResult`; nothing
    is written to ``out`` but the cache (see :func:`laicpkg.run.cluster_outputs.write_cluster_outputs`).
    """
    from ..core.counterparts import KAPPA, cluster_noun_weights
    from ..features.container import LaICData
    from ..features.extract import check_text_inputs, default_weights
    from ..methods.registry import get_method
    from .config import resolve_config
    from .records import fingerprint, record_head

    cache = Path(cache) if cache is not None else Path(out) / "features"
    photos = check_cluster_inputs(images, n_clusters, method, out, cache)
    cfg = resolve_config(PHOTOS, method, overrides=overrides, seed=seed)  # bad parameters fail before extraction
    _check_pseudo_classes(get_method(method).build(cfg.params, n_clusters, seed, progress=False), len(photos))
    check_text_inputs(nouns, prompts)
    default_weights(model, pretrained)  # a model without known weights needs --pretrained: before any encoding
    timings = {}
    t0 = time.perf_counter()
    image, text, reused = _features(photos, cache, model=model, pretrained=pretrained, device=device,
                                    batch_size=batch_size, num_workers=num_workers, skip_bad_images=skip_bad_images,
                                    nouns=nouns, prompts=prompts, progress=progress)
    timings["features"] = time.perf_counter() - t0
    skipped = list(image["meta"].get("skipped", []))
    files = [p for p, _ in photos.samples if p not in set(skipped)]
    E = image["features"]
    if n_clusters > E.shape[0]:
        raise ParameterError(f"--n-clusters {n_clusters} is larger than the number of readable images ({E.shape[0]})")
    y = np.zeros(E.shape[0], dtype=np.int64)  # unknown: only the data container needs labels
    data = LaICData(name=PHOTOS, class_names=[str(k) for k in range(n_clusters)], E_train=E, y_train=y, E_test=E,
                    y_test=y, R=text["features"], nouns=text["names"],
                    meta={"generator": "laic cluster", "cache": {"image": {"sha256": image["meta"]["sha256"]},
                                                                 "text": {"sha256": text["meta"]["sha256"]}}})
    est = get_method(method).build(cfg.params, n_clusters, seed, progress=progress)
    t1 = time.perf_counter()
    labels = np.asarray(est.cluster(data), dtype=np.int64)
    timings["cluster"] = time.perf_counter() - t1
    timings.update(getattr(est, "timings_", {}))
    # names: the selected nouns (all nouns for a method without a noun filter) by mean Eq. 9 weight per cluster
    idx = getattr(est, "selected_indices_", np.arange(data.R.shape[0]))
    R_sel = data.R[idx]
    W = cluster_noun_weights(E, R_sel, labels, n_clusters, getattr(est, "kappa", KAPPA))
    order = np.argsort(-W, axis=1, kind="stable")[:, :NAMES]
    present = np.unique(labels)
    names = {int(c): [data.nouns[idx[j]] for j in order[c]] for c in present}
    sim, image_nouns = _per_image(E, labels, R_sel, [data.nouns[i] for i in idx])
    central = {int(c): [int(i) for i in np.flatnonzero(labels == c)[np.argsort(-sim[labels == c], kind="stable")]]
               for c in present}
    timings["total"] = time.perf_counter() - t0
    record = record_head(cfg, data)
    record["data_source"] = {"images": str(photos.root.resolve()), "model": model, "pretrained": image["meta"][
        "identity"]["pretrained"], "nouns": nouns, "prompts": prompts, "cache": str(cache.resolve())}
    record.update({"n_images": int(E.shape[0]), "skipped_images": skipped, "features_reused": reused,
                   "n_clusters": int(n_clusters),
                   "clusters": {str(c): {"size": len(central[c]), "names": names[c]} for c in names},
                   "predictions_sha256": hashlib.sha256(labels.tobytes()).hexdigest()})
    record["fingerprint"] = fingerprint(record)
    record["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return ClusterResult(photos.root, files, labels, sim, image_nouns, names, central, record, skipped)


def _per_image(E: np.ndarray, labels: np.ndarray, R: np.ndarray, words: list, block: int = 8192):
    """Each image's cosine similarity to its cluster's (normalised) mean image and its three nearest nouns."""
    K = int(labels.max()) + 1
    sums = np.zeros((K, E.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, E)
    centres = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    sim = np.einsum("ij,ij->i", E, centres[labels].astype(np.float32))
    top = []
    k = min(IMAGE_NOUNS, R.shape[0])
    for a in range(0, E.shape[0], block):
        s = E[a:a + block] @ R.T
        best = np.argpartition(-s, k - 1, axis=1)[:, :k] if k < R.shape[0] else np.tile(np.arange(k), (len(s), 1))
        best = np.take_along_axis(best, np.argsort(-np.take_along_axis(s, best, 1), axis=1, kind="stable"), 1)
        top += [[words[j] for j in row] for row in best]
    return sim.astype(np.float64), top
