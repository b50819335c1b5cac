"""Equal to the authors' public code on identical inputs, in float32.

Each reference below restates, with torch on the CPU, the operations that the authors' code performs (TAC:
filter_nouns.py; GradNorm: filter_nouns.py and concat_kmeans.py; SIC: utils/semantic_filters.py), on the
same small inputs the package gets; the package must select the same nouns and build the same features.
The half-precision paths of the ``official-code`` preset are checked in tests/test_fidelity.py.
"""
import numpy as np
import torch
import torch.nn.functional as F

from conftest import code_top_per_group, noun_case


def _selected(per_group):
    return set(np.concatenate([g for g in per_group if len(g)]).tolist())


def test_tac_filter_equals_the_code_in_float32():
    from laicpkg.core.filters import max_softmax_scores, normalized_class_means, select_per_group

    E, labels, R, C = noun_case(n_img=900, n_nouns=2000, C=15)
    Et, Rt = torch.from_numpy(E), torch.from_numpy(R)
    centres = F.normalize(torch.stack([Et[torch.from_numpy(labels == j)].mean(0) for j in range(C)]), dim=1)
    soft = torch.softmax(centres @ Rt.T, dim=0)                 # over the centres, temperature 1
    pred = soft.argmax(0)
    expected = code_top_per_group(soft.max(0)[0], pred, C, 5)
    msp, assign = max_softmax_scores(R, normalized_class_means(E, labels, C))
    np.testing.assert_array_equal(assign, pred.numpy())
    np.testing.assert_allclose(msp, soft.max(0)[0].numpy(), rtol=1e-5)
    per_group, _ = select_per_group(msp, assign, C, 5, largest=True)
    assert _selected(per_group) == expected


def test_gradnorm_filter_equals_the_code_in_float32():
    from laicpkg.core.filters import select_per_group
    from laicpkg.core.gradnorm import gradnorm_scores

    E, labels, R, C = noun_case(1, n_img=900, n_nouns=2000, C=15)
    W = np.stack([E[labels == j].mean(0) for j in range(C)], axis=1).astype(np.float32)   # (d, C)
    temp = 0.08
    soft = torch.softmax((torch.from_numpy(W.T.copy()) @ torch.from_numpy(R).T) / temp, dim=0)
    pred, conf, p = soft.argmax(0), soft.max(0)[0], soft.T
    score = torch.sqrt(((p ** 2).sum(1) + (1 - conf) ** 2 - conf ** 2) * (torch.from_numpy(R) ** 2).sum(1))
    expected = code_top_per_group(-score, pred, C, 5)               # argsort(-score, descending): the lowest
    S, assign, _ = gradnorm_scores(R, W, 1 / temp)
    np.testing.assert_array_equal(assign, pred.numpy())
    # the package's S = τ²(...)‖r‖², the code's √(...)·‖r‖: the same ranking, equal after the conversion
    np.testing.assert_allclose(np.sqrt(S) * temp, score.numpy(), rtol=2e-4, atol=1e-7)
    per_group, _ = select_per_group(S, assign, C, 5, largest=False)
    assert _selected(per_group) == expected


def test_text_counterparts_equal_the_code():
    from laicpkg.core.counterparts import concat_features, text_counterparts

    E, _, R, _ = noun_case(2, n_img=900, n_nouns=2000, C=15)
    R_pos = R[:300]
    tau = 0.006
    sim = torch.softmax(torch.from_numpy(E) @ torch.from_numpy(R_pos).T / tau, dim=1)
    V_code = F.normalize(sim @ torch.from_numpy(R_pos), dim=1).numpy()
    V = text_counterparts(E, R_pos, tau)
    np.testing.assert_allclose(V, V_code, atol=3e-6)
    np.testing.assert_array_equal(concat_features(E, V)[:, :E.shape[1]], E)


def test_sic_semantic_space_equals_the_code():
    from laicpkg.methods.sic import SIC

    E, _, R, _ = noun_case(3, n_img=900, n_nouns=2000, C=15)
    gamma_u, gamma_r, K = 0.3, 60, 15
    model = SIC(K, gamma_u=gamma_u, gamma_r=gamma_r, order="intersect", kmeans_nredo=1,
                progress=False).select_nouns(E, R)
    Rt = torch.from_numpy(R)
    centre = Rt.mean(0, keepdim=True)                            # one batch holds every noun here
    unique = set(torch.where(F.cosine_similarity(Rt, centre) < 1 - gamma_u)[0].tolist())
    centres = torch.from_numpy(model.centers_)
    sim = F.cosine_similarity(centres.unsqueeze(1), Rt.unsqueeze(0), dim=2)
    nearest = set(torch.topk(sim, gamma_r)[1].reshape(-1).tolist())
    expected = nearest & unique                                  # the code intersects the two filters
    assert set(np.flatnonzero(model.unique_mask_).tolist()) == unique
    assert set(model.selected_indices_.tolist()) == expected


def test_final_kmeans_equals_the_codes_faiss_call():
    import faiss

    from laicpkg.core.counterparts import concat_features, final_clustering, text_counterparts

    E, _, R, K = noun_case(4, n_img=4200, n_nouns=2000, C=15)
    X = concat_features(E, text_counterparts(E, R[:300], 0.006))
    km = faiss.Kmeans(X.shape[1], K, spherical=True, niter=300, nredo=20, seed=0, verbose=False)
    km.train(np.ascontiguousarray(X, dtype=np.float32))           # faiss' default: ≤ 256 points per centroid
    expected = km.index.search(np.ascontiguousarray(X, dtype=np.float32), 1)[1].ravel()
    assert X.shape[0] > 256 * K                                    # the subsampling is really exercised
    np.testing.assert_array_equal(final_clustering(X, K), expected)
