"""The book's answers (laicpkg.book.findings) and readers' names (laicpkg.book.display)."""
import numpy as np
import pandas as pd
import pytest

from laicpkg.book.display import display_name, reader_frame, reader_label
from laicpkg.book.findings import (answer_frame, answer_lines, answer_text, equal_c_table, paired_table,
                                   preset_table, seed_story, story_text, verdict, worst_seed)


def _rec(dataset, method, seed, acc, **extra):
    return {"dataset": dataset, "method": method, "seed": seed, "metrics": {"ACC": acc, "NMI": 0.0, "ARI": 0.0},
            **extra}


def _records(diffs, dataset="twin-dtd", first="gradnorm", second="tac", base=50.0):
    return ([_rec(dataset, second, s, base) for s in range(len(diffs))]
            + [_rec(dataset, first, s, base + d) for s, d in enumerate(diffs)])


def test_verdict_needs_two_standard_errors():
    assert verdict(1.0, 0.4, 3) == "yes" and verdict(1.0, 0.6, 3) == "tie"
    assert verdict(-1.0, 0.4, 3) == "no" and verdict(5.0, float("nan"), 1) == "tie"


def test_paired_table_pairs_by_seed_with_sample_standard_error():
    recs = _records([1.0, 2.0, 3.0]) + _records([-3.0, -2.9, -3.1], dataset="twin-stl10")
    p = paired_table(recs, pairs=(("gradnorm", "tac"),)).set_index("dataset")
    assert p.loc["twin-dtd", "mean"] == pytest.approx(2.0)
    assert p.loc["twin-dtd", "se"] == pytest.approx(1.0 / np.sqrt(3))  # std with n - 1 = 1.0
    assert p.loc["twin-dtd", "verdict"] == "yes" and p.loc["twin-stl10", "verdict"] == "no"
    assert p.loc["twin-dtd", "seed ids"] == [0, 1, 2]
    # a seed only one method ran is left out of the pair
    extra = recs + [_rec("twin-dtd", "gradnorm", 7, 99.0)]
    assert paired_table(extra, pairs=(("gradnorm", "tac"),)).set_index("dataset").loc["twin-dtd", "seeds"] == 3
    assert worst_seed(paired_table(recs)) == ("twin-stl10", 2, pytest.approx(-3.1))


def test_answers_say_yes_only_when_every_twin_is_resolved():
    recs = _records([1.0, 2.0, 3.0]) + _records([-3.0, -2.9, -3.1], dataset="twin-stl10") \
        + _records([1.0, -1.0, 0.5], dataset="twin-ucf101")
    p = paired_table(recs, pairs=(("gradnorm", "tac"),))
    lines = answer_lines(p)[("gradnorm", "tac")]
    assert lines == {"yes": ["DTD"], "no": ["STL-10"], "tie": ["UCF-101"], "n": 3}
    text = answer_text(p)
    assert "Does GradNorm beat TAC? **No.**" in text and "better on 1 of 3 twins (DTD)" in text
    frame = answer_frame(p)
    assert list(frame["GradNorm beats TAC?"]) == ["yes", "no, TAC is better", "no, a tie (within 2 SE)"]
    assert frame.index.name == "twin (3 seeds)" and list(frame.index) == ["DTD", "STL-10", "UCF-101"]
    every = paired_table(_records([1.0, 2.0, 3.0]), pairs=(("gradnorm", "tac"),))
    assert "**Yes.**" in answer_text(every)


def test_preset_and_equal_c_tables():
    paper = _records([1.0, 1.1, 0.9, 50.0])  # seed 3 ran only with the paper's settings: left out
    official = _records([-2.0, -2.1, -1.9])
    t = preset_table(paper, official)
    assert t.loc["DTD", "GradNorm (paper)"] == pytest.approx(51.0)
    assert t.loc["DTD", "GradNorm beats TAC? (paper)"] == "yes"
    assert t.loc["DTD", "GradNorm beats TAC? (official code)"] == "no, TAC is better"
    filt = lambda C, recall: {"filter": {"n_pseudo_classes": C, "recall": recall}}  # noqa: E731
    recs = ([_rec("twin-dtd", "gradnorm", s, 50 + s, **filt(10, 80.0)) for s in range(3)]
            + [_rec("twin-dtd", "tac", s, 50, **filt(20, 90.0)) for s in range(3)]
            + [_rec("twin-dtd", "tac-equal-c", s, 49, **filt(10, 85.0)) for s in range(3)]
            + [_rec("twin-dtd", "tac-filter-equal-c", s, 50 + s - 3, **filt(10, 85.0)) for s in range(3)])
    e = equal_c_table(recs)
    assert e.loc["DTD", "C: GradNorm / TAC"] == "10 / 20"
    assert e.loc["DTD", "ACC: TAC at GradNorm's C"] == 49
    assert e.loc["DTD", "GradNorm's score better?"] == "yes"  # +3 on every seed
    assert e.loc["DTD", "GradNorm − TAC's filter, same C and Stage 2"] == "+3.0 ± 0.0"


def test_seed_story_names_lost_positives_and_misnamed_clusters():
    positives = {"cat": {"cat", "kitten"}, "dog": {"dog"}}
    names = lambda a, b: {"0": {"class": "cat", "names": a}, "1": {"class": "dog", "names": b}}  # noqa: E731
    recs = [_rec("twin-cifar10", "gradnorm", 0, 80, selected_nouns={"0": ["cat"], "1": ["tree"]},
                 cluster_names=names(["cat", "kitten"], ["tree", "dog"])),
            _rec("twin-cifar10", "tac", 0, 90, selected_nouns={"0": ["cat", "kitten"], "1": ["dog"]},
                 cluster_names=names(["cat"], ["dog"]))]
    story = seed_story(recs, "twin-cifar10", 0, positives)
    assert list(story["positives kept: GradNorm"]) == [1, 0] and list(story["positives kept: TAC"]) == [2, 1]
    text = story_text(story)
    assert "for cat (1 against 2), dog (0 against 1)" in text
    assert "GradNorm dog (named tree, dog); TAC none" in text


def test_display_names_are_one_mapping():
    assert display_name("tac-star") == "TAC*" and display_name("gradnorm-tac-star") == "GradNorm→TAC*"
    assert display_name("twin-imagenet-dogs") == "ImageNet-Dogs" and display_name("cifar10") == "CIFAR-10"
    assert display_name("synthetic-cifar20") == "small CIFAR-20-like preset"
    assert reader_label("tac-star: total loss, tac and kmeans") == "TAC*: total loss, TAC and CLIP k-means"
    assert reader_label("tac_top_k stays") == "tac_top_k stays" and reader_label(3.0) == 3.0
    frame = pd.DataFrame({"ACC": [1.0, 2.0]}, index=pd.MultiIndex.from_tuples(
        [("twin-dtd", "gradnorm"), ("twin-dtd", "tac")], names=["dataset", "method"]))
    shown = reader_frame(frame)
    assert list(shown.index) == [("DTD", "GradNorm"), ("DTD", "TAC")] and list(frame.index)[0][1] == "gradnorm"


def test_tac_at_gradnorms_c_and_compare_with_a_preset(tmp_path):
    from laicpkg.core.filters import pseudo_class_count
    from laicpkg.run.experiments import compare
    from laicpkg.features.datasets import get_dataset_spec

    spec = get_dataset_spec("synthetic-cifar10")
    recs = {r["method"]: r for r in compare(["synthetic-cifar10"], ["tac", "tac-equal-c", "tac-filter-equal-c"],
                                            range(1), records_dir=tmp_path, preset="official-code", progress=False)}
    n, k = spec.n_train, spec.n_classes
    assert recs["tac"]["filter"]["n_pseudo_classes"] == pseudo_class_count(n, k, 300)
    for m in ("tac-equal-c", "tac-filter-equal-c"):
        assert recs[m]["filter"]["n_pseudo_classes"] == pseudo_class_count(n, k, 600) != pseudo_class_count(n, k, 300)
        assert recs[m]["preset"] == "official-code"
    assert recs["tac"]["sources"]["tac_score_dtype"] == "preset official-code"


def test_gain_over_the_better_baseline_is_paired_by_seed_and_stated():
    """Stage 2 fed the right nouns (the better of class names and all positives, per seed) minus the better of
    zero-shot and k-means (per seed), mean and SE over seeds; the paper's GradNorm minus its better CLIP row."""
    import pandas as pd

    from laicpkg.book.findings import gain_text
    from laicpkg.book.twins import ceilings_summary, gain_display
    from laicpkg.features.datasets import get_dataset_spec

    rows = [{"twin": "twin-dtd", "model": "clip", "data seed": s, "CLIP k-means": km, "zero-shot": zs,
             "class names": cn, "all positives": ap, "random nouns": 30.0, "random nouns (sd)": 1.0,
             "n_positives": 5}
            for s, km, zs, cn, ap in [(0, 40.0, 42.0, 41.0, 45.0), (1, 44.0, 41.0, 43.0, 40.0)]]
    summary = ceilings_summary(pd.DataFrame(rows))
    row = summary.iloc[0]
    assert row["right nouns − better baseline"] == pytest.approx(((45 - 42) + (43 - 44)) / 2)
    assert row["gain ± SE"] == pytest.approx(np.std([3.0, -1.0], ddof=1) / np.sqrt(2))
    paper = get_dataset_spec("dtd").paper
    expected = paper["GradNorm (ICCV25)"]["ACC"] - max(paper["CLIP (zero-shot)"]["ACC"], paper["CLIP (k-means)"]["ACC"])
    assert row["paper: GradNorm − better CLIP row"] == pytest.approx(expected)
    assert gain_display(summary).iloc[0, 0] == "+1.0 ± 2.0"
    text = gain_text(summary)
    assert "by more than 1.0 ACC points" in text and f"on 1 of 1 datasets, by {expected:.1f} to {expected:.1f}" in text


# -- the chapters' sentences: each states numbers computed from its input --------------------------------------
def test_twin_headline_and_model_gain_text():
    from laicpkg.book.findings import model_gain_text, twin_headline_text

    h = {"predicted_mean_abs": 3.21, "predicted_below": 4, "predicted_rows": 21, "predicted_max_abs": 9.87,
         "worst": ("DTD", "SIC"), "ordering_holds_on": ["STL-10"], "ordering_twins": 7, "calibrated_mean_abs": 0.44}
    tree = dict(h, predicted_mean_abs=5.5, ordering_holds_on=[])
    text = twin_headline_text(h, tree)
    assert "**3.2 ACC points**" in text and "4 of 21 rows below" in text and "9.9 points, SIC on DTD" in text
    assert "against\n5.5 on the tree twins" in text and "holds on 1 of 7 clip\ntwins (STL-10)" in text
    assert "0 of\n7 tree twins (none)" in text
    by_twin = pd.DataFrame({"clip twins": [1.0, 2.0], "tree twins": [3.0, 1.5]}, index=["A", "B"])
    text = model_gain_text(by_twin)
    assert "on 1 of 2\ntwins (A 3.0 → 1.0); no closer on 1 (B 1.5 → 2.0)." in text


def test_real_table_filter_and_naming_text():
    from laicpkg.book.findings import filter_text, naming_text, real_table_text

    real = pd.DataFrame({"real CLIP": ["0.758 ± 0.03", "88.2"], "CIFAR-10, real-text twin": ["0.764 ✓", "86.5 ✓"],
                         "CIFAR-10, clip twin": ["0.522 ✗", "90.1 ✓"], "STL-10, real-text twin": ["0.9 ✗", "97 ✗"]},
                        index=["image-image cosine", "zero-shot ACC"])
    text = real_table_text(real)
    assert "real-text CIFAR-10 twin meets 2 and the clip\nCIFAR-10 twin 1" in text
    assert "cosine 0.522 against\n0.758" in text and "meets\n0 of CIFAR-10's ten" in text
    idx = pd.MultiIndex.from_product([["twin-a", "twin-b"], ["gradnorm", "tac", "sic"]], names=["dataset", "method"])
    filters = pd.DataFrame({"nouns kept": [10, 20, 900, 30, 20, 1100], "precision": [50, 40, 10, 60, 30, 20],
                            "recall": [10, 30, 40, 25, 10, 50]}, index=idx, dtype=float)
    text = filter_text(filters)
    assert "fewer nouns than TAC on 1 of 2 twins\nand at higher precision on 2" in text
    assert "mean precision 55.0\nagainst 35.0 %" in text and "SIC keeps 900 to 1,100 nouns" in text
    assert "below 20 % on\ntwin-a" not in text  # twin-a: TAC's recall 30 ≥ 20
    naming = pd.DataFrame({"gradnorm": [90.0, 50.0], "tac": [80.0, 60.0], "sic": [95.0, 40.0]},
                          index=["twin-a", "twin-b"])
    text = naming_text(naming)
    assert "TAC's on\n1 of 2 twins and as SIC's on\n1" in text and "40.0 %" in text


def test_ordering_and_sic_scale_text():
    from laicpkg.book.findings import ordering_text, sic_scale_text

    idx = pd.MultiIndex.from_product([["twin-stl10", "twin-dtd"], ["kmeans", "tac", "gradnorm"]])
    table = pd.DataFrame({"ACC": [90.0, 95.0, 95.5, 40.0, 42.0, 41.0], "seeds": 5}, index=idx)
    order = pd.DataFrame({"ordering holds": ["yes", "no: gradnorm ≤ tac"], "in the paper": ["yes", "yes"]},
                         index=["twin-stl10", "twin-dtd"])
    narrow = pd.DataFrame({"step": ["gradnorm > tac"], "margin": [0.5], "standard error": [0.8]}, index=["twin-stl10"])
    text = ordering_text(table, order, narrow, {"ordering_holds_on": []})
    assert text.startswith("The ordering holds on STL-10 (GradNorm 95.50 > TAC 95.00 > k-means 90.00); it fails "
                           "on DTD (GradNorm ≤ TAC)")
    assert "ordering on 2 of 2 datasets" in text and "step GradNorm > TAC is 0.50 points" in text
    assert "two 5-seed means (0.80)" in text
    scale = pd.DataFrame({"ACC": [10.0, 30.0], "ACC std": [2.0, 3.0]}, index=pd.Index([1.0, 10.0]))
    text = sic_scale_text(scale)
    assert "reaches 10.0 % ACC" in text and "at $s = 10$ 30.0 %" in text and "by 20.0 points" in text
    assert "(more than twice" in text
    assert "(within twice" in sic_scale_text(scale.assign(**{"ACC std": [15.0, 15.0]}))


def test_comparison_bullets_and_geometry_text_on_the_committed_results():
    """The two longest sentences, on the records and tables the book reads: each number equals the one computed
    here independently."""
    from pathlib import Path

    from laicpkg.book.findings import comparison_bullets, geometry_text
    from laicpkg.book.records import comparison_table
    from laicpkg.book.twins import geometry_misses, twin_calibration_table
    from laicpkg.run.experiments import COMPARISON_METHODS, load_records

    root = Path(__file__).resolve().parents[1] / "book" / "results"
    table = comparison_table(load_records(root / "comparison" / "records", methods=COMPARISON_METHODS),
                             order=COMPARISON_METHODS)
    text = comparison_bullets(table)
    acc = table["ACC"].unstack(0)
    literal = (acc.loc["gradnorm-literal"] - acc.loc["gradnorm"]).abs()
    assert f"by at most\n  {literal.max():.1f} points" in text
    std = table["ACC std"].unstack(0)
    assert f"by up to {std.loc['gradnorm'].max():.1f} points" in text
    geometry = pd.read_csv(root / "twins_geometry_clip.csv").set_index(["twin", "statistic"])
    text = geometry_text(geometry, geometry_misses(geometry), twin_calibration_table("clip"))
    assert f"The twins meet {int((geometry['holds'] == 'yes').sum())} of their" in text
    assert f"{geometry.loc[('twin-cifar10', '1-NN accuracy'), 'twin value']:.1f} %" in text


def test_gain_line_states_the_largest_gains():
    from laicpkg.book.findings import gain_line

    summary = pd.DataFrame({"right nouns − better baseline": [-2.0, 0.7], "paper: GradNorm − better CLIP row": [8.4, 1.1]})
    text = gain_line(summary)
    assert "adds at most 0.7 ACC points" in text and "adds up to 8.4" in text
    assert "adds at most 0.0 ACC points" in gain_line(summary.assign(**{"right nouns − better baseline": [-2.0, -1.0]}))


def test_plot_ceilings_draws_one_panel_per_twin_model():
    from pathlib import Path

    from laicpkg.book.twins import ceilings_summary, plot_ceilings

    table = pd.read_csv(Path(__file__).resolve().parents[1] / "book" / "results" / "twins_ceilings.csv")
    fig = plot_ceilings(ceilings_summary(table))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["clip twin", "real-text twin", "real-text twin, completed pool"]


def test_worst_seed_and_cost_text():
    from laicpkg.book.findings import cost_text, worst_seed_text

    story = pd.DataFrame({"positives kept: GradNorm": [0, 4], "positives kept: TAC": [1, 4],
                          "its cluster's names: GradNorm": ["volleyball", "orange"],
                          "its cluster's names: TAC": ["soccer ball", "orange"]}, index=["soccer ball", "orange"])
    text = worst_seed_text(("twin-imagenet10", 2, -14.04), story)
    assert text.startswith("On ImageNet-10, seed 2, GradNorm − TAC is -14.0 ACC points. GradNorm's filter kept "
                           "fewer positive nouns than TAC's for soccer ball (0 against 1)")
    table = pd.DataFrame({"seconds": [60.0, 30.0], "seeds": [5, 3]})
    assert cost_text(table) == "The 8 runs took 6 minutes of method time in all."


def test_overview_and_official_missing_text():
    from laicpkg.book.findings import official_missing_text, overview_bullets

    h = {"calibrated_mean_abs": 0.44, "predicted_mean_abs": 3.21, "predicted_below": 4, "predicted_rows": 21}
    summary = pd.DataFrame({"right nouns − better baseline": [0.7], "paper: GradNorm − better CLIP row": [8.4]})
    text = overview_bullets(h, summary)
    assert "|twin − paper|\n  0.4 ACC points" in text and "land 3.2 points" in text and "4 of 21 rows" in text
    assert "adds at most 0.7 ACC points" in text and "{doc}`08_twins`" in text
    records = [_rec(d, m, s, 1.0) for d in ("twin-dtd", "twin-stl10") for m in ("gradnorm", "tac") for s in range(3)]
    assert official_missing_text(["twin-dtd", "twin-stl10"], records) == "Every twin ran with both settings."
    text = official_missing_text(["twin-dtd", "twin-stl10"], records[:-1])
    assert text.startswith("Not yet run with the authors' settings on all 3 seeds: STL-10.")


def test_paired_verdict_ceilings_margin_and_predicted_rows_text():
    from laicpkg.book.findings import ceilings_margin_text, paired_verdict_text, predicted_rows_text
    from laicpkg.book.paper import paper_vs_twin

    paired = pd.DataFrame({"verdict": ["GradNorm better", "not resolved", "TAC better"]},
                          index=pd.MultiIndex.from_tuples([("clip", "DTD"), ("clip", "STL-10"), ("real", "DTD")],
                                                          names=["twins", "dataset"]))
    text = paired_verdict_text(paired, ("clip", "real"))
    assert text.splitlines() == [
        "* On the **clip** GradNorm is better than TAC on DTD, worse on none; on the other 1 of 2 twins the "
        "difference is not resolved by three seeds.",
        "* On the **real** GradNorm is better than TAC on none, worse on DTD; on the other 0 of 1 twins the "
        "difference is not resolved by three seeds."]
    ceilings = pd.DataFrame({"class names − random": [17.04, -1.1, 1.0], "± SE": [2.2, 0.5, 0.6]},
                            index=pd.MultiIndex.from_tuples([("CIFAR-10", "clip twin"), ("DTD", "clip twin"),
                                                             ("STL-10", "clip twin")], names=["dataset", "twin"]))
    assert ceilings_margin_text(ceilings) == ("* On the **clip twins** the class names beat random nouns by +17.0 ± 2.2, "
                                              "-1.1 ± 0.5, +1.0 ± 0.6 ACC points (CIFAR-10, DTD, STL-10; mean ± standard "
                                              "error over data seeds): by two standard errors on 1 of 3, and random "
                                              "nouns beat them on DTD.")
    idx = pd.MultiIndex.from_product([["twin-dtd"], ["kmeans", "tac", "gradnorm"]])
    table = pd.DataFrame({"ACC": [40.0, 44.0, 45.5], "NMI": 0.0, "ARI": 0.0, "seeds": 3}, index=idx)
    text = predicted_rows_text(table, paper_vs_twin(table))
    assert text == "* **DTD**: TAC 44.0 (45.9), GradNorm 45.5 (50.9); CLIP k-means 40.0"


def test_real_text_rows_and_theorem_gap_text():
    from laicpkg.book.findings import real_text_rows_text, theorem_gap_counts, theorem_gap_text

    by_twin = pd.DataFrame({"clip twins": [1.4, 9.5, 3.0], "real-text twins": [8.6, 9.0, np.nan]},
                           index=["CIFAR-10", "ImageNet-Dogs", "DTD"])
    idx = pd.MultiIndex.from_product([["twin-cifar10"], ["kmeans", "zeroshot", "sic", "tac", "gradnorm"]])
    real_table = pd.DataFrame({"ACC": [74.0, 86.0, 80.0, 87.0, 74.0]}, index=idx)
    text = real_text_rows_text(by_twin, real_table)
    assert "2 of the 3 predicted rows lie between" in text and "zero-shot, 1 above the better" in text
    assert "On the 2 twins with real CLIP text" in text and "on average 8.8 ACC points" in text
    assert "the clip twins' 5.5" in text and "closer on 1 of 2 (CIFAR-10 1.4 → 8.6, ImageNet-Dogs 9.5 → 9.0)" in text
    gap = pd.DataFrame({"image–positive cosine": [0.1, 0.3], "mean S, images": [1.0, 2.0],
                        "mean S, positive nouns": [20.0, 5.0], "leading term ≥ Err_pos": ["1 of 10", "7 of 10"],
                        "Lemma-5 step holds": ["0 of 10", "3 of 10"]}, index=["small preset", "CIFAR-10 twin"])
    assert theorem_gap_counts(gap) == ((7, 10), (3, 10))
    text = theorem_gap_text(gap)
    assert "cosine 0.30\nagainst 0.10" in text and "2.5 times the images'" in text and "preset\n20 times" in text
    assert "leading term holds in most pseudo-classes" in text and "images still fails in most of them" in text


def test_reference_targets_text_reads_the_catalog():
    from laicpkg.book.findings import reference_targets_text

    text = reference_targets_text()
    assert "CIFAR-10 only (91.9 % and 94.85 %" in text and "CIFAR-100's 70.8 % and 78.7 %" in text
    text = reference_targets_text(nn={"twin-cifar10": (90.0, ""), "twin-cifar20": (60.0, "")},
                                  probe={"twin-cifar10": (95.0, ""), "twin-cifar20": (70.5, "")})
    assert "(90 % and 95 %" in text and "60 % and 70.5 %" in text


# -- the IDCL chapter's sentences, on the committed DIGITS records ------------------------------------------
def _idcl():
    from pathlib import Path

    from laicpkg.book.idcl import idcl_table
    from laicpkg.run.experiments import load_records

    records = load_records(Path(__file__).resolve().parents[1] / "book" / "results" / "idcl" / "records")
    return idcl_table(records), records


def test_idcl_harness_text_states_the_baselines_rows():
    from laicpkg.book.findings import idcl_harness_text
    from laicpkg.book.idcl import idcl_variant

    table, records = _idcl()
    text = idcl_harness_text(table, records)
    dec = table.loc["DEC (baseline)"]
    assert f"DEC reaches {dec['ACC']:.1f} ± {dec['ACC std']:.1f} ACC against the paper's 72.3" in text
    worst = min((r for r in records if idcl_variant(r) == "DEC (baseline)"), key=lambda r: r["metrics"]["ACC"])
    assert f"(seed {worst['seed']}: ACC {worst['metrics']['ACC']:.1f}" in text
    assert "IDEC reproduces its row" in text and "DEC lands above its row" in text and "validated on IDEC only" in text
    moved = table.copy()
    moved.loc["IDEC (baseline) + lr 0.001", "ACC"] = 60.0  # 16.4 below the paper: no longer reproduced
    text = idcl_harness_text(moved, records)
    assert "IDEC falls below its row" in text and "no row validates it" in text and "at least as strong" not in text


def test_idcl_table4_text_states_the_runs():
    import numpy as np

    from laicpkg.book.findings import idcl_table4_text

    table, records = _idcl()
    scales = pd.DataFrame({"ACC (sum)": [22.5, 59.1, 73.4, 73.6], "empty clusters (sum)": [5, 2, 0, 0],
                           "ACC (mean)": [76.7, 77.1, 77.2, 77.1]}, index=pd.Index([0.25, 0.5, 4.0, 16.0]))
    text = idcl_table4_text(table, records, scales)
    full = table.loc["IDCL"]
    assert f"ACC\n{full['ACC']:.1f} ± {full['ACC std']:.1f}" in text and "do not have the paper's order" in text
    assert f"the full method is\n  {table.loc['no density core (Model-2)', 'ACC'] - full['ACC']:.1f} points lower" in text
    assert "(at scale 0.25 5 of the 10 clusters end empty, ACC\n  22.5)" in text and "from scale\n  4 on" in text
    assert "insensitive to the scale (77 throughout)" in text
    gap = (table["NMI"] - table["NMI (max)"]).dropna()
    assert f"is {gap.min():.1f}–{gap.max():.1f} points below" in text
    assert "Model-1, with none of the three components, is above the full method" in text
    assert "within 6–46 epochs" in text and np.isclose(table.loc["IDCL + lr 0.01 + no augmentation", "ACC"], 10.2, atol=0.05)


def test_final_assign_text_counts_the_collapses():
    from laicpkg.book.findings import final_assign_text
    from laicpkg.book.idcl import final_assign_summary

    rows = [{"dataset": d, "method": m, "final_assign": f, "seed": s, "ACC": acc + s, "NMI": 0.0, "ARI": 0.0}
            for d in ("synthetic-a", "synthetic-b") for m in ("kmeans", "gradnorm-centroid")
            for f, acc in (("kmeans", 80.0), ("density-core", 10.0 if d == "synthetic-a" else 60.0),
                           ("density-core-mean", 81.0)) for s in range(2)]
    text = final_assign_text(final_assign_summary(pd.DataFrame(rows)))
    assert text.startswith("Eq. 10 as written (the *sum* over a core) fails as a final step on these features: ACC "
                           "falls from 80 to 10 in 2 of the 4 cases")
    assert "on synthetic-b the ACC of CLIP k-means falls from 80.5 to 60.5" in text
    assert "within 1.0 points of k-means everywhere (above it in 4 of the 4 cases" in text
    assert "do not buy GradNorm a better final clustering" in text


def test_tree_geometry_and_subsample_text():
    from pathlib import Path

    from laicpkg.book.findings import subsample_text, tree_geometry_text

    geometry = pd.read_csv(Path(__file__).resolve().parents[1] / "book" / "results" / "twins_geometry.csv")
    text = tree_geometry_text(geometry.set_index(["twin", "statistic"]))
    assert "and that one on 5 twins only" in text and "on CIFAR-10 and STL-10 0.02 and 0.04" in text
    assert "None has CLIP's effective dimension (participation ratio 118–465 against 43)" in text
    assert "1-NN accuracy 48.9 % on the CIFAR-10 twin against CLIP's 91.9 %" in text
    geometry.loc[geometry["statistic"] == "text-text cosine", "holds"] = "yes"
    text = tree_geometry_text(geometry.set_index(["twin", "statistic"]))
    assert text.startswith("They meet 2 of the 6 targets") and "Not every twin has" in text
    sub = pd.DataFrame({"ACC": [89.3, 90.5], "ACC std": [7.3, 8.4]}, index=pd.Index([256, 0]))
    text = subsample_text(sub)
    assert "by 1.2 points (89.3 ± 7.3 with it, 90.5 ± 8.4 without), well inside the spread" in text
    assert "more than the spread" in subsample_text(sub.assign(ACC=[80.0, 95.0]))


def test_pool_filter_text_compares_the_filters_per_pool():
    from laicpkg.book.findings import pool_filter_text

    idx = pd.MultiIndex.from_tuples([(p, d, m) for p in ("real", "completed") for d in ("twin-cifar10", "twin-stl10")
                                     for m in ("gradnorm", "tac")], names=["noun pool", "dataset", "method"])
    filters = pd.DataFrame({"nouns kept": [300, 600, 100, 80, 400, 800, 140, 85],
                            "precision": [30.0, 22.0, 38.9, 49.4, 12.9, 24.2, 12.8, 38.8],
                            "recall": [35.9, 53.9, 15.2, 16.0, 3.7, 13.9, 1.3, 2.3]}, index=idx)
    lines = pool_filter_text(filters).splitlines()
    assert lines[0] == ("* With the **real** pool GradNorm's filter is more precise than TAC's on 1 of 2 twins "
                        "(CIFAR-10) and keeps fewer nouns on 1; its recall is 15.2–35.9 % against TAC's 16.0–53.9 %.")
    assert lines[1].startswith("* With the **completed** pool GradNorm's filter is more precise than TAC's on 0 of 2 "
                               "twins and keeps fewer nouns on 1")


def test_objectives_summary_and_text():
    from laicpkg.book.findings import objective_text
    from laicpkg.book.twins import objectives_summary

    rows = [("twin-dtd", "real-completed", s, 0.949 + s * 0.001, 0.958, 0.935, 40.0, 43.0) for s in range(3)]
    rows += [("twin-cifar10", "real-completed", s, 0.95, 0.94, 0.945, 80.0, 86.0) for s in range(3)]
    table = pd.DataFrame(rows, columns=["twin", "model", "data seed", "objective, k-means found", "objective, zero-shot",
                                        "objective, true classes", "ACC, k-means found", "ACC, zero-shot"])
    summary = objectives_summary(table)
    assert list(summary.index) == [("DTD", "real-text twin, completed pool"), ("CIFAR-10", "real-text twin, completed pool")]
    assert summary.loc[("DTD", "real-text twin, completed pool"), "objective, k-means found"] == 0.95
    assert objective_text(summary) == (
        "* On the **real-text twins, completed pool** zero-shot's partition scores higher than the one k-means finds "
        "on 1 of 2 twins (DTD), and the true classes score lower than zero-shot's on 1 of 2 (DTD).")


def test_seeding_summary_and_text():
    from laicpkg.book.findings import seeding_text
    from laicpkg.book.twins import seeding_summary

    cols = ["twin", "model", "data seed", "class names, random starts", "class names, k-means++ starts",
            "random nouns, random starts", "random nouns, k-means++ starts", "zero-shot"]
    rows = [("twin-dtd", "real-completed", s, 40.0, 43.0 + s, 39.0, 40.0 + s, 44.0) for s in range(3)]
    rows += [("twin-cifar10", "real-completed", s, 87.0, 87.0, 60.0, 62.0 + s, 86.0) for s in range(3)]
    summary = seeding_summary(pd.DataFrame(rows, columns=cols))
    assert list(summary.index) == [("DTD", "real-text twin, completed pool"), ("CIFAR-10", "real-text twin, completed pool")]
    dtd = summary.loc[("DTD", "real-text twin, completed pool")]
    assert dtd["class names, k-means++ starts"] == 44.0 and dtd["class names − random, k-means++ starts"] == 3.0
    assert dtd["± SE"] == 0.0 and summary.loc[("CIFAR-10", "real-text twin, completed pool"), "± SE"] == 0.6
    assert seeding_text(summary) == (
        "From k-means++ starts Stage 2 fed the class names moves by +0.0 to +4.0 ACC points against the reference's "
        "random starts (most on DTD), and fed random nouns by +2.0 to +3.0. The class names then beat random nouns "
        "by DTD +3.0 ± 0.0, CIFAR-10 +24.0 ± 0.6 points (mean ± standard error over data seeds): "
        "by two standard errors or more on 2 of 2 twins (DTD, CIFAR-10) and lose by as much on 0 (none); they end "
        "above zero-shot on 1 (CIFAR-10). From better starts the class names beat random nouns on every twin.")
    summary.loc[("DTD", "real-text twin, completed pool"), "class names − random, k-means++ starts"] = -3.0
    assert seeding_text(summary).endswith("lose by as much on 1 (DTD); they end above zero-shot on 1 (CIFAR-10). "
                                          "Better starts do not make the class names beat random nouns on every twin.")
