"""The "clip" twin model: sub-modes, shared appearance modes, the image cone and texts that follow WordNet only
locally; its calibration; the committed clip twins against the geometry targets of real CLIP features."""
import json
from dataclasses import replace

import numpy as np
import pytest

from laicpkg.cli import main
from laicpkg.catalog import geometry as targets
from laicpkg.features import geometry as g
from laicpkg.features import twins
from laicpkg.features.concepts import wordnet_graph
from laicpkg.features.twins import (CALIBRATION_FILES, CLIP_DEFAULTS, CLIP_PARAMS, CLIP_STRUCTURE, DEFAULT_TWINS,
                                    TOLERANCE, base_specs, baseline_scores, calibrate, calibrated_twins,
                                    image_text_geometry, make_twin, nearest_class_lists)
from laicpkg.features.twins.calibration import fit_image_text
from laicpkg.features.twins.clip import draw_clip_world, fine_synsets
from laicpkg.features.twins.draw import class_synsets, ground_truth_positives


def _clip(name="twin-imagenet-dogs", **kw):
    return replace(base_specs()[name], **{**CLIP_DEFAULTS, **kw})


def _small(name="twin-imagenet-dogs", **kw):
    return _clip(name, n_train=300, n_test=300, dim=64, **kw)


def test_same_seed_same_clip_twin_and_test_only_matches():
    a, b = make_twin(_small(), seed=3), make_twin(_small(), seed=3)
    assert a.digest() == b.digest()
    t = make_twin(_small(), seed=3, test_only=True)
    np.testing.assert_array_equal(t.E_test, a.E_test)
    np.testing.assert_array_equal(t.class_text, a.class_text)
    assert not np.array_equal(make_twin(_small(), seed=4).E_test, a.E_test)
    assert a.meta["model"] == "clip"


def test_the_class_text_is_the_class_nouns_text():
    """Zero-shot's class text and the class synset's noun in the pool are one text (one synset per class)."""
    spec = _small()
    d = make_twin(spec, seed=0)
    graph = wordnet_graph()
    for k, (_, wnids) in enumerate(spec.classes):
        np.testing.assert_allclose(d.R[graph.synset(wnids[0])], d.class_text[k], atol=1e-6)
        assert d.positive_mask[graph.synset(wnids[0])]


def test_nearest_class_lists_in_order():
    centre = np.array([[1, 0, 0], [0.9, 0.1, 0], [0.5, 0.5, 0], [0, 0, 1]], float)
    centre /= np.linalg.norm(centre, axis=1, keepdims=True)
    assert nearest_class_lists(centre, 2).tolist() == [[1, 2], [0, 2], [1, 0], [0, 1]]  # ties: the lower index
    assert nearest_class_lists(centre, 99).shape == (4, 3)


def test_clip_twin_has_clips_cone_and_image_text_cosines_and_the_tree_twin_does_not():
    spec = _clip("twin-cifar10", n_train=2000, n_test=2000)
    d = make_twin(spec, seed=0)
    stats = g.image_geometry(d.E_train, d.y_train, d.E_test, d.y_test, d.class_text)
    for stat in ("image-image cosine", "image participation ratio", "image-own class text cosine",
                 "image-other class text cosine"):
        assert targets.GEOMETRY_TARGETS[stat].holds(stats[stat]), (stat, stats[stat])
    tree = make_twin(replace(base_specs()["twin-cifar10"], n_train=2000, n_test=2000, image_noise=16.0), seed=0)
    tstats = g.image_geometry(tree.E_train, tree.y_train, tree.E_test, tree.y_test, tree.class_text)
    assert not targets.GEOMETRY_TARGETS["image-image cosine"].holds(tstats["image-image cosine"])


def test_clip_text_follows_wordnet_only_locally():
    """On the LVIS reference's 628 unambiguous synsets: the clip model's noun cosines barely follow WordNet's hop
    distance (Spearman ≤ 0.35, as real CLIP text's 0.11), the tree model's strongly (0.9)."""
    lvis, graph = g.lvis_reference(), wordnet_graph()
    ids = [graph.index[lvis.offsets[r]] for r in lvis.single_sense()]
    D = g.hop_distances(graph, ids)
    clip = g.text_geometry(make_twin(_clip("twin-cifar10", n_train=10, n_test=10), seed=0).R[ids], D)
    tree = g.text_geometry(make_twin(replace(base_specs()["twin-cifar10"], n_train=10, n_test=10), seed=0).R[ids], D)
    spearman, mean = "Spearman(text cosine, -hops)", "text-text cosine"
    assert targets.GEOMETRY_TARGETS[spearman].holds(clip[spearman]) and targets.GEOMETRY_TARGETS[mean].holds(clip[mean]), clip
    assert not targets.GEOMETRY_TARGETS[spearman].holds(tree[spearman]), tree
    near = D == 2                                                   # siblings stay closer than the rest
    S = g._unit(make_twin(_clip("twin-cifar10", n_train=10, n_test=10), seed=0).R[ids])
    S = S @ S.T
    off = ~np.eye(len(ids), dtype=bool)
    assert S[near & off].mean() > S[off].mean() + 0.05


def test_image_lean_moves_zero_shot_and_the_appearance_modes_move_kmeans():
    base = _clip("twin-cifar10", n_test=2000)
    straight, leaning = (baseline_scores(replace(base, image_lean=r), 0, ("zeroshot",))["zeroshot"]["ACC"]
                         for r in (0.0, 1.2))
    assert straight > leaning + 20, (straight, leaning)
    small, large = (baseline_scores(replace(base, mode_offset=z), 0) for z in (0.1, 0.9))
    assert small["kmeans"]["ACC"] > large["kmeans"]["ACC"] + 20, (small, large)
    assert abs(small["zeroshot"]["ACC"] - large["zeroshot"]["ACC"]) < 5        # text reads concepts, not looks


def _world(spec, seed=0):
    """The clip world of one data seed of ``spec`` and its classes' (synsets, strict hyponyms)."""
    graph = wordnet_graph()
    classes = class_synsets(spec, graph)
    w, members, _, _ = draw_clip_world(spec, seed, classes, ground_truth_positives(graph, classes))
    return w, members


def test_synset_modes_give_the_sub_modes_of_one_fine_class_its_own_few_appearance_modes():
    """CIFAR-20 (superclasses of five CIFAR-100 classes): with ``synset_modes`` m, the sub-modes that show one
    fine class (its synset or a hyponym of it) take at most m appearance modes; with 0, they draw from the
    whole shared pool. A twin whose classes are one synset each (CIFAR-10) draws the same world either way."""
    spec = _clip("twin-cifar20", dim=64)
    graph = wordnet_graph()
    worlds = {}
    for m in (0, 1, 2):
        w, members = worlds[m] = _world(replace(spec, synset_modes=m))
        most = 0
        for k, (own, hyp) in enumerate(members):
            assert set(w.sub_fine[k]) <= set(range(own.size))
            for f in range(own.size):
                shown = w.sub_fine[k] == f
                if shown.any():
                    most = max(most, np.unique(w.sub_mode[k, shown]).size)
        assert (most <= m) if m else (most > 2), (m, most)
    # the first class's concepts come before any synset's own modes are drawn: the same either way
    np.testing.assert_array_equal(worlds[0][0].sub_sem[0], worlds[1][0].sub_sem[0])
    np.testing.assert_array_equal(worlds[0][0].sub_fine[0], worlds[1][0].sub_fine[0])
    # a hyponym sub-mode's fine class is the synset it descends from
    own, hyp = worlds[0][1][0]
    for h, f in zip(hyp, fine_synsets(graph, [(own, hyp)])[0]):
        assert h in graph.hyponym_closure(int(np.sort(own)[f]))
    one = _clip("twin-cifar10", dim=64)
    a, _ = _world(one)
    b, _ = _world(replace(one, synset_modes=1))
    np.testing.assert_array_equal(a.sub_mode, b.sub_mode)
    np.testing.assert_array_equal(a.sub_sem, b.sub_sem)


def test_image_overlap_draws_that_share_of_images_as_images_of_the_nearest_class():
    """With ``image_overlap`` q a share q of the images shows its class's nearest class (the label stays):
    zero-shot names that class for about that share, and 1-NN finds that class's images; q outside [0, 1] is
    refused."""
    base = _clip("twin-cifar10", n_train=2000, n_test=2000, image_lean=0.0, submode_lean=0.0)
    world, _ = _world(base)
    share = {}
    for q in (0.0, 0.3, 1.0):
        d = make_twin(replace(base, image_overlap=q), seed=0)
        pred = np.argmax(d.E_test @ d.class_text.T, axis=1)
        share[q] = (np.mean(pred == d.y_test), np.mean(world.near[d.y_test, 0] == pred),
                    g.nn_accuracy(d.E_train, d.y_train, d.E_test, d.y_test))
    assert share[0.0][0] > 0.95 and share[0.0][1] < 0.03, share
    assert abs(share[0.3][1] - 0.3) < 0.05 and abs(share[0.3][0] - 0.7) < 0.05, share
    assert share[1.0][1] > 0.95 and share[1.0][0] < 0.03, share
    assert share[0.0][2] > share[0.3][2] + 25, share                     # those images' neighbours are the partner's
    with pytest.raises(ValueError, match="image_overlap"):
        make_twin(replace(base, image_overlap=1.5), seed=0, test_only=True)


def test_more_lean_partners_spread_zero_shot_errors():
    base = _clip("twin-dtd", image_lean=1.0)
    few, many = (baseline_scores(replace(base, lean_partners=p), 0, ("zeroshot",))["zeroshot"] for p in (1, 30))
    assert few["NMI"] - few["ACC"] > many["NMI"] - many["ACC"] + 3, (few, many)


def test_the_image_text_fit_brings_an_own_text_cosine_into_clips_range_and_keeps_the_cone():
    """Images that are mostly their concept (no lean, small appearance modes) sit near their class text; the
    geometry fit moves the isotropic noise σ and the image offset g_i until the image–own-class-text cosine is
    CLIP's (±0.05) and the image–image cosine the COCO images' (±0.03); a twin already in range is returned as
    it is."""
    key = "image-own class text cosine"
    close = _clip("twin-imagenet10", image_lean=0.0, submode_lean=0.0, mode_offset=0.1)
    before = image_text_geometry(close, (0,))
    assert before[key] > 0.36, before
    fitted = fit_image_text(close, (0,), 3)
    after = image_text_geometry(fitted, (0,))
    assert abs(after[key] - 0.31) <= 0.05, after
    assert abs(after["image-image cosine"] - g.reference_statistics()["image-image cosine"]) <= 0.03, after
    assert fitted.image_noise > close.image_noise and fitted.image_gap != close.image_gap
    inside = replace(fitted, image_lean=0.2)
    assert targets.GEOMETRY_TARGETS[key].holds(image_text_geometry(inside, (0,))[key])
    assert fit_image_text(inside, (0,), 3) is inside


def test_clip_calibration_moves_toward_the_paper(tmp_path):
    out = tmp_path / "twins_clip.json"
    rc = main(["calibrate", "--model", "clip", "--dataset", "twin-imagenet10", "--seeds", "1", "--steps", "2",
               "--out", str(out)])
    assert rc == 0
    entry = json.loads(out.read_text())["twin-imagenet10"]
    assert entry["model"] == "clip" and set(entry["params"]) == set(CLIP_PARAMS)
    assert entry["params"]["model"] == "clip"
    start = baseline_scores(_clip("twin-imagenet10"), 0)["zeroshot"]["ACC"]
    assert abs(entry["achieved"]["zeroshot"]["ACC"] - 97.6) < abs(start - 97.6) or abs(start - 97.6) < 2


def test_a_structure_that_fixes_the_lean_partners_is_kept_by_the_calibration(monkeypatch):
    from laicpkg.features import twins

    monkeypatch.setitem(twins.CLIP_STRUCTURE, "twin-imagenet10", {"lean_partners": 2, "image_overlap": 0.05})
    entry = calibrate("twin-imagenet10", model="clip", seeds=(0,), steps=1, progress=False)
    assert entry["params"]["lean_partners"] == 2 and entry["params"]["image_overlap"] == 0.05


def test_clip_options_that_do_not_combine(capsys):
    assert main(["calibrate", "--model", "clip", "--dataset", "twin-dtd", "--fit-nmi"]) == 2
    assert "tree model" in capsys.readouterr().err
    from laicpkg.features.twins import twin_model

    other = "tree" if twin_model() == "clip" else "clip"  # --check reads the twins of this process's model
    assert main(["calibrate", "--model", other, "--check"]) == 2
    assert "LAIC_TWIN_MODEL" in capsys.readouterr().err


def test_unknown_twin_model_is_refused(monkeypatch):
    from laicpkg.features.twins import twin_model
    from laicpkg.utils.errors import ParameterError

    monkeypatch.setenv("LAIC_TWIN_MODEL", "bogus")
    with pytest.raises(ParameterError, match="LAIC_TWIN_MODEL"):
        twin_model()
    with pytest.raises(ParameterError, match="unknown twin model"):
        make_twin(_small(model="bogus"))


def test_the_clip_model_is_the_default_and_tree_is_chosen_by_name(monkeypatch):
    """Unset or empty, LAIC_TWIN_MODEL means the clip model (the book's twins); "tree" picks the first twins."""
    from laicpkg.features.twins import DEFAULT_MODEL, twin_model

    monkeypatch.delenv("LAIC_TWIN_MODEL", raising=False)
    assert DEFAULT_MODEL == "clip" and twin_model() == "clip"
    monkeypatch.setenv("LAIC_TWIN_MODEL", "")
    assert twin_model() == "clip"
    monkeypatch.setenv("LAIC_TWIN_MODEL", "tree")
    assert twin_model() == "tree"


CLIP_TWINS = calibrated_twins("clip") if CALIBRATION_FILES["clip"].is_file() else {}


#: Rows the clip model does not yet reach (measured; strict: the test fails once they are reached, so the
#: list cannot outlive the miss). Its parameters move where zero-shot's errors go (the lean partners), not
#: where k-means' go.
CALIBRATION_MISSES: dict = {}


def test_committed_clip_calibration_has_every_default_twin_and_reproduces():
    """Every default twin has a clip calibration over data seeds 0–2, whose within-tolerance flags say what its
    numbers say, and one re-evaluates to its recorded numbers (±1.5, any machine)."""
    table = json.loads(CALIBRATION_FILES["clip"].read_text())
    assert set(DEFAULT_TWINS) <= set(table), set(DEFAULT_TWINS) - set(table)
    for name in DEFAULT_TWINS:
        entry = table[name]
        assert entry["seeds"] == [0, 1, 2] and entry["model"] == "clip"
        for m in ("kmeans", "zeroshot"):
            for k in ("ACC", "NMI"):
                inside = abs(entry["achieved"][m][k] - entry["paper"][m][k]) <= TOLERANCE[k]
                assert entry["within_tolerance"][m][k] == inside
    name = "twin-imagenet-dogs"
    runs = [baseline_scores(CLIP_TWINS[name], s) for s in table[name]["seeds"]]
    for m in ("kmeans", "zeroshot"):
        for k in ("ACC", "NMI"):
            here = float(np.mean([r[m][k] for r in runs]))
            assert abs(here - table[name]["achieved"][m][k]) <= 1.5, (m, k, here)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=CALIBRATION_MISSES[n]))
                                  if n in CALIBRATION_MISSES else n for n in DEFAULT_TWINS])
def test_committed_clip_twin_meets_the_paper_rows(name):
    """CLIP k-means and zero-shot within ±2 ACC / ±3 NMI of the paper (mean over three data seeds)."""
    entry = json.loads(CALIBRATION_FILES["clip"].read_text())[name]
    for m in ("kmeans", "zeroshot"):
        for k in ("ACC", "NMI"):
            assert abs(entry["achieved"][m][k] - entry["paper"][m][k]) <= TOLERANCE[k], (m, k)


def test_each_committed_clip_twin_was_calibrated_with_its_structure():
    """The structure :data:`CLIP_STRUCTURE` gives a twin is in its committed calibration (and a twin without one
    has the defaults: no synset modes, no images that show another class)."""
    committed = json.loads(CALIBRATION_FILES["clip"].read_text())
    for name, entry in committed.items():
        for key, value in CLIP_STRUCTURE.get(name, {}).items():
            assert entry["params"][key] == value, (name, key)
        if name not in CLIP_STRUCTURE:
            assert entry["params"].get("synset_modes", 0) == 0 and entry["params"].get("image_overlap", 0.0) == 0.0


#: Geometry targets a committed clip twin misses (measured, strict as above).
GEOMETRY_MISSES: dict = {}


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=GEOMETRY_MISSES[n]))
                                  if n in GEOMETRY_MISSES else n for n in DEFAULT_TWINS])
def test_committed_clip_twins_meet_the_geometry_targets(name):
    """Each default clip twin (data seed 0) against every geometry target and its 1-NN reference."""
    table = twins.geometry_table([CLIP_TWINS[name]])
    for stat, row in table.loc[name].iterrows():
        assert row["holds"] in ("yes", "—"), (name, stat, row["twin value"], row["target"])


def test_a_clip_twins_record_names_its_model_and_a_tree_twins_is_unchanged():
    from laicpkg.run.config import resolve_config
    from laicpkg.run.records import record_head

    config = resolve_config("twin-imagenet-dogs", "kmeans", seed=0)
    clip = record_head(config, make_twin(_small(), seed=0))
    tree = record_head(config, make_twin(replace(base_specs()["twin-imagenet-dogs"], n_train=300, n_test=300,
                                                 dim=64), seed=0))
    assert clip["data_source"]["twin_model"] == "clip"
    assert set(tree["data_source"]) == {"generator", "data_seed"}  # the tree twins' records keep their fingerprints


def test_a_twin_without_a_clip_calibration_is_an_uncalibrated_clip_twin():
    twins = calibrated_twins("clip")
    assert all(t.model == "clip" for t in twins.values())
    assert not twins["twin-imagenet"].calibration and twins["twin-imagenet"].spread == CLIP_DEFAULTS["spread"]
