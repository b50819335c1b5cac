"""Eq. 3-4 (ERM) and Eq. 12 (centroid classifier); the GradNorm filter end to end."""
import numpy as np
import pytest

from laicpkg import GradNorm, centroid_classifier, train_erm_classifier
from laicpkg.core.filters import normalized_class_means


def test_erm_reduces_the_loss_and_is_deterministic(small_data):
    E = small_data.E_train
    y = small_data.y_train
    W1, losses1 = train_erm_classifier(E, y, 10, epochs=5, batch_size=256, random_state=3, progress=False)
    W2, losses2 = train_erm_classifier(E, y, 10, epochs=5, batch_size=256, random_state=3, progress=False)
    W3, _ = train_erm_classifier(E, y, 10, epochs=5, batch_size=256, random_state=4, progress=False)
    assert losses1[-1] < losses1[0] < np.log(10) + 0.5
    np.testing.assert_array_equal(W1, W2)
    assert not np.array_equal(W1, W3)
    acc = (np.argmax(E @ W1, axis=1) == y).mean()
    assert acc > 0.7


def test_centroid_classifier_is_normalised_class_means():
    rng = np.random.default_rng(0)
    E = rng.standard_normal((60, 5))
    y = np.repeat(np.arange(3), 20)
    W = centroid_classifier(E, y, 3)
    for k in range(3):
        m = E[y == k].mean(0)
        np.testing.assert_allclose(W[:, k], m / np.linalg.norm(m), rtol=1e-5)
    # an empty class gives a zero column rather than NaN
    W4 = normalized_class_means(E.astype(np.float32), y, 4)
    assert np.all(W4[:, 3] == 0) and np.isfinite(W4).all()


def test_gradnorm_filter_attributes(small_data):
    f = GradNorm(10, erm_epochs=3, random_state=0, progress=False).fit(small_data.E_train, small_data.R)
    C = f.n_pseudo_classes_
    assert C == 30  # N/K = 200 <= 600, so C = 3K
    assert f.W_.shape == (small_data.dim, C)
    assert f.scores_.shape == (small_data.R.shape[0],)
    assert len(f.erm_losses_) == 3
    for g, idx in enumerate(f.selected_per_group_):
        assert idx.size <= 5
        assert np.all(f.noun_assign_[idx] == g)
        # Eq. 8: every kept noun scores at most T_k, the β-th smallest of its class
        others = np.setdiff1d(np.flatnonzero(f.noun_assign_ == g), idx)
        if idx.size and others.size:
            assert f.scores_[idx].max() <= f.scores_[others].min()
    assert f.selected_indices_.size == sum(i.size for i in f.selected_per_group_)


def test_gradnorm_estimator_same_seed_same_labels(small_data):
    kw = dict(erm_epochs=3, final_nredo=2, random_state=7, progress=False)
    a = GradNorm(10, **kw).fit(small_data.E_train, small_data.R).predict(small_data.E_test)
    g = GradNorm(10, **kw)
    b = g.fit_predict(small_data.E_train, small_data.R, small_data.E_test)
    np.testing.assert_array_equal(a, b)
    assert g.text_counterparts_.shape == small_data.E_test.shape
    np.testing.assert_allclose(np.linalg.norm(g.text_counterparts_, axis=1), 1.0, rtol=1e-5)
    assert g.pseudo_labels_.shape == (small_data.E_train.shape[0],)  # learned by Stage 1, on the estimator itself
    with pytest.raises(AttributeError):
        g.not_an_attribute_
