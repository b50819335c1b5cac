"""Eq. 6-8: the closed-form score against autograd, and the per-class selection."""
import numpy as np
import pytest
import torch

from conftest import unit_rows
from laicpkg.core.filters import select_per_group
from laicpkg.core.gradnorm import TAU, gradnorm_scores
from laicpkg.theory import gradient_norm_autograd as autograd_score


@pytest.mark.parametrize("tau", [TAU, 1.0, 50.0])
@pytest.mark.parametrize("C", [2, 7, 40])
def test_closed_form_equals_autograd(tau, C):
    rng = np.random.default_rng(C)
    d, M = 16, 25
    R = unit_rows(rng, M, d)
    W = rng.standard_normal((d, C))
    S, assign, msp = gradnorm_scores(R, W, tau, dtype=torch.float64)
    for i in range(M):
        ref, y = autograd_score(R[i], W, tau)
        assert abs(S[i] - ref) <= 1e-5 * max(ref, 1e-12), (i, S[i], ref)
        assert assign[i] == y


def test_closed_form_float32_default_is_close():
    rng = np.random.default_rng(1)
    R = unit_rows(rng, 50, 32, np.float32)
    W = rng.standard_normal((32, 9)).astype(np.float32) * 0.3
    S32, _, _ = gradnorm_scores(R, W, TAU)
    S64, _, _ = gradnorm_scores(R, W, TAU, dtype=torch.float64)
    np.testing.assert_allclose(S32, S64, rtol=1e-4, atol=1e-6)


def test_non_unit_rows_keep_the_norm_factor():
    rng = np.random.default_rng(2)
    r = rng.standard_normal(8) * 0.7  # norm ≈ 2, probabilities not saturated
    W = rng.standard_normal((8, 5))
    S, _, _ = gradnorm_scores(r[None], W, 2.0, dtype=torch.float64)
    ref, _ = autograd_score(r, W, 2.0)
    assert abs(S[0] - ref) <= 1e-8 * ref


def test_predicted_label_minimises_the_loss_and_maximises_softmax():
    rng = np.random.default_rng(3)
    R = unit_rows(rng, 200, 10)
    W = rng.standard_normal((10, 6))
    _, assign, msp = gradnorm_scores(R, W, TAU, dtype=torch.float64)
    logits = TAU * R @ W
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    losses = -np.log(p)  # ℓ(h(r), k) for every label k
    np.testing.assert_array_equal(assign, losses.argmin(1))
    np.testing.assert_array_equal(assign, p.argmax(1))
    np.testing.assert_allclose(msp, p.max(1), rtol=1e-12)


def test_score_formula_in_terms_of_pi():
    rng = np.random.default_rng(4)
    R = unit_rows(rng, 30, 12)
    W = rng.standard_normal((12, 4))
    S, _, msp = gradnorm_scores(R, W, TAU, dtype=torch.float64)
    logits = TAU * R @ W
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    # Eq. 6 as printed (cancels for confident nouns, hence the absolute tolerance) ...
    np.testing.assert_allclose(S, TAU ** 2 * ((p ** 2).sum(1) + 1 - 2 * p.max(1)), rtol=1e-10, atol=1e-12 * TAU ** 2)
    # ... and the appendix's form Σ_{k≠ỹ} π̃_k² + (1 − max π̃)², with 1 − max π̃ summed from the others
    others = np.where(np.arange(4)[None] == p.argmax(1)[:, None], 0.0, p)
    np.testing.assert_allclose(S, TAU ** 2 * ((others ** 2).sum(1) + others.sum(1) ** 2), rtol=1e-10)


def test_chunking_does_not_change_scores():
    rng = np.random.default_rng(5)
    R = unit_rows(rng, 103, 8, np.float32)
    W = rng.standard_normal((8, 11)).astype(np.float32)
    full = gradnorm_scores(R, W, TAU)
    chunked = gradnorm_scores(R, W, TAU, chunk_size=7)
    np.testing.assert_array_equal(full[1], chunked[1])  # ỹ
    np.testing.assert_allclose(full[0], chunked[0], rtol=1e-5, atol=1e-8)  # BLAS blocking may differ in float32
    np.testing.assert_allclose(full[2], chunked[2], rtol=1e-6)


def test_select_per_group_matches_brute_force():
    rng = np.random.default_rng(6)
    n, G, k = 500, 13, 5
    scores = rng.random(n)
    groups = rng.integers(0, G, n)
    groups[groups == 3] = 4  # group 3 empty
    scores[:20] = 0.5  # ties are broken by index
    per_group, sizes = select_per_group(scores, groups, G, k)
    for g in range(G):
        members = np.flatnonzero(groups == g)
        ref = members[np.lexsort((members, scores[members]))][:k]
        np.testing.assert_array_equal(per_group[g], ref)
        assert sizes[g] == members.size
    assert per_group[3].size == 0
    largest, _ = select_per_group(scores, groups, G, k, largest=True)
    for g in range(G):
        members = np.flatnonzero(groups == g)
        ref = members[np.lexsort((members, -scores[members]))][:k]
        np.testing.assert_array_equal(largest[g], ref)
