"""The synthetic LaIC benchmark: shapes, determinism, planted structure, and the LaIC phenomenon."""
import numpy as np
import pytest

from laicpkg import KMeans, UnknownNameError, clustering_scores
from laicpkg.methods.base import NounSelector, TwoStage
from laicpkg.features.synthetic import list_synthetic, make_synthetic


def test_presets_exist():
    assert list_synthetic() == ["synthetic-cifar10", "synthetic-cifar20", "synthetic-dogs"]
    with pytest.raises(UnknownNameError):
        make_synthetic("synthetic-mnist")


def test_shapes_norms_and_determinism(small_data):
    again = make_synthetic("synthetic-cifar10", seed=0, n_train=2000, n_test=500, n_nouns=3000, dim=128)
    other = make_synthetic("synthetic-cifar10", seed=1, n_train=2000, n_test=500, n_nouns=3000, dim=128)
    np.testing.assert_array_equal(small_data.E_train, again.E_train)
    np.testing.assert_array_equal(small_data.R, again.R)
    assert small_data.nouns == again.nouns
    assert not np.array_equal(small_data.E_train, other.E_train)
    assert small_data.E_train.shape == (2000, 128) and small_data.R.shape == (3000, 128)
    np.testing.assert_allclose(np.linalg.norm(small_data.R, axis=1), 1, rtol=1e-5)
    assert np.bincount(small_data.y_train).tolist() == [200] * 10
    assert small_data.positive_mask.sum() == 10 * 20
    pos_names = {small_data.nouns[i].split("#")[0] for i in np.flatnonzero(small_data.positive_mask)}
    assert pos_names == set(small_data.class_names)


def test_modality_gap(small_data):
    """Image-image and text-text cosines exceed image-text cosines (two cones)."""
    E, R = small_data.E_train[:300], small_data.R[:300]
    ii = (E @ E.T)[np.triu_indices(300, 1)].mean()
    tt = (R @ R.T)[np.triu_indices(300, 1)].mean()
    it = (E @ R.T).mean()
    assert ii > 0.2 and tt > 0.2 and abs(it) < 0.05


def test_positives_are_closer_to_their_class_images(small_data):
    E, y, R = small_data.E_train, small_data.y_train, small_data.R
    pos = np.flatnonzero(small_data.positive_mask)
    sims = E @ R[pos].T  # images × positive nouns
    same = small_data.noun_class[pos][None, :] == y[:, None]
    assert sims[same].mean() > sims[~same].mean() + 0.05


def test_close_pairs_are_close_in_image_space_only():
    d = make_synthetic("synthetic-cifar10", seed=0, n_train=2000, n_test=200, n_nouns=2000, dim=256)
    means = np.stack([d.E_train[d.y_train == k].mean(0) for k in range(10)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    cos = means @ means.T
    pair = cos[3, 5]  # cat/dog share their appearance
    others = cos[np.triu_indices(10, 1)]
    assert pair > np.sort(others)[-3]


class _OracleFilter(NounSelector):
    """Keeps the true positives: isolates what Stage 2 gains from language."""

    filter_name = "oracle"

    def __init__(self, mask):
        self.mask = mask

    def _select(self, E, R):
        idx = np.flatnonzero(self.mask)
        self._record_groups([idx], np.array([idx.size]), 1)


def test_language_helps_on_the_dogs_preset():
    """The phenomenon LaIC addresses: k-means on [e; v] beats k-means on e (measured, seed 0)."""
    d = make_synthetic("synthetic-dogs", seed=0)
    image_only = KMeans(d.n_classes, nredo=10, random_state=0).fit(d.E_test).labels_
    concat = TwoStage(d.n_classes, noun_filter=_OracleFilter(d.positive_mask), final_nredo=10, random_state=0)
    labels = concat.fit(d.E_train, d.R).predict(d.E_test)
    acc_img = clustering_scores(d.y_test, image_only)["ACC"]
    acc_cat = clustering_scores(d.y_test, labels)["ACC"]
    assert acc_cat > acc_img + 5, (acc_img, acc_cat)
