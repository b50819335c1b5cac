"""IDCL: density (Eq. 1), d_c, pacing (Eq. 3-6), curriculum (Eq. 7-8), cores (Eq. 9),
assignment (Eq. 10-11), the DEC target, the autoencoder, determinism and bad input."""
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist, squareform

from laicpkg.core import density as D
from laicpkg.utils.errors import FeatureError, LaicError, ParameterError
from laicpkg.methods.idcl import IDCL, TransformerAE


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    y = np.repeat(np.arange(3), [60, 40, 20])
    return centers[y] + rng.normal(scale=0.7, size=(y.size, 2)), y


@pytest.mark.parametrize("n,quantile", [(2, 0.02), (57, 0.02), (300, 0.02), (300, 0.5), (300, 1.0)])
def test_cutoff_distance_is_the_ranked_pair_distance(n, quantile):
    Z = np.random.default_rng(n).normal(size=(n, 4))
    d = np.sort(pdist(Z))
    expected = d[max(1, math.ceil(quantile * d.size)) - 1]
    assert D.cutoff_distance(Z, quantile) == pytest.approx(expected, rel=1e-12)


def test_cutoff_distance_two_pass_path_matches_brute_force(monkeypatch):
    monkeypatch.setattr(D, "_DIRECT_PAIRS", 10)  # force the histogram path
    Z = np.random.default_rng(3).normal(size=(500, 3))
    d = np.sort(pdist(Z))
    assert D.cutoff_distance(Z, 0.02, block_rows=37) == pytest.approx(d[math.ceil(0.02 * d.size) - 1], rel=1e-12)


def test_local_density_matches_eq1(blobs):
    Z, _ = blobs
    dc = D.cutoff_distance(Z)
    brute = np.exp(-squareform(pdist(Z)) ** 2 / dc ** 2).sum(1)
    np.testing.assert_allclose(D.local_density(Z, dc, block_rows=7), brute, rtol=1e-10)
    np.testing.assert_allclose(D.local_density(Z), brute, rtol=1e-10)


def test_difficulty_scores_are_min_max_normalised():
    s = D.difficulty_scores([3.0, 5.0, 4.0])
    np.testing.assert_allclose(s, [0.0, 1.0, 0.5])


def test_pace_satisfies_eq3_eq4_and_the_cap():
    t = np.arange(0, 400)
    z = D.pace(t, zeta0=0.6, zeta_max=0.95, t_grow=100)
    assert z[0] == pytest.approx(0.6)
    n = 1797
    grow = np.diff(n * z)
    assert (grow >= -1e-12).all()                                   # Eq. 3: never shrinks
    uncapped = z[1:] < 0.95
    g = grow[uncapped[:len(grow)]]
    assert (np.diff(g[:-1]) >= -1e-12).all()                         # Eq. 4: increments grow before the cap
    assert z.max() == pytest.approx(0.95) and (z <= 0.95 + 1e-15).all()
    # Eq. 5 without the cap reaches 1 at t = T_grow.
    assert D.pace(100, zeta0=0.6, zeta_max=1.0, t_grow=100) == pytest.approx(1.0)
    assert D.pace(50, zeta0=0.6, zeta_max=1.0, t_grow=100) == pytest.approx(0.6 ** 0.5)
    lin = D.pace(t, t_grow=100, kind="linear")
    assert np.allclose(np.diff(lin[:80]), 0.4 / 100)                  # fixed pace: equal increments
    assert (D.pace(t, kind="none") == 1).all()


def test_curriculum_keeps_the_densest_share_of_every_cluster():
    scores = np.array([0.9, 0.1, 0.5, 0.3, 0.8, 0.2, 0.7])
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    m = D.curriculum_mask(scores, labels, 2, 0.6)
    # cluster 0: ceil(0.6*3)=2 -> samples 0, 2; cluster 1: ceil(0.6*4)=3 -> 4, 6, 3
    assert np.flatnonzero(m).tolist() == [0, 2, 3, 4, 6]


def test_density_cores_membership(blobs):
    Z, y = blobs
    rho = D.local_density(Z)
    cores = D.density_cores(rho, y, 3, 0.05)
    assert [len(c) for c in cores] == [3, 2, 1]                       # ceil(5% of 60, 40, 20)
    for k, c in enumerate(cores):
        members = np.flatnonzero(y == k)
        assert set(c) <= set(members)
        assert rho[c].min() >= np.sort(rho[members])[::-1][len(c) - 1] - 1e-12


def test_core_assignment_is_eq10_eq11_and_rows_sum_to_one(blobs):
    Z, y = blobs
    rho = D.local_density(Z)
    cores = D.density_cores(rho, y, 3, 0.1)
    idx = np.concatenate(cores)
    lab = np.concatenate([np.full(len(c), k) for k, c in enumerate(cores)])
    q = D.core_assignment(torch.from_numpy(Z), torch.from_numpy(Z[idx]), lab, 3).numpy()
    s = np.zeros((len(Z), 3))
    for j, k in zip(idx, lab):
        s[:, k] += 1.0 / (1.0 + ((Z - Z[j]) ** 2).sum(1))
    np.testing.assert_allclose(q, s / s.sum(1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(q.sum(1), 1.0)
    assert (q.argmax(1) == y).mean() > 0.95


def test_target_distribution_is_decs():
    q = torch.tensor([[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]], dtype=torch.float64)
    f = q.sum(0)
    w = q ** 2 / f
    np.testing.assert_allclose(D.target_distribution(q).numpy(), (w / w.sum(1, keepdim=True)).numpy())


def test_density_core_assignment_recovers_blobs(blobs):
    Z, y = blobs
    m = D.DensityCoreAssignment(3, spherical=False, kmeans_nredo=5).fit(Z)
    assert (m.labels_ == m.q_.argmax(1)).all()
    from laicpkg.core.metrics import clustering_scores
    assert clustering_scores(y, m.labels_)["ACC"] > 95


def test_constant_and_too_small_inputs_fail_clearly():
    with pytest.raises(FeatureError, match="constant or mostly duplicates"):
        D.cutoff_distance(np.ones((20, 3)))
    with pytest.raises(FeatureError, match="at least 2"):
        D.cutoff_distance(np.ones((1, 3)))
    with pytest.raises(ParameterError):
        D.pace(3, zeta0=0.0)
    with pytest.raises(ParameterError):
        D.curriculum_mask([1.0], [0], 1, 1.5)


@pytest.mark.parametrize("transformer", [True, False])
def test_autoencoder_shapes(transformer):
    ae = TransformerAE((1, 8, 8), 10, (32, 32, 64), transformer=transformer)
    x = torch.rand(5, 1, 8, 8)
    z, xr = ae(x)
    assert z.shape == (5, 10) and xr.shape == x.shape
    if transformer:
        assert ae.embed_dim == 4                                     # I_c * I_h/4 * I_w/4 (Sec. 4)


def _tiny(**kw):
    return IDCL(3, hidden=(32, 32, 64), pretrain_epochs=3, epochs=4, batch_size=32, progress=False, **kw)


def test_idcl_runs_and_is_deterministic():
    rng = np.random.default_rng(0)
    X = rng.random((90, 1, 8, 8)).astype(np.float32)
    X[:30, :, :4] += 1.0
    X[30:60, :, 4:] += 1.0
    a = _tiny(random_state=1).fit(X)
    b = _tiny(random_state=1).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.history_["loss_rec"] == b.history_["loss_rec"]
    np.testing.assert_allclose(a.q_.sum(1), 1.0)
    assert a.labels_.shape == (90,) and a.embedding_.shape == (90, 10)


def test_idcl_pretrain_cache_gives_the_same_run(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.random((60, 1, 8, 8)).astype(np.float32)
    X[:30, :, :4] += 1.0
    plain = _tiny(random_state=3).fit(X)
    first = _tiny(random_state=3, pretrain_cache=tmp_path).fit(X)        # trains and stores
    files = list(tmp_path.glob("idcl-ae-*.pt"))
    assert len(files) == 1 and not first.pretrain_cached_
    again = _tiny(random_state=3, pretrain_cache=tmp_path, pace="none").fit(X)   # differs after pre-training
    assert again.pretrain_cached_ and again.pretrain_loss_ == pytest.approx(plain.pretrain_loss_)
    cached = _tiny(random_state=3, pretrain_cache=tmp_path).fit(X)
    assert cached.pretrain_cached_
    assert np.array_equal(cached.labels_, plain.labels_)
    assert cached.history_["loss_rec"] == pytest.approx(plain.history_["loss_rec"], rel=1e-5, nan_ok=True)
    _tiny(random_state=4, pretrain_cache=tmp_path).fit(X)                  # another seed: another file
    assert len(list(tmp_path.glob("idcl-ae-*.pt"))) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_post_norm_block_ends_in_layer_norm_pre_norm_keeps_the_patch():
    torch.manual_seed(0)
    x = torch.rand(3, 1, 8, 8)
    for norm_first in (False, True):
        ae = TransformerAE((1, 8, 8), 10, (16, 16, 16), norm_first=norm_first)
        t = ae.enc_blocks(ae.patch(x).flatten(2).transpose(1, 2) + ae.pos)
        centred = torch.allclose(t.mean(-1), torch.zeros(3, 16), atol=1e-5)
        assert centred == (not norm_first)   # post-norm: every 4-d patch token has mean 0


def test_idcl_curriculum_grows_with_the_pace():
    rng = np.random.default_rng(1)
    X = rng.random((120, 1, 8, 8)).astype(np.float32)
    m = IDCL(3, hidden=(16, 16, 16), pretrain_epochs=1, epochs=5, batch_size=64, t_grow=3, tol=0.0,
             progress=False).fit(X)
    zeta, n = m.history_["zeta"], m.history_["n_train"]
    assert zeta == sorted(zeta)
    for z, k in zip(zeta, n):   # per-cluster ceilings: between ζn and ζn + K
        assert math.ceil(z * 120 - 1e-9) <= k <= z * 120 + 3
    assert max(m.history_["zeta"]) == pytest.approx(0.95)


def test_idcl_bad_input():
    with pytest.raises(LaicError, match="n_clusters"):
        _tiny().fit(np.random.rand(2, 1, 8, 8))
    with pytest.raises(FeatureError, match="constant"):
        _tiny().fit(np.ones((50, 1, 8, 8)))
    with pytest.raises(ParameterError, match="image_shape"):
        _tiny().fit(np.random.rand(50, 64))


# -- Appendix F's augmentation -------------------------------------------------------------------------------
@pytest.mark.parametrize("angle,tx,ty", [(0.0, 0, 0), (10.0, 0, 0), (-7.3, 1, 0), (4.0, -1, 1), (9.9, 2, -1),
                                         (90.0, 0, 0)])
def test_affine_images_is_torchvisions_affine(angle, tx, ty):
    import torchvision.transforms.v2.functional as TF
    from torchvision.transforms import InterpolationMode

    from laicpkg.methods.idcl import affine_images

    x = torch.rand(1, 1, 12, 10, generator=torch.Generator().manual_seed(0))   # not square: no shear allowed
    ours = affine_images(x, torch.tensor([angle]), torch.tensor([[float(tx), float(ty)]]))
    ref = TF.affine(x, angle=angle, translate=[tx, ty], scale=1.0, shear=[0.0, 0.0],
                    interpolation=InterpolationMode.NEAREST)
    assert torch.equal(ours, ref)


def test_random_affine_draws_within_appendix_f():
    from laicpkg.methods.idcl import affine_images, random_affine

    x = torch.zeros(4000, 1, 8, 8)
    x[:, 0, 3, 3] = 1.0                                                      # one lit pixel per image
    out = random_affine(x, torch.Generator().manual_seed(0))
    assert torch.equal(random_affine(x, torch.Generator().manual_seed(0)), out)       # reproducible
    assert not torch.equal(random_affine(x, torch.Generator().manual_seed(1)), out)
    moved = out.flatten(1).argmax(1)
    dy, dx = moved // 8 - 3, moved % 8 - 3
    lit = out.flatten(1).max(1).values > 0
    # ±1-pixel shifts (0.1·8 rounded) plus at most 10° about the centre (3.5, 3.5): the pixel moves ≤ 1 more
    assert lit.float().mean() > 0.99 and dx.abs().max() <= 2 and dy.abs().max() <= 2
    assert {-1, 0, 1} <= set(dx.tolist()) and {-1, 0, 1} <= set(dy.tolist())
    # an angle of 10° or less never turns a 7-pixel bar by more than a pixel at its end
    bar = torch.zeros(500, 1, 9, 9)
    bar[:, 0, 4, 1:8] = 1.0
    gen = torch.Generator().manual_seed(2)
    turned = random_affine(bar, gen, max_shift=0.0)
    rows = turned[:, 0].nonzero()[:, 1]
    assert rows.min() >= 3 and rows.max() <= 5
    wide = affine_images(bar[:1], torch.tensor([45.0]), torch.zeros(1, 2))   # 45° reaches further
    assert wide[0, 0].nonzero()[:, 0].min() <= 2


def test_idcl_augmentation_changes_training_and_can_be_turned_off(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((90, 1, 8, 8)).astype(np.float32)
    X[:30, :, :4] += 1.0
    on = _tiny(random_state=1).fit(X)
    off = _tiny(random_state=1, augment=False).fit(X)
    assert on.pretrain_loss_ != off.pretrain_loss_
    assert _tiny(random_state=1).fit(X).pretrain_loss_ == on.pretrain_loss_              # still deterministic
    _tiny(random_state=1, pretrain_cache=tmp_path).fit(X)
    _tiny(random_state=1, augment=False, pretrain_cache=tmp_path).fit(X)
    assert len(list(tmp_path.glob("idcl-ae-*.pt"))) == 2                   # separate pre-trained networks
    vec = IDCL(3, transformer=False, hidden=(8, 8, 8), pretrain_epochs=1, epochs=1, progress=False)
    assert not vec._augments(torch.zeros(5, 1, 1, 16))                      # vectors are never augmented


def test_nmi_max_is_the_idcl_papers_normalisation():
    from sklearn.metrics import mutual_info_score

    from laicpkg.core.metrics import clustering_scores, nmi_max

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 300)
    c = np.where(rng.random(300) < 0.7, y, rng.integers(0, 6, 300))
    h = lambda v: -(np.bincount(v) / v.size * np.log(np.bincount(v) / v.size + 1e-300)).sum()   # noqa: E731
    expected = 100 * mutual_info_score(y, c) / max(h(y), h(c))
    assert nmi_max(y, c) == pytest.approx(expected, rel=1e-9)
    assert nmi_max(y, c) < clustering_scores(y, c)["NMI"]                   # max ≥ mean of the entropies
    assert nmi_max(y, y) == pytest.approx(100.0)
