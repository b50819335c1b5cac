"""k-means (faiss) against scikit-learn; ACC/NMI/ARI against brute force and scikit-learn."""
import itertools

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from laicpkg import EmptyClusterError, KMeans, ParameterError, k_means
from laicpkg.core.kmeans import inertia
from laicpkg.core.metrics import cluster_accuracy, clustering_scores, filter_precision_recall


def test_faiss_inertia_matches_sklearn():
    X, _ = make_blobs(n_samples=3000, centers=8, n_features=16, cluster_std=2.0, random_state=0)
    ours = KMeans(8, spherical=False, niter=100, nredo=5, random_state=0).fit(X)
    sk = SkKMeans(8, n_init=5, random_state=0).fit(X)
    ratio = ours.inertia_ / sk.inertia_
    assert 0.99 < ratio < 1.01, ratio
    assert abs(ours.inertia_ - inertia(X, ours.labels_, ours.cluster_centers_)) < 1e-3 * ours.inertia_


def test_spherical_centroids_are_unit_and_seeded():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 12))
    a = KMeans(5, random_state=1).fit(X)
    b = KMeans(5, random_state=1).fit(X)
    np.testing.assert_allclose(np.linalg.norm(a.cluster_centers_, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.predict(X), a.labels_)
    labels, centers = k_means(X, 5, random_state=1)
    np.testing.assert_array_equal(labels, a.labels_)


@pytest.mark.parametrize("spherical", [True, False])
def test_lean_kmeans_equals_faiss_on_the_whole_array(spherical):
    """KMeans draws faiss' subsample itself and assigns in blocks (no full copy of the features): the
    centroids, labels and objective must be those of faiss trained and searched on the whole array."""
    import faiss

    rng = np.random.default_rng(4)
    n, d, k, mppc = 70000, 8, 12, 40  # n > k·mppc: faiss subsamples; 70,000 rows span two search blocks
    X = (rng.standard_normal((k, d))[rng.integers(0, k, n)] + rng.standard_normal((n, d))).astype(np.float32)
    ours = KMeans(k, spherical=spherical, niter=5, nredo=2, max_points_per_centroid=mppc, random_state=7).fit(X)
    Xn = X / np.linalg.norm(X.astype(np.float64), axis=1, keepdims=True) if spherical else X
    Xn = np.ascontiguousarray(Xn, dtype=np.float32)
    ref = faiss.Kmeans(d, k, niter=5, nredo=2, spherical=spherical, seed=7, min_points_per_centroid=1,
                       max_points_per_centroid=mppc)
    ref.train(Xn)
    np.testing.assert_array_equal(ours.cluster_centers_, ref.centroids)
    index = faiss.IndexFlatIP(d) if spherical else faiss.IndexFlatL2(d)
    index.add(ref.centroids)
    np.testing.assert_array_equal(ours.labels_, index.search(Xn, 1)[1][:, 0])
    assert ours.inertia_ == inertia(Xn, ours.labels_, ours.cluster_centers_)
    np.testing.assert_array_equal(ours.predict(X[:20000]), ours.labels_[:20000])


def test_kmeans_errors():
    X = np.ones((10, 3))
    with pytest.raises(EmptyClusterError, match="empty"):
        KMeans(3).fit(X)
    with pytest.raises(ParameterError, match="larger than the number"):
        KMeans(11).fit(np.random.default_rng(0).standard_normal((10, 3)))


def test_accuracy_against_brute_force_permutations():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 4, 40)
        p = rng.integers(0, 4, 40)
        best = max(np.mean(np.array(perm)[p] == y) for perm in itertools.permutations(range(4)))
        assert cluster_accuracy(y, p) == pytest.approx(best)


def test_accuracy_is_label_permutation_invariant_and_handles_extra_clusters():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(y, np.array([5, 5, 3, 3, 9, 9])) == 1.0
    assert cluster_accuracy(y, np.array([0, 1, 2, 3, 4, 5])) == pytest.approx(0.5)


def test_scores_match_sklearn_in_percent():
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 5, 300), rng.integers(0, 6, 300)
    s = clustering_scores(y, p)
    assert s["NMI"] == pytest.approx(100 * normalized_mutual_info_score(y, p))
    assert s["ARI"] == pytest.approx(100 * adjusted_rand_score(y, p))
    assert s["ACC"] == pytest.approx(100 * cluster_accuracy(y, p))


def test_filter_precision_recall_known_case():
    mask = np.zeros(10, bool)
    mask[[1, 2, 3, 4]] = True
    pr = filter_precision_recall([1, 2, 7, 7], mask)  # duplicates ignored
    assert pr == {"precision": pytest.approx(100 * 2 / 3), "recall": 50.0, "n_selected": 3}
    with pytest.raises(ParameterError):
        filter_precision_recall([12], mask)


def test_normalised_features_are_not_copied_again():
    """as_features on rows it normalised before returns them without a copy (the same bits as dividing
    again); a row that is not unit makes a copy and leaves the input untouched."""
    from laicpkg.utils.validation import as_features

    rng = np.random.default_rng(2)
    A = np.zeros((70000, 16), dtype=np.float32)  # rows of four ±0.5: unit norm exactly, on any CPU
    for j in range(4):
        A[np.arange(70000), rng.integers(0, 4, 70000) + 4 * j] = 0.5
    A *= rng.choice([-1.0, 1.0], size=A.shape).astype(np.float32)
    assert (np.count_nonzero(A, axis=1) == 4).all()
    B = as_features(A)
    assert np.shares_memory(A, B)
    np.testing.assert_array_equal(B, A)
    C = A.copy()
    C[69000] *= 2.0  # a non-unit row in the second block
    D = as_features(C)
    assert not np.shares_memory(C, D)
    np.testing.assert_array_equal(D, A)
    assert C[69000, 0] == 2.0 * A[69000, 0]
