"""Bad input raises a specific exception from the API (the CLI turns it into one line)."""
import numpy as np
import pytest

from laicpkg import EmptyClusterError, FeatureError, GradNorm, ParameterError, SIC, TAC, UnknownNameError
from laicpkg.run.config import resolve_config
from laicpkg.features.container import LaICData
from laicpkg.run.runner import run


def _data(rng, n=300, d=16):
    E = rng.standard_normal((n, d))
    R = rng.standard_normal((400, d))
    return E, R


def test_nan_inf_and_zero_rows():
    rng = np.random.default_rng(0)
    E, R = _data(rng)
    E[5, 3] = np.nan
    with pytest.raises(FeatureError, match="NaN or inf"):
        GradNorm(3, erm_epochs=1).fit(E, R)
    E, R = _data(rng)
    R[7] = np.inf
    with pytest.raises(FeatureError, match="NaN or inf"):
        TAC(3).fit(E, R)
    E, R = _data(rng)
    E[2] = 0
    with pytest.raises(FeatureError, match="zero row"):
        SIC(3).select_nouns(E, R)


def test_dimension_mismatch():
    rng = np.random.default_rng(1)
    E = rng.standard_normal((100, 16))
    R = rng.standard_normal((50, 8))
    with pytest.raises(FeatureError, match="dimension mismatch"):
        GradNorm(3).fit(E, R)


def test_shapes():
    with pytest.raises(FeatureError, match="2-D"):
        GradNorm(3).fit(np.ones(5), np.ones((5, 2)))


def test_too_many_clusters():
    rng = np.random.default_rng(2)
    E, R = _data(rng, n=20)
    with pytest.raises(ParameterError, match="n_pseudo_classes"):
        GradNorm(3, n_pseudo_classes=21).fit(E, R)
    with pytest.raises(ParameterError, match="n_clusters"):
        GradNorm(25).fit(E, R)
    g = GradNorm(5, erm_epochs=1, final_nredo=1).fit(E, R)
    with pytest.raises(ParameterError, match="images to cluster"):
        g.predict(E[:3])


@pytest.mark.parametrize("beta", [0, -1])
def test_beta_must_be_positive(beta):
    rng = np.random.default_rng(3)
    E, R = _data(rng)
    with pytest.raises(ParameterError, match="beta"):
        GradNorm(3, beta=beta, erm_epochs=1).fit(E, R)


def test_bad_tau_kappa_classifier():
    rng = np.random.default_rng(4)
    E, R = _data(rng)
    with pytest.raises(ParameterError, match="tau"):
        GradNorm(3, tau=0).fit(E, R)
    with pytest.raises(ParameterError, match="classifier"):
        GradNorm(3, classifier="svm").fit(E, R)
    with pytest.raises(ParameterError, match="kappa"):
        GradNorm(3, kappa=-1, erm_epochs=1, final_nredo=1).fit(E, R).predict(E)


def test_pseudo_class_with_fewer_nouns_than_beta_keeps_what_it_has():
    rng = np.random.default_rng(5)
    E = rng.standard_normal((300, 16))
    R = rng.standard_normal((12, 16))  # 12 nouns for 9 pseudo-classes
    f = GradNorm(3, beta=5, erm_epochs=2).fit(E, R)
    assert f.short_groups_.size > 0
    kept = sum(i.size for i in f.selected_per_group_)
    assert kept == min(12, kept) and f.selected_indices_.size == 12  # every noun kept
    assert f.filter_summary()["n_short_groups"] == f.short_groups_.size


def test_empty_pseudo_classes():
    E = np.repeat(np.eye(4), 10, axis=0) + 0.0  # 4 distinct points
    R = np.random.default_rng(6).standard_normal((50, 4))
    with pytest.raises(EmptyClusterError, match="empty"):
        GradNorm(2, n_pseudo_classes=6, erm_epochs=1).fit(E, R)


def test_unknown_names():
    with pytest.raises(UnknownNameError, match="unknown method"):
        run(resolve_config("synthetic-dogs", "nope"))
    with pytest.raises(UnknownNameError, match="unknown dataset"):
        run(resolve_config("mnist-x", "kmeans"))
    with pytest.raises(UnknownNameError, match="unknown parameter"):
        resolve_config("synthetic-dogs", "gradnorm", overrides={"tua": 1})
    with pytest.raises(UnknownNameError, match="unknown preset"):
        resolve_config("synthetic-dogs", "gradnorm", preset="best")


def test_labels_must_match_features():
    rng = np.random.default_rng(7)
    with pytest.raises(FeatureError, match="labels"):
        LaICData("x", ["a"], rng.standard_normal((5, 3)), np.zeros(4), rng.standard_normal((5, 3)), np.zeros(5),
                 rng.standard_normal((2, 3)), ["n1", "n2"])
