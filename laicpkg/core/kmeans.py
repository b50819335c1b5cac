"""k-means through faiss, as the reference implementations use it.

Explained in: notebooks/05_pipeline (Stage 1 pseudo-labels and Stage 2 final clustering).

faiss runs at most ``niter`` Lloyd iterations, ``nredo`` times from
different seeded k-means++-free random initialisations, and keeps the best
objective. A run also ends early once an iteration leaves the objective unchanged (faiss'
``early_stop_threshold``, 0 by default: the assignment no longer moves), so converged data take far
fewer than ``niter`` rounds (measured with faiss 1.15: 12 and 8 of 300 on well-separated blobs);
``n_iter_`` counts what ran. ``spherical=True`` re-normalises the centroids after every update
and assigns by inner product (the spherical k-means of the GradNorm and TAC
code). We use every training point (faiss subsamples to 256 points per
centroid by default; set ``max_points_per_centroid`` to restore that).

Memory: the caller's features are never copied in full when faiss subsamples. The subsample is drawn
here with faiss' own permutation (``rand_perm`` with the k-means seed: the rows faiss would pick, in its
order, so training is bit-identical), only those rows are normalised, and the assignment and the
objective run over normalised blocks of 65,536 rows. Without subsampling one normalised copy is made,
none when the features are unit rows already (as the data container holds them).
"""
from __future__ import annotations

import numpy as np

from ..utils.errors import EmptyClusterError, ParameterError
from ..utils.validation import _BLOCK, as_features, check_fitted, check_choice, check_int, check_n_clusters, nonzero_norms, unit_rows
from ..utils.validation import resolve_device

__all__ = ["KMeans", "k_means", "inertia", "kmeans_on_gpu"]


def kmeans_on_gpu(device: str) -> bool:
    """Whether k-means runs on the GPU for ``device``; one clear error when faiss cannot.

    ``"auto"`` uses the GPU when torch sees one *and* faiss has GPU support; ``"cuda"`` requires both.
    """
    import faiss


    if resolve_device(device) != "cuda":
        return False
    n_gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    if n_gpus > 0:
        return True
    if device == "auto":
        return False
    raise ParameterError("device='cuda' but this faiss has no GPU support (faiss-cpu); replace it by a GPU build "
                         "(`pip uninstall -y faiss-cpu && pip install faiss-gpu-cu12`, or conda's faiss-gpu), "
                         "or use --device cpu")


def inertia(X: np.ndarray, labels: np.ndarray, centers: np.ndarray, total: float = 0.0) -> float:
    """Sum of squared Euclidean distances of samples to their assigned centre (float64, in row blocks, so
    the work array never exceeds one block: 1.28M × 512 ImageNet features need no float64 copy).

    The sum is added to ``total`` block after block, so summing consecutive row blocks through ``total``
    gives the bits of one call on all rows."""
    X = np.asarray(X)
    centers = np.asarray(centers, dtype=np.float64)
    labels = np.asarray(labels)
    for a in range(0, X.shape[0], 65536):
        diff = X[a:a + 65536].astype(np.float64) - centers[labels[a:a + 65536]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


class KMeans:
    """k-means clustering (faiss), estimator style.

    Parameters
    ----------
    n_clusters : int
        Number of clusters.
    spherical : bool, default True
        Normalise rows and centroids and assign by cosine similarity.
    niter : int, default 300
        Most Lloyd iterations per run (faiss stops a run earlier once its objective stops changing).
    nredo : int, default 1
        Independent runs; the one with the best objective is kept.
    max_points_per_centroid : int or None, default None
        faiss subsampling of the training set; ``None`` uses every point.
    on_empty : {"raise", "ignore"}, default "raise"
        What to do when a cluster ends with no sample.
    random_state : int, default 0
        Seed of faiss' initialisation.
    init : ndarray of shape (n_clusters, n_features) or None
        Initial centroids (one run from them; ``nredo`` is then ignored). Warm starts keep
        cluster identities from one call to the next (IDCL re-clusters every epoch).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        ``"cuda"`` trains and assigns on the GPU through faiss' GPU index (a faiss build with GPU support is
        needed: faiss-gpu-cu12 in place of faiss-cpu); same semantics and seeds as on the CPU.

    Attributes
    ----------
    on_gpu_ : bool — whether faiss ran on the GPU
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    n_iter_ : int — Lloyd iterations faiss ran, summed over the ``nredo`` runs
    inertia_ : float
        Sum of squared distances to the assigned centres (of the normalised rows when spherical).
    """

    def __init__(self, n_clusters: int, *, spherical: bool = True, niter: int = 300, nredo: int = 1,
                 max_points_per_centroid: int | None = None, on_empty: str = "raise", random_state: int = 0, init=None,
                 device: str = "cpu"):
        self.n_clusters = n_clusters
        self.device = device
        self.init = init
        self.spherical = spherical
        self.niter = niter
        self.nredo = nredo
        self.max_points_per_centroid = max_points_per_centroid
        self.on_empty = on_empty
        self.random_state = random_state

    def fit(self, X) -> "KMeans":
        import faiss

        X = as_features(X, "k-means input", normalize=False)
        norms = nonzero_norms(X, "k-means input") if self.spherical else None
        n, d = X.shape
        k = check_n_clusters(self.n_clusters, n, "n_clusters", "samples to cluster")
        niter = check_int(self.niter, "niter")
        nredo = check_int(self.nredo, "nredo")
        check_choice(self.on_empty, "on_empty", ("raise", "ignore"))
        seed = check_int(self.random_state, "random_state", minimum=0, maximum=2 ** 31 - 1)  # faiss: a C int
        mppc = n if self.max_points_per_centroid is None else check_int(self.max_points_per_centroid, "max_points_per_centroid")
        init = None
        if self.init is not None:
            init = np.ascontiguousarray(self.init, dtype=np.float32)
            if init.shape != (k, d):
                raise ParameterError(f"init must have shape ({k}, {d}), got {init.shape}")
            nredo = 1
        gpu = kmeans_on_gpu(self.device)
        self.on_gpu_ = gpu
        km = faiss.Kmeans(d, k, niter=niter, nredo=nredo, spherical=self.spherical, seed=seed, verbose=False,
                          min_points_per_centroid=1, max_points_per_centroid=max(mppc, 1), gpu=gpu)
        rows = _faiss_subsample(n, k * max(mppc, 1), seed)
        train = self._rows(X, norms, rows)
        km.train(train, init_centroids=init)
        if rows is None:  # every row was normalised (or X already was): it serves the assignment and objective
            X, norms = train, None
        del train
        centers = np.ascontiguousarray(km.centroids, dtype=np.float32)
        labels, self.inertia_ = self._assign(X, norms, centers, objective=True)
        counts = np.bincount(labels, minlength=k)
        if (counts == 0).any() and self.on_empty == "raise":
            n_empty = int((counts == 0).sum())
            raise EmptyClusterError(
                f"k-means left {n_empty} of {k} clusters empty (the {n} samples have fewer than {k} distinct "
                "points, are heavily duplicated, or k-means ran too few iterations); lower the number of clusters"
            )
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.counts_ = counts
        self.n_iter_ = len(km.iteration_stats)  # Lloyd iterations faiss ran, summed over the nredo runs
        return self

    @staticmethod
    def _rows(X: np.ndarray, norms, rows=None) -> np.ndarray:
        """Rows of ``X`` as k-means sees them: normalised when ``norms`` is given, else as they are."""
        if norms is not None:
            return unit_rows(X, norms, rows)
        return X if rows is None else np.ascontiguousarray(X[rows])

    def _assign(self, X: np.ndarray, norms, centers: np.ndarray, objective: bool = False):
        """Nearest centre of every row (block by block), and with ``objective`` the :func:`inertia`."""
        import faiss

        index = faiss.IndexFlatIP(X.shape[1]) if self.spherical else faiss.IndexFlatL2(X.shape[1])
        if getattr(self, "on_gpu_", False):  # the assignment on the GPU too, where the training ran
            index = faiss.index_cpu_to_all_gpus(index)
        index.add(centers)
        labels = np.empty(X.shape[0], dtype=np.int64)
        total = 0.0
        for a, b in _blocks(X.shape[0]):
            block = self._rows(X, norms, slice(a, b))
            labels[a:b] = index.search(block, 1)[1][:, 0]
            if objective:
                total = inertia(block, labels[a:b], centers, total)
        return (labels, total) if objective else labels

    def predict(self, X) -> np.ndarray:
        """Assign new samples to the nearest learned centre."""
        check_fitted(self, "cluster_centers_")
        X = as_features(X, "k-means input", normalize=False)
        norms = nonzero_norms(X, "k-means input") if self.spherical else None
        return self._assign(X, norms, self.cluster_centers_)

    def fit_predict(self, X) -> np.ndarray:
        return self.fit(X).labels_


def _faiss_subsample(n: int, n_keep: int, seed: int):
    """The rows faiss' k-means trains on when ``n > n_keep`` (its ``rand_perm`` with the k-means seed, in
    its order); ``None`` when faiss keeps every row."""
    import faiss

    if n <= n_keep:
        return None
    perm = np.empty(n, dtype=np.int32)  # faiss permutes C ints
    faiss.rand_perm(faiss.swig_ptr(perm), n, seed)
    return perm[:n_keep].astype(np.int64)


def _blocks(n: int, block: int = _BLOCK, min_tail: int = 4096):
    """Row ranges of at most ``block`` rows; a tail shorter than ``min_tail`` joins the previous range.

    faiss searches queries in chunks of 4,096 and below 20 queries switches from BLAS to its own loop,
    so ranges that are multiples of 4,096 plus one tail give every row the bits of one whole search.
    """
    starts = list(range(0, n, block))
    if len(starts) > 1 and n - starts[-1] < min_tail:
        starts.pop()
    return list(zip(starts, starts[1:] + [n]))


def k_means(X, n_clusters: int, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """One-call k-means: returns ``(labels, centers)``. Keyword arguments as in :class:`KMeans`."""
    km = KMeans(n_clusters, **kwargs).fit(X)
    return km.labels_, km.cluster_centers_
