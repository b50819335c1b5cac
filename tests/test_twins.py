"""Synthetic twins: the real datasets' classes as WordNet synsets, calibrated to CLIP's baseline rows."""
import json
from dataclasses import replace

import numpy as np
import pytest

from laicpkg.cli import main
from laicpkg.features.concepts import wordnet_graph
from laicpkg.features.datasets import get_dataset_spec, load_dataset
from laicpkg.features import twins
from laicpkg.features.twins import (CALIBRATION_FILES, DEFAULT_TWINS, TOLERANCE, baseline_scores, calibrate,
                                    calibrated_twins, make_twin, write_calibration)

# The tree model's twins (the first ones; the clip model's have their own tests in test_twins_clip.py).
TWIN_SPECS = calibrated_twins("tree")
TWINS_FILE = CALIBRATION_FILES["tree"]


def _small(name="twin-imagenet-dogs", **kw):
    return replace(TWIN_SPECS[name], n_train=300, n_test=300, dim=64, **kw)


def test_twins_have_the_real_datasets_shape():
    for name, twin in twins.TWIN_SPECS.items():  # the dataset registry's twins: this process's model
        real = get_dataset_spec(twin.dataset)
        spec = get_dataset_spec(name)
        assert (twin.n_classes, twin.n_test) == (real.n_classes, real.n_test)
        # the real train size, or a smaller one with its reason stated (ImageNet-1K only)
        assert twin.n_train == real.n_train if not twin.reduced_train else twin.n_train < real.n_train
        # the registry holds the twin's recipe; the model's calibration is applied when the twin is drawn
        assert spec.paper == real.paper and spec.synthetic.classes == twin.classes and spec.twin_of == twin.dataset
    assert {t.dataset for t in TWIN_SPECS.values()} == {"stl10", "cifar10", "cifar20", "imagenet10", "imagenet-dogs",
                                                        "dtd", "ucf101", "imagenet"}  # Tables 1-2's eight datasets
    assert [t.name for t in TWIN_SPECS.values() if t.reduced_train] == ["twin-imagenet"]
    assert TWIN_SPECS["twin-imagenet-dogs"].class_names[0] == "Maltese dog"
    assert TWIN_SPECS["twin-ucf101"].class_names[:2] == ("ApplyEyeMakeup", "ApplyLipstick")
    assert TWIN_SPECS["twin-imagenet"].class_names[0] == "tench"


def test_a_class_inside_another_owns_its_own_hyponyms():
    """UCF-101's drum (PlayingDhol) contains the bongo (PlayingTabla) and the tambourine (PlayingDaf); DTD's
    fleck contains the freckle: the more specific class owns its closure, no noun is a positive of two classes,
    and every class has its own synsets as positives."""
    g = wordnet_graph()
    for name in ("twin-ucf101", "twin-dtd"):
        spec = replace(TWIN_SPECS[name], n_train=200, n_test=200, dim=32)
        d = make_twin(spec, seed=0)
        for k, (_, wnids) in enumerate(spec.classes):
            assert all(d.noun_class[g.synset(w)] == k for w in wnids), (name, k)
    d = make_twin(replace(TWIN_SPECS["twin-ucf101"], n_train=200, n_test=200, dim=32), seed=0)
    names = TWIN_SPECS["twin-ucf101"].class_names
    drum, bongo = g.synset("n03249569"), g.synset("n02869737")
    assert bongo in set(g.hyponym_closure(drum))
    assert names[d.noun_class[bongo]] == "PlayingTabla" and names[d.noun_class[drum]] == "PlayingDhol"
    assert set(np.flatnonzero(d.noun_class == names.index("PlayingTabla"))) == set(g.hyponym_closure(bongo))


def test_positives_are_the_hyponym_closure_and_nouns_are_wordnet_words():
    d = make_twin(_small(), seed=0)
    g = wordnet_graph()
    assert len(d.nouns) == len(g) == 82115 and d.nouns[g.synset("n02084071")] == "dog"
    maltese = g.synset("n02085936")
    closure = set(g.hyponym_closure(maltese))
    assert set(np.flatnonzero(d.noun_class == 0)) == closure     # class 0, Maltese dog, and nothing else
    assert not d.positive_mask[g.synset("n02084071")]            # "dog" itself is not a positive of a breed
    assert d.E_train.shape == (300, 64) and np.bincount(d.y_test).min() == 300 // 15


def test_same_seed_same_twin_and_test_only_matches():
    a, b = make_twin(_small(), seed=1), make_twin(_small(), seed=1)
    np.testing.assert_array_equal(a.E_test, b.E_test)
    np.testing.assert_array_equal(a.R, b.R)
    t = make_twin(_small(), seed=1, test_only=True)  # what calibration evaluates is the pipeline's test split
    np.testing.assert_array_equal(t.E_test, a.E_test)
    np.testing.assert_array_equal(t.class_text, a.class_text)
    assert not np.array_equal(make_twin(_small(), seed=2).E_test, a.E_test)


def test_the_semantic_weight_drives_zero_shot():
    low = baseline_scores(_small(semantic_weight=0.1), 0)["zeroshot"]["ACC"]
    high = baseline_scores(_small(semantic_weight=2.0), 0)["zeroshot"]["ACC"]
    assert high > low + 20, (low, high)


def test_calibration_moves_toward_the_paper_and_is_written(tmp_path):
    twin = _small(semantic_weight=3.0, appearance_weight=2.0)
    before = baseline_scores(twin, 0)
    entry = calibrate(twin, seeds=(0,), steps=4, progress=False)
    target = entry["paper"]
    assert abs(entry["achieved"]["zeroshot"]["ACC"] - target["zeroshot"]["ACC"]) < \
        abs(before["zeroshot"]["ACC"] - target["zeroshot"]["ACC"])
    assert set(entry["params"]) >= {"semantic_weight", "appearance_weight", "nuisance_weight"}
    for m in ("kmeans", "zeroshot"):
        for k, tol in TOLERANCE.items():
            assert entry["within_tolerance"][m][k] == (abs(entry["achieved"][m][k] - target[m][k]) <= tol)
    path = write_calibration("twin-imagenet-dogs", entry, tmp_path / "twins.json")
    assert json.loads(path.read_text())["twin-imagenet-dogs"]["params"] == entry["params"]


@pytest.mark.slow
def test_committed_twins_reproduce_their_calibration():
    """Every committed calibration re-evaluates to its recorded baseline numbers (±1.5 points, any machine),
    and its within-tolerance flags say what the numbers say."""
    table = json.loads(TWINS_FILE.read_text())
    assert table, "no calibrated twins committed"
    for name, entry in table.items():
        twin = TWIN_SPECS[name]
        runs = [baseline_scores(twin, s) for s in entry["seeds"]]
        for m in ("kmeans", "zeroshot"):
            for k in ("ACC", "NMI"):
                here = float(np.mean([r[m][k] for r in runs]))
                assert abs(here - entry["achieved"][m][k]) <= 1.5, (name, m, k, here, entry["achieved"][m][k])
                inside = abs(entry["achieved"][m][k] - entry["paper"][m][k]) <= TOLERANCE[k]
                assert entry["within_tolerance"][m][k] == inside
                assert np.mean(entry["per_seed"][m][k]) == pytest.approx(entry["achieved"][m][k], abs=0.01)
            # the calibration's target: ACC within ±2 points of the paper and NMI within ±3, on every default
            # twin (ImageNet-1K's, outside the book's defaults, is fitted to ACC only)
            for k in ("ACC", "NMI") if name in DEFAULT_TWINS else ("ACC",):
                assert abs(entry["achieved"][m][k] - entry["paper"][m][k]) <= TOLERANCE[k], (name, m, k)
    assert set(DEFAULT_TWINS) <= set(table), set(DEFAULT_TWINS) - set(table)


def test_load_dataset_and_cli_errors(capsys):
    assert load_dataset("twin-imagenet10").nouns[:1] == ["entity"]
    assert main(["calibrate"]) == 2 and "--dataset is required" in capsys.readouterr().err
    assert main(["calibrate", "--dataset", "twin-nope"]) == 2 and "unknown twin" in capsys.readouterr().err
    assert main(["calibrate", "--dataset", "twin-imagenet10", "--seeds", "0"]) == 2
    assert main(["calibrate", "--dataset", "twin-imagenet10", "--model", "tree", "--fit-nmi", "--acc-by", "noise"]) == 2
    assert "choose one" in capsys.readouterr().err


# -- clusters that name themselves ------------------------------------------------------------------------------
def test_cluster_noun_weights_are_eq9_weights_averaged_per_cluster():
    import torch

    from laicpkg.core.counterparts import cluster_noun_weights

    rng = np.random.default_rng(0)
    E = rng.standard_normal((50, 8)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    R = rng.standard_normal((6, 8)).astype(np.float32)
    R /= np.linalg.norm(R, axis=1, keepdims=True)
    labels = rng.integers(0, 3, 50)
    W = cluster_noun_weights(E, R, labels, 3, 0.05, chunk_size=7)  # several chunks
    full = torch.softmax(torch.from_numpy(E @ R.T) / 0.05, dim=1).numpy()
    for c in range(3):
        np.testing.assert_allclose(W[c], full[labels == c].mean(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(W.sum(1), 1.0, rtol=1e-5)


def test_naming_accuracy_counts_matched_clusters_named_by_a_positive():
    from laicpkg.core.metrics import cluster_matching, naming_accuracy

    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([2, 2, 0, 0, 1, 1])
    matching = cluster_matching(y, pred)
    assert matching == {2: 0, 0: 1, 1: 2}
    noun_class = np.array([0, 1, 2, -1])
    assert naming_accuracy({2: 0, 0: 1, 1: 2}, matching, noun_class) == 100.0
    assert naming_accuracy({2: 0, 0: 3, 1: 0}, matching, noun_class) == pytest.approx(100 / 3)


def test_run_records_name_the_clusters_with_wordnet_words(tmp_path):
    from laicpkg.run.config import resolve_config
    from laicpkg.run.runner import run

    data = make_twin(_small("twin-imagenet10", semantic_weight=1.0), seed=0)
    rec = run(resolve_config("twin-imagenet10", "gradnorm", overrides={"erm_epochs": 2, "final_nredo": 2}),
              data=data).record
    names = rec["cluster_names"]
    assert len(names) == 10 and all(len(v["names"]) == 5 for v in names.values())
    vocabulary = set(wordnet_graph().lemmas[i][0] for i in range(len(wordnet_graph())))
    assert all(n in vocabulary for v in names.values() for n in v["names"])
    assert {v["class"] for v in names.values()} <= set(data.class_names)
    assert 0.0 <= rec["naming_accuracy"] <= 100.0


def test_book_tables_of_the_twins():
    from laicpkg.book.twins import twin_calibration_table, twin_positives_table

    t = twin_positives_table("twin-imagenet-dogs")
    assert t.loc["Maltese dog", "positive nouns"] == 1 and len(t) == 15
    assert t.loc["dog", "positive nouns"] > 100 if "dog" in t.index else True
    cal = twin_calibration_table()
    assert set(cal.index.get_level_values(0)) == {n for n, s in twins.TWIN_SPECS.items() if s.calibration}
    assert set(cal["ACC ok"]) <= {"✓", "✗"}


def test_laic_calibrate_writes_one_entry_and_keeps_the_others(tmp_path, capsys):
    out = tmp_path / "twins.json"
    out.write_text(json.dumps({"twin-other": {"params": {}}}))
    rc = main(["calibrate", "--dataset", "twin-imagenet10", "--model", "tree", "--seeds", "1", "--steps", "1",
               "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "twin-imagenet10 kmeans" in text and "1 done" in text
    table = json.loads(out.read_text())
    assert set(table) == {"twin-other", "twin-imagenet10"} and table["twin-imagenet10"]["seeds"] == [0]
    assert not list(tmp_path.glob("*.part"))


def test_ambiguity_lowers_kmeans_and_zero_shot():
    """ρ scales some images' class terms down: CLIP k-means and zero-shot both lose accuracy (on this small
    twin, ρ = 1 costs about 29 and 28 points)."""
    base = _small("twin-cifar10", semantic_weight=0.8, appearance_weight=0.6, image_noise=1.0)
    clear, ambiguous = (baseline_scores(replace(base, ambiguity=r), 0) for r in (0.0, 1.0))
    for m in ("kmeans", "zeroshot"):
        assert clear[m]["ACC"] > ambiguous[m]["ACC"] + 15, (m, clear[m], ambiguous[m])


def test_confusion_leans_ambiguous_images_toward_the_nearest_class():
    """c > 0: what an ambiguous image loses goes to the nearest class, so zero-shot errors concentrate on class
    pairs (NMI rises more than ACC)."""
    from laicpkg.features.twins import nearest_classes

    centre = np.eye(3)[[0, 1, 2]] + np.array([[0, 0.5, 0], [0.5, 0, 0], [0, 0.9, 0]])
    assert nearest_classes(centre / np.linalg.norm(centre, axis=1, keepdims=True)).tolist() == [1, 0, 1]
    base = replace(TWIN_SPECS["twin-dtd"], confusion=0.0, confusion_appearance=0.0)  # ρ ≈ 0.94: many ambiguous
    # c = 0: no lean, and no extra random draws (a is irrelevant)
    assert np.array_equal(make_twin(base, test_only=True).E_test,
                          make_twin(replace(base, confusion_appearance=0.7), test_only=True).E_test)
    plain, leaning = (baseline_scores(replace(base, confusion=c), 0, ("zeroshot",))["zeroshot"] for c in (0.0, 0.5))
    assert leaning["NMI"] - leaning["ACC"] > plain["NMI"] - plain["ACC"] + 3, (plain, leaning)


def test_calibration_can_fit_zero_shot_nmi_by_the_confusion():
    twin = _small(semantic_weight=3.0, appearance_weight=2.0)
    entry = calibrate(twin, seeds=(0,), steps=2, fit_nmi=True, progress=False)
    assert 0.0 < entry["params"]["confusion"] < 1.0 and 0.0 < entry["params"]["confusion_appearance"] < 1.0


def test_the_appearance_share_of_the_lean_moves_kmeans_not_zero_shot():
    """confusion_appearance a: the neighbour's appearance comes with its concept; zero-shot reads concepts only,
    so a moves CLIP k-means' NMI (here 58 → 77) and leaves zero-shot's (63 → 63)."""
    base = replace(TWIN_SPECS["twin-dtd"], confusion=0.5)
    concept_only, with_looks = (baseline_scores(replace(base, confusion_appearance=a), 0) for a in (0.0, 1.0))
    assert with_looks["kmeans"]["NMI"] > concept_only["kmeans"]["NMI"] + 10
    assert abs(with_looks["zeroshot"]["NMI"] - concept_only["zeroshot"]["NMI"]) < 2


def test_calibration_by_noise_fits_sigma_with_no_ambiguity():
    twin = _small(ambiguity=0.6)
    entry = calibrate(twin, seeds=(0,), steps=3, acc_by="noise", progress=False)
    assert entry["acc_by"] == "noise" and entry["params"]["ambiguity"] == 0.0
    assert entry["params"]["image_noise"] != twin.image_noise  # σ is what was searched
    from laicpkg.utils.errors import ParameterError

    with pytest.raises(ParameterError, match="acc_by"):
        calibrate(twin, seeds=(0,), steps=1, acc_by="blur", progress=False)
    with pytest.raises(ParameterError, match="choose one"):
        calibrate(twin, seeds=(0,), steps=1, acc_by="noise", fit_nmi=True, progress=False)


def test_noise_spreads_kmeans_errors_where_ambiguity_gathers_them():
    """At about the same CLIP k-means ACC on the CIFAR-10 twin, ambiguity (ρ = 0.85) puts the ambiguous images
    of every class into a cluster of their own (NMI above ACC), image noise (σ = 12, ρ = 0) spreads the errors
    over the classes (NMI below ACC)."""
    base = replace(TWIN_SPECS["twin-cifar10"], confusion=0.0, image_noise=1.0)
    gathered = baseline_scores(replace(base, semantic_weight=0.80, appearance_weight=0.6, ambiguity=0.85), 0,
                               ("kmeans",))["kmeans"]
    spread = baseline_scores(replace(base, semantic_weight=2.67, appearance_weight=0.5, ambiguity=0.0,
                                     image_noise=12.0), 0, ("kmeans",))["kmeans"]
    assert abs(gathered["ACC"] - spread["ACC"]) < 8, (gathered, spread)
    assert gathered["NMI"] - gathered["ACC"] > 0 > spread["NMI"] - spread["ACC"], (gathered, spread)
    assert (gathered["NMI"] - gathered["ACC"]) - (spread["NMI"] - spread["ACC"]) > 5, (gathered, spread)


def test_remeasure_keeps_the_parameters_and_measures_the_numbers_again(tmp_path, capsys):
    out = tmp_path / "twins.json"
    assert main(["calibrate", "--dataset", "twin-imagenet10", "--remeasure", "--out", str(out)]) == 0
    entry = json.loads(out.read_text())["twin-imagenet10"]
    committed = twins.TWIN_SPECS["twin-imagenet10"].calibration  # the twins of this process's model
    assert entry["params"] == committed["params"] and entry["seeds"] == committed["seeds"]
    for m in ("kmeans", "zeroshot"):  # the committed numbers were measured on this generator (k-means: any CPU)
        for k in ("ACC", "NMI"):
            assert abs(entry["achieved"][m][k] - committed["achieved"][m][k]) <= 1.5, (m, k)
    assert "twin-imagenet10 kmeans" in capsys.readouterr().out
