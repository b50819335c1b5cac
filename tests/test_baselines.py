"""TAC (training-free and TAC*) and SIC (complete): losses against hand computations,
heads, initialisation, semantic centres, determinism, records and bad input."""
import numpy as np
import pytest
import torch

from laicpkg.utils.errors import LaicError, ParameterError
from laicpkg.methods.sic import SIC, negative_entropy, semantic_centers, sic_losses
from laicpkg.methods.tac import (ClusterHead, TACStar, cluster_contrastive_loss, mean_entropy, mine_neighbors,
                                 pair_consistency_loss)


def _rand_q(rng, n, k):
    x = rng.random((n, k)) + 0.05
    return torch.tensor(x / x.sum(1, keepdims=True))


def test_cluster_contrastive_loss_by_hand():
    rng = np.random.default_rng(0)
    qa, qb = _rand_q(rng, 6, 3), _rand_q(rng, 6, 3)
    T = 0.5
    cols = [c / np.linalg.norm(c) for c in np.concatenate([qa.numpy().T, qb.numpy().T])]
    K = 3
    total = 0.0
    for i in range(2 * K):
        pos = (i + K) % (2 * K)
        num = np.exp(cols[i] @ cols[pos] / T)
        den = sum(np.exp(cols[i] @ cols[j] / T) for j in range(2 * K) if j != i)
        total += -np.log(num / den)
    assert cluster_contrastive_loss(qa, qb, T).item() == pytest.approx(total / (2 * K), rel=1e-10)


def test_consistency_and_entropy_by_hand():
    qa = torch.tensor([[0.5, 0.5], [0.9, 0.1]], dtype=torch.float64)
    qb = torch.tensor([[0.2, 0.8], [1.0, 0.0]], dtype=torch.float64)
    assert pair_consistency_loss(qa, qb).item() == pytest.approx(-(np.log(0.5) + np.log(0.9)) / 2)
    m = np.array([0.7, 0.3])
    assert mean_entropy(qa).item() == pytest.approx(-(m * np.log(m)).sum())
    assert negative_entropy(qa).item() == pytest.approx((m * np.log(m)).sum())


def test_sic_losses_by_hand():
    q = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    qn = torch.tensor([[0.5, 0.5], [0.1, 0.9]], dtype=torch.float64)
    li, lis, lb = sic_losses(q, qn, torch.tensor([0, 1]))
    assert li.item() == pytest.approx(-(np.log(0.5) + np.log(0.66)) / 2)            # Eq. 6
    assert lis.item() == pytest.approx(-(np.log(0.6) + np.log(0.7)) / 2)            # Eq. 7
    m = np.array([0.45, 0.55])
    assert lb.item() == pytest.approx((m * np.log(m)).sum())                         # Eq. 10 (negative entropy)


def test_cluster_head_shapes_and_softmax():
    h = ClusterHead(16, 4)
    h.eval()
    out = h(torch.randn(7, 16))
    assert out.shape == (7, 4)
    torch.testing.assert_close(out.sum(1), torch.ones(7))
    assert (out >= 0).all()


def test_mine_neighbors_excludes_self_and_matches_brute_force():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 8)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    nb = mine_neighbors(X, 5)
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    for i in range(50):
        assert i not in nb[i]
        np.testing.assert_allclose(np.sort(S[i, nb[i]]), np.sort(np.sort(S[i])[-5:]), rtol=1e-5)


def test_semantic_centers_center_and_adjusted():
    U = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float64)
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    V = np.array([[1, 0], [0.8, 0.6], [0, 1], [0.6, 0.8]], dtype=np.float64)
    Q = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.3, 0.7]])
    H = semantic_centers(U, V, Q, mapping="center", xi_c=2)
    np.testing.assert_allclose(H, V[[0, 2]], atol=1e-6)
    Ha = semantic_centers(U, V, Q, mapping="adjusted", xi_c=2, xi_a=2)
    expect = np.stack([V[[0, 1]].mean(0), V[[2, 3]].mean(0)])
    np.testing.assert_allclose(Ha, expect / np.linalg.norm(expect, axis=1, keepdims=True), atol=1e-6)
    Hd = semantic_centers(U, V, Q, mapping="direct")
    assert Hd.shape == (2, 2)


def test_sic_initialisation_is_nearest_kmeans_centre(small_data):
    d = small_data
    m = SIC(d.n_classes, gamma_r=50, epochs=0, progress=False).fit(d.E_train, d.R)
    C = m.centers_
    nearest = ((d.E_test[:, None, :] - C[None]) ** 2).sum(-1).argmin(1)       # Eq. 8-9 ⇔ nearest centre
    assert (m.predict(d.E_test) == nearest).mean() > 0.999


def test_sic_and_tacstar_train_and_are_deterministic(small_data):
    d = small_data
    for make in (lambda: SIC(d.n_classes, gamma_r=50, epochs=2, batch_size=256, lr=1e-3, progress=False,
                             random_state=3),
                 lambda: TACStar(d.n_classes, epochs=2, batch_size=256, progress=False, random_state=3)):
        a, b = make().fit(d.E_train, d.R), make().fit(d.E_train, d.R)
        la, lb = a.predict(d.E_test), b.predict(d.E_test)
        assert np.array_equal(la, lb)
        assert a.loss_history_ == b.loss_history_
        assert len(a.loss_history_["total"]) == 2 and np.isfinite(a.loss_history_["total"]).all()
        from laicpkg.core.metrics import clustering_scores
        assert clustering_scores(d.y_test, la)["ACC"] > 50


def test_tacstar_with_gradnorm_nouns(small_data):
    from laicpkg import GradNorm

    d = small_data
    m = TACStar(d.n_classes, noun_filter=GradNorm(d.n_classes, classifier="centroid", progress=False),
                epochs=1, progress=False).fit(d.E_train, d.R)
    assert m.noun_filter_.filter_name == "gradnorm" and m.predict(d.E_test).shape == (len(d.E_test),)


def test_bad_input():
    rng = np.random.default_rng(0)
    E = rng.normal(size=(5, 8))
    R = rng.normal(size=(40, 8))
    with pytest.raises(LaicError, match="n_clusters"):
        TACStar(10, progress=False).fit(E, R)
    with pytest.raises(LaicError):
        SIC(3, mapping="nearest", progress=False, gamma_r=5).fit(rng.normal(size=(30, 8)), R)
    with pytest.raises(ParameterError):
        semantic_centers(E, R, np.ones((5, 2)) / 2, mapping="bogus")


@pytest.mark.parametrize("method", ["tac", "tac-star", "gradnorm-tac-star", "sic"])
def test_new_methods_through_the_runner(small_data, method):
    from laicpkg.run.config import resolve_config
    from laicpkg.run.runner import run

    over = {"tacstar_epochs": 3, "tacstar_batch_size": 256, "sic_epochs": 1, "sic_gamma_r": 50}
    cfg = resolve_config("synthetic-cifar10", method, overrides=over)
    r1 = run(cfg, data=small_data)
    r2 = run(cfg, data=small_data)
    assert r1.record["predictions_sha256"] == r2.record["predictions_sha256"]
    assert r1.record["metrics"]["ACC"] > 30
    if method != "tac":
        assert "loss_history" in r1.record
    else:
        assert r1.record["config"]["tac_kappa"] == 0.005


def test_final_assign_density_core(small_data):
    from laicpkg.run.config import resolve_config
    from laicpkg.run.runner import run

    for fa in ("density-core", "density-core-mean"):
        r = run(resolve_config("synthetic-cifar10", "kmeans", overrides={"final_assign": fa}), data=small_data)
        assert r.record["config"]["final_assign"] == fa
    with pytest.raises(LaicError, match="final_assign"):
        run(resolve_config("synthetic-cifar10", "kmeans", overrides={"final_assign": "dbscan"}), data=small_data)
