"""Choices where the papers and their official code differ: each option does what it says on a small case."""
import numpy as np
import pytest
import torch

from conftest import code_top_per_group, noun_case, unit_rows
from laicpkg.run.config import resolve_config
from laicpkg.methods.registry import get_method


def _build(dataset, method, **overrides):
    cfg = resolve_config(dataset, method, overrides=overrides)
    return get_method(method).build(cfg.params, 10, 0), cfg


# -- k-means subsampling (faiss' 256 points per centroid) -----------------------------------------------------
def test_kmeans_subsampling_default_and_all_points_option():
    from laicpkg.core.kmeans import KMeans

    rng = np.random.default_rng(0)
    X = unit_rows(rng, 3000, 8, np.float32)
    full = KMeans(4, max_points_per_centroid=None, random_state=0).fit(X)
    same = KMeans(4, max_points_per_centroid=3000, random_state=0).fit(X)
    np.testing.assert_array_equal(full.labels_, same.labels_)
    sub = KMeans(4, max_points_per_centroid=5, random_state=0).fit(X)  # trains on 20 of 3000 points
    assert not np.allclose(sub.cluster_centers_, full.cluster_centers_, atol=1e-3)
    assert full.inertia_ <= sub.inertia_ + 1e-6  # Lloyd on every point fits every point at least as well


def test_kmeans_max_points_reaches_every_kmeans():
    model, cfg = _build("synthetic-dogs", "gradnorm")
    assert cfg.params["kmeans_max_points"] == 256 and "faiss default" in cfg.sources["kmeans_max_points"]
    assert model.kmeans_max_points == 256
    model, _ = _build("synthetic-dogs", "gradnorm", kmeans_max_points=0)
    assert model.kmeans_max_points == 0
    from laicpkg.methods.base import max_points

    for method in ("tac-filter", "tac", "sic-filter"):
        m, _ = _build("synthetic-dogs", method, kmeans_max_points=0)
        parts = [m] + ([m.noun_filter] if getattr(m, "noun_filter", None) is not None else [])
        assert all(max_points(x.kmeans_max_points) is None for x in parts), method
    sic, _ = _build("synthetic-dogs", "sic", kmeans_max_points=7)
    assert sic.kmeans_max_points == 7


# -- GradNorm official-code preset ----------------------------------------------------------------------------
OFFICIAL = {  # dataset: (C, 1/τ, κ, β), read from the authors' filter_nouns.py and concat_kmeans.py
    "cifar10": (250, 0.06, 0.009, 5), "cifar20": (200, 0.08, 0.008, 5), "stl10": (30, 0.08, 0.01, 5),
    "imagenet10": (50, 0.018, 0.006, 5), "imagenet-dogs": (50, 0.02, 0.007, 5), "dtd": (180, 0.08, 0.01, 5),
    "ucf101": (303, 0.02, 0.01, 5), "imagenet": (2000, 0.02, 0.006, 3),
}


@pytest.mark.parametrize("dataset", sorted(OFFICIAL))
def test_official_code_preset(dataset):
    C, temp, kappa, beta = OFFICIAL[dataset]
    p = resolve_config(dataset, "gradnorm", preset="official-code").params
    assert (p["n_pseudo_classes"], p["kappa"], p["beta"]) == (C, kappa, beta)
    assert p["tau"] == pytest.approx(1 / temp)
    assert p["kmeans_nredo"] == 20 and p["score_dtype"] == "float16-authors"
    paper = resolve_config(dataset, "gradnorm").params
    assert (paper["n_pseudo_classes"], paper["tau"], paper["kappa"], paper["kmeans_nredo"]) == (None, 12.5, 0.006, 1)


def test_official_code_preset_shift_sets_keep_their_own_kappa():
    p = resolve_config("imagenet-v2", "gradnorm", preset="official-code").params
    assert p["n_pseudo_classes"] == 2000 and p["beta"] == 3 and p["kappa"] == 0.004


def test_fp16_scoring_is_close_to_fp32(small_data):
    from laicpkg import GradNorm

    a = GradNorm(10, classifier="centroid", progress=False).fit(small_data.E_train, small_data.R)
    b = GradNorm(10, classifier="centroid", score_dtype="float16", progress=False).fit(small_data.E_train,
                                                                                             small_data.R)
    assert np.abs(a.scores_ - b.scores_).max() <= 0.02 * a.scores_.max()
    A, B = set(a.selected_indices_), set(b.selected_indices_)
    assert len(A & B) / len(A | B) > 0.8
    assert not np.array_equal(a.scores_, b.scores_)  # it is really computed in half precision


# -- the authors' half precision, as their code computes it ---------------------------------------------------
# Each reference below states the code's operations with torch half tensors on the CPU (torch's CPU kernels
# for half read fp16 and round every result to fp16, as the GPU kernels the code runs on do). The package
# emulates them with float32 arithmetic and one rounding per step.
def test_tac_fp16_filter_as_the_code_computes_it():
    from laicpkg.core.filters import select_per_group_as_torch, tac_scores_fp16

    E, labels, R, C = noun_case()
    E16, R16 = torch.from_numpy(E).half(), torch.from_numpy(R).half()
    centres = torch.zeros((C, E.shape[1]), dtype=torch.float16)
    for j in range(C):
        centres[j] = E16[torch.from_numpy(labels == j)].mean(dim=0)
    centres = torch.nn.functional.normalize(centres, dim=1)
    soft = torch.softmax(centres @ R16.T, dim=0).float()              # (C, nouns), over the centres
    pred = soft.argmax(dim=0)
    expected = code_top_per_group(soft.max(dim=0)[0], pred, C, 5)
    msp, assign = tac_scores_fp16(E, labels, C, R)
    np.testing.assert_array_equal(assign, pred.numpy())
    mismatch = np.abs(msp - soft.max(dim=0)[0].numpy())
    assert (mismatch == 0).mean() >= 0.99 and mismatch.max() <= 2 ** -10  # at most one fp16 step apart
    per_group, _ = select_per_group_as_torch(msp, assign, C, 5)
    got = set(np.concatenate(per_group).tolist())
    assert len(got & expected) / len(got | expected) >= 0.95, (len(got ^ expected), len(got))
    from laicpkg.core.filters import max_softmax_scores, normalized_class_means

    fp32, _ = max_softmax_scores(R, normalized_class_means(E, labels, C))
    assert not np.array_equal(msp, fp32)                                # it is really half precision


def test_gradnorm_fp16_authors_order_as_the_code_computes_it():
    from laicpkg.core.filters import select_per_group_as_torch
    from laicpkg.core.gradnorm import gradnorm_scores, gradnorm_scores_fp16_authors

    E, labels, R, C = noun_case(1)
    W = np.stack([E[labels == j].mean(0) for j in range(C)], axis=1).astype(np.float32)  # (d, C)
    temp = 0.08
    W16, R16 = torch.from_numpy(W.T.copy()).half(), torch.from_numpy(R).half()
    soft = torch.softmax((W16 @ R16.T) / temp, dim=0).float()          # product first, then ÷ temp, in half
    pred = soft.argmax(dim=0)
    p, conf = soft.T, soft.max(dim=0)[0]
    score_1 = (p ** 2).sum(1) + (1 - conf) ** 2 - conf ** 2
    score_2 = torch.sum(torch.pow(torch.abs(R16), 2.0), dim=1)
    score = torch.pow(score_1 * score_2, 0.5)
    expected = code_top_per_group(-score, pred, C, 5)
    scores, assign, msp = gradnorm_scores_fp16_authors(R, W, 1 / temp)
    np.testing.assert_array_equal(assign, pred.numpy())
    assert np.abs(scores - score.numpy()).max() <= 2e-3 * float(score.max())
    per_group, _ = select_per_group_as_torch(-scores, assign, C, 5)
    got = set(np.concatenate(per_group).tolist())
    assert len(got & expected) / len(got | expected) >= 0.95, (len(got ^ expected), len(got))
    s32, a32, _ = gradnorm_scores(R, W, 1 / temp)                       # the same ranking in exact arithmetic
    np.testing.assert_array_equal(a32, assign)
    from scipy.stats import spearmanr

    assert spearmanr(s32, scores).correlation > 0.99
    assert not np.allclose(np.sqrt(s32) * temp, scores, rtol=1e-6, atol=0)  # but rounded in half precision


def test_select_per_group_as_torch_is_torchs_tie_order():
    from laicpkg.core.filters import select_per_group, select_per_group_as_torch

    values = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5] * 30, dtype=np.float32)
    groups = np.zeros(values.size, dtype=np.int64)
    torch_way, _ = select_per_group_as_torch(values, groups, 1, 5)
    order = torch.argsort(torch.from_numpy(values), descending=True)[:5].numpy()
    np.testing.assert_array_equal(torch_way[0], order)
    stable, _ = select_per_group(values, groups, 1, 5, largest=True)
    np.testing.assert_array_equal(stable[0], np.arange(5))              # ours breaks ties by index


def test_tac_official_preset_runs_the_fp16_filter(small_data):
    from laicpkg import TAC

    a = TAC(10, random_state=0).fit(small_data.E_train, small_data.R)
    b = TAC(10, score_dtype="float16-authors", random_state=0).fit(small_data.E_train, small_data.R)
    np.testing.assert_array_equal(a.pseudo_labels_, b.pseudo_labels_)
    A, B = set(a.selected_indices_), set(b.selected_indices_)
    assert 0.5 < len(A & B) / len(A | B) < 1.0                           # same filter, other rounding and ties
    p = resolve_config("cifar10", "tac", preset="official-code").params
    assert p["tac_score_dtype"] == "float16-authors"


# -- SIC's noun centre and neighbour search as its code does them ---------------------------------------------
def test_sic_batch_mean_center():
    from laicpkg.core.filters import batch_mean_center

    rng = np.random.default_rng(0)
    R = unit_rows(rng, 256, 8, np.float32)
    exact = R.mean(0) / np.linalg.norm(R.mean(0))
    np.testing.assert_allclose(batch_mean_center(R, 128), exact, atol=1e-6)  # equal batches: the exact mean
    R = unit_rows(rng, 300, 8, np.float32)                                    # batches of 128, 128 and 44
    m = (R[:128].mean(0) + R[128:256].mean(0) + R[256:].mean(0)) / 3
    np.testing.assert_allclose(batch_mean_center(R, 128), m / np.linalg.norm(m), atol=1e-6)
    assert not np.allclose(batch_mean_center(R, 128), R.mean(0) / np.linalg.norm(R.mean(0)), atol=1e-4)


def test_sic_l2_neighbours_equal_inner_product_ones_on_unit_rows():
    from laicpkg.methods.sic import sic_neighbors

    rng = np.random.default_rng(0)
    U = unit_rows(rng, 400, 16, np.float32)
    ip, l2 = sic_neighbors(U, 10), sic_neighbors(U, 10, metric="l2")
    assert ip.shape == l2.shape == (400, 11)
    np.testing.assert_array_equal(l2[:, 0], np.arange(400))            # the image itself comes first
    same = np.mean([set(a) == set(b) for a, b in zip(ip, l2)])
    assert same >= 0.99
    excl = sic_neighbors(U, 10, "exclude-self", metric="l2")
    assert excl.shape == (400, 10) and all(i not in excl[i] for i in range(400))


def test_sic_official_preset_uses_the_codes_centre_and_search(small_data):
    from laicpkg import SIC

    o = resolve_config("cifar10", "sic", preset="official-code")
    assert o.params["sic_noun_center"] == "batch-means" and o.params["sic_neighbor_metric"] == "l2"
    from laicpkg.core.filters import uniqueness

    cut = float(np.quantile(uniqueness(small_data.R), 0.3))             # a γ_u that removes 30 % of the nouns
    a = SIC(10, gamma_u=cut, epochs=1, progress=False).select_nouns(small_data.E_train, small_data.R)
    b = SIC(10, gamma_u=cut, epochs=1, noun_center="batch-means", batch_size=700,
            progress=False).select_nouns(small_data.E_train, small_data.R)
    flips = int((a.unique_mask_ != b.unique_mask_).sum())
    assert 0 < flips < 0.05 * small_data.R.shape[0]                      # a few decisions at the γ_u cut


# -- TAC as its code runs it ----------------------------------------------------------------------------------
def test_tac_filter_restarts_and_head_init():
    m, cfg = _build("synthetic-dogs", "tac")
    assert m.kmeans_nredo == 10 and cfg.sources["tac_kmeans_nredo"] == "TAC reference code"
    from laicpkg.methods.tac import ClusterHead

    torch.manual_seed(0)
    h = ClusterHead(512, 10)
    for layer in (h.net[0], h.net[3]):
        w = layer.weight.detach()
        assert abs(float(w.std()) - 0.02) < 0.002 and float(w.abs().max()) <= 2.0
    torch.manual_seed(0)
    plain = ClusterHead(512, 10, init="torch").net[0].weight.detach()
    assert float(plain.std()) > 0.02  # Kaiming-uniform on 512 inputs: std ≈ 0.0255


def test_tac_neighbor_modes_differ_only_on_duplicates():
    from laicpkg.methods.tac import mine_neighbors

    rng = np.random.default_rng(0)
    X = unit_rows(rng, 50, 6, np.float32)
    np.testing.assert_array_equal(mine_neighbors(X, 5), mine_neighbors(X, 5, "drop-first"))
    X[1] = X[0]  # an exact duplicate ties with the sample itself
    excl = mine_neighbors(X, 5)
    drop = mine_neighbors(X, 5, "drop-first")
    assert 0 not in excl[0] and 1 in excl[0]
    assert len({0, 1} & set(drop[0])) == 1  # TAC drops whichever of the tied pair came first: maybe the duplicate
    assert all(i not in excl[i] for i in range(50))


# -- SIC as the paper and its code ----------------------------------------------------------------------------
def test_sic_gamma_u_threshold_default_and_filter_orders(small_data):
    from laicpkg import SIC

    E, R = small_data.E_train, small_data.R
    seq = SIC(10, gamma_u=0.35, gamma_r=30).select_nouns(E, R)
    np.testing.assert_array_equal(seq.unique_mask_, seq.uniqueness_ >= 0.35)  # a threshold by default
    assert 0.05 < 1 - seq.unique_mask_.mean() < 0.95
    inter = SIC(10, gamma_u=0.35, gamma_r=30, order="intersect").select_nouns(E, R)
    for j in range(10):
        top_all = np.argsort(-(R @ inter.centers_[j]), kind="stable")[:30]
        expected = set(top_all[inter.unique_mask_[top_all]])
        assert set(inter.selected_per_group_[j]) == expected
        assert len(seq.selected_per_group_[j]) == 30 and seq.unique_mask_[seq.selected_per_group_[j]].all()
    assert sum(map(len, inter.selected_per_group_)) < sum(map(len, seq.selected_per_group_))


def test_sic_adjusted_mapping_targets():
    from laicpkg.methods.sic import semantic_centers

    # one cluster; the image centre is e0; noun 0 is nearest to it, nouns 1, 2 are near noun 0 but
    # away from e0, nouns 3, 4 are the next nearest to e0
    d = 4
    U = np.tile(np.eye(d)[0], (4, 1)).astype(np.float32)
    V = np.array([[0.9, 0.436, 0, 0], [0.6, 0.8, 0, 0], [0.55, 0.835, 0, 0], [0.8, 0, 0.6, 0], [0.8, 0, 0, 0.6]],
                 dtype=np.float32)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    Q = np.ones((4, 1), dtype=np.float32)
    to_centre = semantic_centers(U, V, Q, mapping="adjusted", xi_c=4, xi_a=3)
    to_noun = semantic_centers(U, V, Q, mapping="adjusted", xi_c=4, xi_a=3, adjust_to="nearest-noun")
    want_c = V[[0, 3, 4]].mean(0)
    want_n = V[[0, 1, 2]].mean(0)
    np.testing.assert_allclose(to_centre[0], want_c / np.linalg.norm(want_c), atol=1e-6)
    np.testing.assert_allclose(to_noun[0], want_n / np.linalg.norm(want_n), atol=1e-6)


def test_sic_rank_by_logits_vs_proba():
    from laicpkg.methods.sic import semantic_centers

    # two clusters, image 0 has the larger logit for cluster 0 but the smaller probability
    logits = np.array([[5.0, 4.9], [2.0, -3.0], [0.0, 1.0]], dtype=np.float32)
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    U = np.eye(3, dtype=np.float32)
    V = np.eye(3, dtype=np.float32)
    by_logit = semantic_centers(U, V, logits, mapping="center", xi_c=1)
    by_proba = semantic_centers(U, V, proba, mapping="center", xi_c=1)
    assert by_logit[0].argmax() == 0 and by_proba[0].argmax() == 1


def test_sic_head_init_weight_decay_and_neighbours(small_data):
    from laicpkg.methods.sic import SIC, sic_neighbors

    kw = dict(gamma_u=0.3, gamma_r=50, epochs=0, progress=False)
    centred = SIC(10, **kw).fit(small_data.E_train, small_data.R)
    Rc = torch.from_numpy(centred.centers_) * 10.0  # the centres of the head's inputs 10·u
    assert torch.allclose(centred.head_.weight, 2 * 0.05 * Rc, atol=1e-5)
    plain = SIC(10, head_init="plain", **kw).fit(small_data.E_train, small_data.R)
    assert not torch.allclose(plain.head_.weight, 2 * 0.05 * Rc, atol=1e-3)
    nb = sic_neighbors(small_data.E_train[:200], 5)
    assert nb.shape == (200, 6) and (nb[:, 0] == np.arange(200)).all()
    assert sic_neighbors(small_data.E_train[:200], 5, "exclude-self").shape == (200, 5)
    kw["epochs"] = 3
    light = SIC(10, weight_decay=0.0, lr=1e-2, **kw).fit(small_data.E_train, small_data.R)
    heavy = SIC(10, weight_decay=10.0, lr=1e-2, **kw).fit(small_data.E_train, small_data.R)
    assert heavy.head_.weight.norm() < light.head_.weight.norm()


def test_sic_initial_head_is_eq8_9_on_scaled_features(small_data):
    """Eq. 8–9: q_il ∝ exp(−τ_m ‖s·u_i − s·r_l‖²), s the input scale (the code's unnormalised features)."""
    from laicpkg.methods.sic import SIC

    E = small_data.E_test
    for s in (1.0, 10.0):
        m = SIC(10, gamma_u=0.3, gamma_r=50, epochs=0, input_scale=s, progress=False).fit(small_data.E_train,
                                                                                         small_data.R)
        d2 = ((s * E[:, None, :] - s * m.centers_[None]) ** 2).sum(-1)
        expect = np.exp(-0.05 * (d2 - d2.min(1, keepdims=True)))
        np.testing.assert_allclose(m.predict_proba(E), expect / expect.sum(1, keepdims=True), atol=2e-5)
        spread = m.predict_proba(E).max(1) - m.predict_proba(E).min(1)
        # unit features: logits differ by at most 4 τ_m = 0.2, the head starts near uniform
        assert (spread < 0.03).all() if s == 1.0 else spread.mean() > 0.5


def test_sic_defaults_and_official_preset_sources():
    p = resolve_config("imagenet-dogs", "sic")
    assert p.params["sic_weight_decay"] == 0.009 and p.params["sic_lr"] == 9e-3  # code's config; paper's lr
    assert p.params["sic_gamma_u_mode"] == "threshold" and p.params["sic_adjust_to"] == "image-center"
    o = resolve_config("imagenet-dogs", "sic", preset="official-code")
    assert o.params["sic_lr"] == 1e-4 and o.params["sic_order"] == "intersect"
    assert o.params["sic_head_init"] == "plain" and o.sources["sic_head_init"] == "preset official-code"
    model = get_method("sic").build(o.params, 15, 0)
    assert (model.order, model.head_init, model.adjust_to, model.rank_by, model.neighbor_mode) == \
        ("intersect", "plain", "image-center", "logits", "include-self")


# -- the theory chapters compute what they claim --------------------------------------------------------------
def test_fixed_point_status():
    from laicpkg.theory import fixed_point_status

    assert fixed_point_status([1e-1, 1e-5, 1e-11]) == "converged"
    assert fixed_point_status([0.06, 0.065] * 40) == "oscillating"
    assert fixed_point_status(list(np.geomspace(1, 1e-6, 100))) == "slow"


def test_theorem1_leading_term_and_lemma5(small_data):
    from scipy.stats import spearmanr

    from laicpkg import GradNorm
    from laicpkg.theory import msp_scores, secu_scores, self_bounding, theorem1_leading_term, theorem1_table

    f = GradNorm(10, erm_epochs=5, progress=False).fit(small_data.E_train, small_data.R)
    t = theorem1_leading_term(f, small_data.E_train, small_data.positive_mask)
    risk = self_bounding(small_data.E_train, f.W_, 12.5, labels=f.pseudo_labels_)["loss"].mean()
    assert t.attrs["image_risk"] == pytest.approx(risk)
    np.testing.assert_allclose(t["lemma5_rhs"], 2 * 12.5 ** 2 * risk)
    np.testing.assert_allclose(t["leading_term"], t["lemma5_rhs"] / t["T_k"])
    assert (t["leading_term_holds"] == (t["Err_pos"] <= t["leading_term"])).all()
    base = theorem1_table(f, small_data.positive_mask)
    np.testing.assert_array_equal(t["Err_pos"], base["Err_pos"])
    # Eq. 13: the SeCu score ranks nouns exactly as the MSP of the same classifier
    W = f.W_
    rho = spearmanr(-secu_scores(small_data.R, W, 12.5), msp_scores(small_data.R, W, 1 / 12.5))[0]
    assert rho == pytest.approx(1.0)


def test_modality_gap_table(small_data):
    """One row per dataset; the cosine is the mean over positives of cos(noun, its class's mean image), the counts
    are those of theorem1_leading_term with the same classifier."""
    from laicpkg import GradNorm
    from laicpkg.theory import modality_gap_table, theorem1_leading_term

    t = modality_gap_table({"small": small_data})
    pos = np.flatnonzero(small_data.positive_mask)
    means = np.stack([small_data.E_train[small_data.y_train == c].mean(axis=0) for c in range(small_data.n_classes)])
    cos = (small_data.R[pos].astype(np.float64) * means[small_data.noun_class[pos]]).sum(axis=1).mean()
    assert t.loc["small", "image–positive cosine"] == pytest.approx(cos, rel=1e-6)
    f = GradNorm(small_data.n_classes, progress=False, random_state=0).select_nouns(small_data.E_train, small_data.R)
    lead = theorem1_leading_term(f, small_data.E_train, small_data.positive_mask)
    assert t.loc["small", "Lemma-5 step holds"] == f"{int((lead['lemma5_ratio'] <= 1).sum())} of {len(lead)}"
    assert t.loc["small", "mean S, images"] == pytest.approx(lead.attrs["image_mean_S"])


def test_dec_and_idec_configurations():
    from laicpkg.methods.idcl import IDCL

    X = np.random.default_rng(0).standard_normal((120, 16)).astype(np.float32)
    kw = dict(pace="none", density_core=False, transformer=False, hidden=(32, 32, 64), pretrain_epochs=3, epochs=3,
              tol=0.0, progress=False, random_state=0)
    dec = IDCL(3, reconstruction=False, **kw)
    dec.fit(X)
    before = {k: v.clone() for k, v in IDCL(3, reconstruction=False, **dict(kw, epochs=0)).fit(X)
              .model_.decoder.state_dict().items()}
    after = dec.model_.decoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # DEC: only the KL term, the decoder is untouched
    idec = IDCL(3, **kw).fit(X)
    assert not all(torch.equal(before[k], idec.model_.decoder.state_dict()[k]) for k in before)
    assert all(np.isnan(v) for v in dec.history_["d_c"])  # neither cores nor curriculum: no density computed
    from laicpkg.methods.idcl import parse_widths

    assert parse_widths("500,500,2000") == (500, 500, 2000)
    with pytest.raises(Exception, match="idcl_hidden"):
        parse_widths("500,x")


# -- scale: k-means on the GPU, bounded work arrays ----------------------------------------------------------
def test_kmeans_gpu_request_without_gpu_faiss(monkeypatch):
    import faiss

    import laicpkg.core.kmeans as km
    from laicpkg.utils.errors import ParameterError
    from laicpkg.core.kmeans import KMeans, kmeans_on_gpu

    assert kmeans_on_gpu("cpu") is False
    monkeypatch.setattr(km, "resolve_device", lambda device="auto": "cuda")  # as if torch saw a GPU
    monkeypatch.setattr(faiss, "get_num_gpus", lambda: 0)
    assert kmeans_on_gpu("auto") is False  # auto falls back to the CPU
    with pytest.raises(ParameterError, match="faiss-gpu"):
        KMeans(3, device="cuda").fit(np.random.default_rng(0).standard_normal((30, 4)))


def test_text_counterparts_blocks_are_bounded(monkeypatch):
    import laicpkg.core.counterparts as cp

    rng = np.random.default_rng(0)
    E, R = unit_rows(rng, 1000, 8, np.float32), unit_rows(rng, 50, 8, np.float32)
    full = cp.text_counterparts(E, R, 0.05)
    seen = []
    real = torch.softmax
    monkeypatch.setattr(cp, "WEIGHT_ELEMENTS", 50 * 64)
    monkeypatch.setattr(cp.torch, "softmax", lambda x, dim: seen.append(x.shape) or real(x, dim=dim))
    small = cp.text_counterparts(E, R, 0.05)
    assert max(s[0] for s in seen) == 64 and len(seen) == 16
    np.testing.assert_allclose(small, full, atol=1e-6)
