"""TAC and SIC filters (book/implementation.md), the C rule, and Stage 2 (Eq. 9)."""
import numpy as np
import pytest
import torch

from conftest import unit_rows
from laicpkg import SIC, TAC, concat_features, pseudo_class_count, text_counterparts


@pytest.mark.parametrize("n,k,per,expected", [
    (50000, 10, 600, 83), (50000, 10, 300, 167), (1281167, 1000, 600, 2135), (1281167, 1000, 300, 4271),
    (5000, 10, 600, 30), (5000, 10, 300, 17), (9537, 101, 600, 303), (13000, 10, 300, 43), (19500, 15, 300, 65),
    (3760, 47, 300, 141), (50000, 20, 300, 167)])
def test_pseudo_class_count_rule(n, k, per, expected):
    assert pseudo_class_count(n, k, per) == expected


def test_tac_filter_is_top_msp_per_centre(small_data):
    f = TAC(10, top_k=5, kmeans_nredo=1, random_state=0).select_nouns(small_data.E_train, small_data.R)
    assert f.n_pseudo_classes_ == 30
    logits = small_data.R @ f.W_
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(f.msp_, p.max(1), rtol=1e-5)
    np.testing.assert_array_equal(f.noun_assign_, p.argmax(1))
    for g, idx in enumerate(f.selected_per_group_):
        members = np.flatnonzero(f.noun_assign_ == g)
        ref = members[np.argsort(-f.msp_[members], kind="stable")][:5]
        assert set(idx) == set(ref)


def test_sic_filter_uniqueness_and_nearest_nouns(small_data):
    R = small_data.R
    f = SIC(10, gamma_u=0.1, gamma_r=20, gamma_u_mode="fraction", random_state=0).select_nouns(small_data.E_train, R)
    centre = R.mean(0) / np.linalg.norm(R.mean(0))
    np.testing.assert_allclose(f.uniqueness_, 1 - R @ centre, atol=1e-5)
    assert abs(f.unique_mask_.mean() - 0.9) < 0.01  # 10 % most generic removed
    removed = np.flatnonzero(~f.unique_mask_)
    assert not np.isin(f.selected_indices_, removed).any()
    for j, idx in enumerate(f.selected_per_group_):
        assert idx.size == 20
        kept = np.flatnonzero(f.unique_mask_)
        sims = R[kept] @ f.centers_[j]
        assert np.isclose((R[idx] @ f.centers_[j]).min(), np.sort(sims)[-20], atol=1e-6)
    lit = SIC(10, gamma_u=0.05, gamma_r=20, gamma_u_mode="threshold").select_nouns(small_data.E_train, R)
    np.testing.assert_array_equal(lit.unique_mask_, lit.uniqueness_ >= 0.05)


def test_generic_nouns_are_least_unique(small_data):
    f = SIC(10, gamma_u=0.05, gamma_r=5).select_nouns(small_data.E_train, small_data.R)
    generic = np.array([n.startswith("generic") for n in small_data.nouns])
    assert f.uniqueness_[generic].mean() < f.uniqueness_[~generic].mean()


def test_text_counterparts_match_eq9_loop():
    rng = np.random.default_rng(0)
    E = unit_rows(rng, 17, 6, np.float32)
    Rp = unit_rows(rng, 9, 6, np.float32)
    kappa = 0.05
    V = text_counterparts(E, Rp, kappa, normalize=False, chunk_size=4)
    for i in range(E.shape[0]):
        w = np.exp(E[i].astype(np.float64) @ Rp.T / kappa)
        w /= w.sum()
        np.testing.assert_allclose(V[i], w @ Rp, rtol=1e-4, atol=1e-6)
    Vn = text_counterparts(E, Rp, kappa, normalize=True)
    np.testing.assert_allclose(Vn, V / np.linalg.norm(V, axis=1, keepdims=True), rtol=1e-4, atol=1e-6)
    X = concat_features(E, Vn)
    assert X.shape == (17, 12)
    np.testing.assert_array_equal(X[:, :6], E)


def test_text_counterparts_are_stable_at_the_paper_kappa():
    rng = np.random.default_rng(1)
    E = unit_rows(rng, 5, 8, np.float32)
    Rp = unit_rows(rng, 7, 8, np.float32)
    V = text_counterparts(E, Rp, 0.006, normalize=False)
    assert np.isfinite(V).all()
    # κ → 0: v_i tends to the nearest selected noun
    nearest = Rp[np.argmax(E @ Rp.T, axis=1)]
    V0 = text_counterparts(E, Rp, 1e-4, normalize=False)
    np.testing.assert_allclose(V0, nearest, atol=1e-3)
