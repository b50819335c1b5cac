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
