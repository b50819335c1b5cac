"""CLIP's geometry statistics: each on a case whose answer is known, on the shipped real CLIP features (the
values their sources state), and on a twin through the geometry table."""
import numpy as np
import pytest

from laicpkg.catalog import geometry as targets
from laicpkg.features import geometry as g
from laicpkg.features import twins


def test_cone_statistics_on_known_cases():
    rng = np.random.default_rng(0)
    same = np.tile(rng.standard_normal(8), (50, 1))
    assert g.mean_pairwise_cosine(same) == pytest.approx(1.0) and g.mean_vector_norm(same) == pytest.approx(1.0)
    assert g.mean_pairwise_cosine(np.eye(6)) == pytest.approx(0.0, abs=1e-12)
    X = rng.standard_normal((4000, 40))
    assert abs(g.mean_pairwise_cosine(X)) < 0.01
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    brute = (U @ U.T)[np.triu_indices(4000, 1)].mean()
    assert g.mean_pairwise_cosine(X) == pytest.approx(brute, abs=1e-9)
    assert 34 < g.participation_ratio(X) <= 40                    # isotropic: about d
    line = np.outer(rng.standard_normal(500), rng.standard_normal(40)) + 1e-6 * rng.standard_normal((500, 40))
    assert g.participation_ratio(np.abs(line)) < 1.5               # one direction


def test_class_text_cosines_and_nn_accuracy():
    T = np.eye(3)
    E = np.array([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0]], float)
    own, other = g.class_text_cosines(E, [0, 1, 0], T)
    assert own == pytest.approx((1 + 1 + 0.6) / 3) and other == pytest.approx((0 + 0 + 0.8 + 0 + 0 + 0) / 6)
    rng = np.random.default_rng(1)
    c = np.eye(4) * 5
    y = rng.integers(0, 4, 400)
    X = c[y] + rng.standard_normal((400, 4))
    assert g.nn_accuracy(X[:300], y[:300], X[300:], y[300:]) == 100.0
    noise = rng.standard_normal((400, 4))
    assert g.nn_accuracy(noise[:300], y[:300], noise[300:], y[300:]) < 50


def test_hop_distances_and_tree_dependence():
    class Tree:  # root 0; 1, 2 under 0; 3, 4 under 1; 5 under 2
        parents = (np.array([], int), np.array([0]), np.array([0]), np.array([1]), np.array([1]), np.array([2]))

    D = g.hop_distances(Tree, [3, 4, 5, 1])
    assert D[0, 1] == 2 and D[0, 2] == 4 and D[0, 3] == 1 and D[2, 3] == 3
    rng = np.random.default_rng(2)
    T = rng.standard_normal((4, 30))
    T[1] = T[0] + 0.1 * rng.standard_normal(30)                    # siblings nearly equal
    dep = g.wordnet_dependence(T, D)
    assert dep["pairs"] == 6 and -1 <= dep["spearman"] <= 1


def test_reference_statistics_are_the_sources_values():
    ref = g.reference_statistics()
    assert ref["image-image cosine"] == pytest.approx(0.531, abs=0.001)
    assert ref["norm of the mean image"] == pytest.approx(0.73, abs=0.005)
    assert ref["image participation ratio"] == pytest.approx(43, abs=0.5)
    assert ref["image-own class text cosine"] == pytest.approx(0.310, abs=0.001)
    assert ref["image-other class text cosine"] == pytest.approx(0.162, abs=0.001)
    assert ref["Spearman(text cosine, -hops)"] == pytest.approx(0.11, abs=0.01)
    assert len(g.lvis_reference().single_sense()) == 628
    for stat, target in targets.GEOMETRY_TARGETS.items():                 # every target holds on real CLIP itself
        assert target.holds(ref[stat]), (stat, ref[stat], target.describe())


def test_linear_probe_separates_what_is_linearly_separable_and_not_noise():
    """The probe is right on two classes split by a hyperplane and at chance on labels that ignore the features."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 1.0, -1.0)  # a margin around the hyperplane x_0 = 0
    assert g.linear_probe_accuracy(X[:200], y[:200], X[200:], y[200:]) == 100.0
    noise = rng.integers(0, 2, size=400)
    assert abs(g.linear_probe_accuracy(X[:200], noise[:200], X[200:], noise[200:]) - 50.0) < 15.0


def test_targets_can_fail():
    t = targets.GEOMETRY_TARGETS["image-image cosine"]
    assert t.holds(0.5) and not t.holds(0.02) and not t.holds(0.7)
    assert not targets.GEOMETRY_TARGETS["Spearman(text cosine, -hops)"].holds(0.93)
    assert targets.GeometryTarget(1.0, tolerance=0.1).describe() == "1 ± 0.1"


@pytest.mark.slow
def test_geometry_table_of_a_twin_states_each_target():
    t = twins.geometry_table(["twin-cifar10"])
    assert set(t.loc["twin-cifar10"].index) >= set(targets.GEOMETRY_TARGETS) | {"1-NN accuracy"}
    row = t.loc[("twin-cifar10", "1-NN accuracy")]
    assert row["real CLIP"] == 91.9 and row["holds"] in ("yes", "no")
    probe = t.loc[("twin-cifar10", "linear-probe accuracy")]
    assert probe["real CLIP"] == 94.85 and probe["holds"] == ("yes" if abs(probe["twin value"] - 94.85) <= 5 else "no")
    for stat, target in targets.GEOMETRY_TARGETS.items():
        r = t.loc[("twin-cifar10", stat)]
        assert r["holds"] == ("yes" if target.holds(r["twin value"]) else "no")
