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
