"""The package functions the notebooks call instead of defining their own (tables, figures, the lock file)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from laicpkg.run.experiments import load_records
from laicpkg.book.records import comparison_table, find_record, mean_std_table
from laicpkg.run.analysis import core_assignment_table
from laicpkg.book.idcl import final_assign_bars, final_assign_summary, idcl_histories, idcl_variant
from laicpkg.book.paper import ordering_table, paper_comparison, paper_vs_twin

ROOT = Path(__file__).resolve().parents[1]


def _rec(dataset, method, seed, acc):
    return {"dataset": dataset, "method": method, "seed": seed, "metrics": {"ACC": acc, "NMI": acc - 10, "ARI": acc - 20},
            "timings_s": {"total": 1.0}, "loss_history": {"total": [3.0, 2.0, 1.5]}}


def test_mean_std_table():
    recs = [_rec("cifar10", "gradnorm", 0, 90.0), _rec("cifar10", "gradnorm", 1, 94.0)]
    t = mean_std_table(comparison_table(recs))
    # the sample standard deviation (n - 1): 2.83 for 90 and 94, not the population's 2.0
    assert t.loc[("cifar10", "gradnorm"), "ACC"] == "92.0 ± 2.8" and t.loc[("cifar10", "gradnorm"), "seeds"] == 2


def test_paper_comparison_only_for_paper_datasets():
    recs = [_rec("cifar10", "gradnorm", 0, 90.0), _rec("synthetic-dogs", "gradnorm", 0, 80.0)]
    out = paper_comparison(comparison_table(recs))
    assert set(out.index.get_level_values(0)) == {"cifar10"}
    assert any("(paper)" in c for c in out.columns)
    assert paper_comparison(comparison_table(recs[1:])).empty


def test_paper_vs_twin_and_the_ordering_question():
    """A twin's rows sit beside its real dataset's paper rows with twin − paper differences; the ordering
    question is answered from the means, per step (CIFAR-10 in the paper: GradNorm 91.1 > TAC 90.1 > k-means 74.2)."""
    recs = [_rec("twin-cifar10", "gradnorm", 0, 88.0), _rec("twin-cifar10", "gradnorm", 1, 90.0),
            _rec("twin-cifar10", "tac", 0, 91.0), _rec("twin-cifar10", "kmeans", 0, 70.0),
            _rec("twin-dtd", "gradnorm", 0, 50.0), _rec("twin-dtd", "tac", 0, 45.0), _rec("twin-dtd", "kmeans", 0, 40.0),
            _rec("twin-dtd", "gradnorm-centroid", 0, 30.0)]
    table = comparison_table(recs)
    out = paper_vs_twin(table)
    row = out.loc[("twin-cifar10", "GradNorm (ICCV25)")]
    assert row["ACC"] == 89.0 and row["ACC (paper)"] == 91.1 and row["Δ ACC"] == pytest.approx(-2.1)
    assert out.loc[("twin-cifar10", "CLIP (k-means)"), "Δ NMI"] == pytest.approx(60.0 - 70.3)
    from laicpkg.book.plotting import plot_paper_vs_twin

    ax = plot_paper_vs_twin(out).axes[0]  # one point per row with a paper number (6 of the 7 rows)
    assert len(out) == 7 and sum(len(c.get_offsets()) for c in ax.collections) == 6
    order = ordering_table(table)
    assert order.loc["twin-cifar10", "ordering holds"] == "no: gradnorm ≤ tac"
    assert order.loc["twin-dtd", "ordering holds"] == "yes" and order.loc["twin-dtd", "in the paper"] == "yes"


def test_narrow_orderings_lists_the_steps_that_hold_by_less_than_their_standard_error():
    """GradNorm 90 ± 2.83 (seeds 88, 92) over TAC 89 ± 1.41 (88, 90): margin 1, standard error √(8/2 + 2/2) = 2.24 > 1, so
    the step is narrow; TAC over k-means (70, 70) by 19 is not. A dataset where the ordering fails is not listed,
    nor one where every step is wide."""
    from laicpkg.book.paper import narrow_orderings

    recs = [_rec("twin-cifar10", m, s, a) for m, accs in (("gradnorm", (88.0, 92.0)), ("tac", (88.0, 90.0)),
                                                          ("kmeans", (70.0, 70.0))) for s, a in enumerate(accs)]
    recs += [_rec("twin-dtd", m, s, a) for m, accs in (("gradnorm", (60.0, 61.0)), ("tac", (50.0, 51.0)),
                                                       ("kmeans", (40.0, 41.0))) for s, a in enumerate(accs)]
    recs += [_rec("twin-stl10", m, s, a) for m, accs in (("gradnorm", (80.0, 81.0)), ("tac", (85.0, 85.0)),
                                                         ("kmeans", (84.0, 84.0))) for s, a in enumerate(accs)]
    out = narrow_orderings(comparison_table(recs))
    assert list(out.index) == ["twin-cifar10"] and out.iloc[0]["step"] == "gradnorm > tac"
    assert out.iloc[0]["margin"] == pytest.approx(1.0)
    assert out.iloc[0]["standard error"] == pytest.approx(np.sqrt(5.0))


def test_two_twin_models_beside_the_paper():
    """Paper vs twin for two twin models: each model's ACC and Δ in one row per paper row, and the summary's
    mean |Δ| of the predicted rows (SIC, TAC, GradNorm), of the CLIP rows, and the ordering count.
    CIFAR-10 in the paper: zero-shot 90.0, k-means 74.2, TAC 90.1, GradNorm 91.1."""
    from laicpkg.book.paper import twin_models_by_twin, twin_models_summary, twin_models_versus_paper

    near = comparison_table([_rec("twin-cifar10", m, 0, a) for m, a in
                             (("zeroshot", 90.0), ("kmeans", 75.2), ("tac", 89.1), ("gradnorm", 92.1))])
    far = comparison_table([_rec("twin-cifar10", m, 0, a) for m, a in
                            (("zeroshot", 91.0), ("kmeans", 74.2), ("tac", 80.1), ("gradnorm", 71.1))])
    both = twin_models_versus_paper({"near": near, "far": far})
    row = both.loc[("twin-cifar10", "GradNorm (ICCV25)")]
    assert row["paper ACC"] == 91.1 and row["near ACC"] == 92.1 and row["far Δ"] == pytest.approx(-20.0)
    assert list(both.columns) == ["paper ACC", "near ACC", "near Δ", "far ACC", "far Δ"]
    summary = twin_models_summary({"near": near, "far": far})
    assert summary.loc["near", "predicted rows: mean |Δ ACC|"] == 1.0  # |92.1 − 91.1|, |89.1 − 90.1|
    assert summary.loc["far", "predicted rows: mean |Δ ACC|"] == 15.0 and summary.loc["far", "largest |Δ ACC|"] == 20.0
    assert summary.loc["near", "CLIP rows: mean |Δ ACC|"] == 0.5 and summary.loc["far", "below the paper"] == "2 of 2"
    assert summary.loc["near", "ordering holds on"] == "1 of 1 twins"
    assert summary.loc["far", "ordering holds on"] == "0 of 1 twins"
    per_twin = twin_models_by_twin({"near": near, "far": far})
    assert per_twin.loc["CIFAR-10", "near"] == pytest.approx(1.0) and per_twin.loc["CIFAR-10", "far"] == pytest.approx(15.0)


def test_filter_and_record_nouns_tables():
    """Stage 1's numbers averaged per dataset and method; kept nouns of a twin run marked ✓ by WordNet."""
    from laicpkg.book.nouns import filter_table, record_nouns_table

    recs = [dict(_rec("twin-imagenet-dogs", "gradnorm", s, 50.0),
                 filter={"n_selected": n, "precision": p, "recall": 100.0},
                 selected_nouns={"1": ["pug", "galvanization"], "0": ["Maltese_dog"]})
            for s, n, p in ((0, 90, 10.0), (1, 110, 20.0))] + [_rec("twin-imagenet-dogs", "kmeans", 0, 40.0)]
    t = filter_table(recs)
    assert list(t.index) == [("twin-imagenet-dogs", "gradnorm")]
    assert t.loc[("twin-imagenet-dogs", "gradnorm"), "nouns kept"] == 100 and t.iloc[0]["precision"] == 15.0
    nouns = record_nouns_table(recs[0])
    assert list(nouns.index) == [0, 1]
    assert nouns.loc[0, "nouns (best first)"] == "Maltese dog ✓"
    assert nouns.loc[1, "nouns (best first)"] == "pug ✓, galvanization"


def test_final_assign_tables():
    fa = pd.DataFrame([{"dataset": "d", "method": "kmeans", "seed": s, "final_assign": a, "ACC": acc, "NMI": 1.0,
                        "ARI": 2.0} for s, (a, acc) in enumerate([("kmeans", 80.0), ("kmeans", 82.0),
                                                                   ("density-core", 20.0)])])
    s = final_assign_summary(fa)
    assert s.loc[("d", "kmeans", "kmeans"), ("ACC", "mean")] == 81.0
    b = final_assign_bars(fa)
    assert set(b["method"]) == {"kmeans + kmeans", "kmeans + density-core"}


def test_core_assignment_table_on_separated_blobs():
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 10
    y = np.repeat(np.arange(3), 60)
    Z = centres[y] + rng.standard_normal((180, 3))
    t = core_assignment_table(Z, y, 3)
    assert list(t.index) == ["k-means", "density cores (sum, Eq. 10-11)", "density cores (mean, Eq. 10-11)"]
    assert (t["ACC"] > 99).all()


def test_idcl_record_helpers():
    records = load_records(ROOT / "book" / "results" / "idcl" / "records")
    first = find_record(records, seed=0, variant="IDCL + no augmentation")
    assert first["seed"] == 0 and idcl_variant(first) == "IDCL + no augmentation"
    with pytest.raises(LookupError):
        find_record(records, seed=99)
    h = idcl_histories(records, seed=0, order=["IDCL + no augmentation", "not a variant"])
    assert list(h) == ["IDCL + no augmentation"] and "ACC" in h["IDCL + no augmentation"]


def test_plot_loss_curves():
    from laicpkg.book.plotting import plot_loss_curves

    fig = plot_loss_curves([_rec("a", "sic", 0, 1.0), _rec("b", "sic", 0, 1.0), _rec("a", "sic", 1, 1.0)],
                           ["sic", "tac-star"])
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2 and not fig.axes[1].lines


def test_noun_kinds(small_data):
    from laicpkg.features.synthetic import noun_kinds

    k = noun_kinds(small_data)
    assert len(k) == small_data.R.shape[0]
    assert (k == "positive").sum() == small_data.positive_mask.sum()
    assert set(k) <= {"positive", "near-miss", "generic", "absent concept"}


def test_secu_fixed_point_table_and_error_grid_from_a_preset():
    from laicpkg.features.synthetic import make_synthetic
    from laicpkg.theory import secu_fixed_point_table, theorem1_error_grid

    data = make_synthetic("synthetic-cifar10", seed=0, n_train=600, n_test=100, n_nouns=800, dim=32)
    y = np.arange(600) % 6
    t = secu_fixed_point_table(data.E_train, y, 6, [10.0, 0.1])
    assert list(t.index) == [10.0, 0.1] and t.loc[0.1, "max |w - class mean|"] < t.loc[10.0, "max |w - class mean|"]
    g = theorem1_error_grid("synthetic-cifar10", [600], [5], erm_epochs=2,
                            data_kwargs={"seed": 0, "n_test": 100, "n_nouns": 800, "dim": 32})
    assert g.shape[0] == 1 and 0 <= g["mean Err_pos"].iloc[0] <= 1


def test_lock_file_and_status(tmp_path):
    from laicpkg.utils.environment import LOCK_FILE, lock_status, read_lock

    pins = read_lock(LOCK_FILE)
    assert {"numpy", "torch", "faiss-cpu", "nbval", "jupyter-book", "open-clip-torch"} <= set(pins)
    assert all(v and v[0].isdigit() for v in pins.values())
    assert "laicpkg" not in pins  # the project itself is installed editable, not pinned
    lock = tmp_path / "lock.txt"
    lock.write_text("# comment\nnumpy==0.0.1\nnot-a-package-xyz==1.0\n")
    status = lock_status.__wrapped__(lock)
    assert status["matches_lock"] is False
    assert status["differs_from_lock"]["numpy"]["locked"] == "0.0.1"
    assert status["differs_from_lock"]["not-a-package-xyz"]["installed"] is None


def test_seed_spread(small_data):
    from laicpkg.run.experiments import seed_spread

    t = seed_spread(small_data, "kmeans", "final_nredo", [1, 2], seeds=[0, 1])
    assert list(t.index) == [1, 2] and (t["seeds"] == 2).all()
    assert {"ACC", "ACC std", "NMI std", "ARI"} <= set(t.columns) and (t["ACC std"] >= 0).all()


def test_idcl_baseline_check():
    from laicpkg.book.idcl import idcl_baseline_check

    def rec(seed, acc, recon, lr=0.01):
        return {"seed": seed, "metrics": {"ACC": acc, "NMI": acc - 3}, "timings_s": {"total": 60.0},
                "config": {"idcl_pace": "none", "idcl_density_core": False, "idcl_transformer": False,
                           "idcl_reconstruction": recon, "idcl_lr": lr, "idcl_hidden": "500,500,2000"}}

    from laicpkg.book.idcl import idcl_table

    t = idcl_table([rec(0, 72.0, False), rec(1, 74.0, False), rec(0, 60.0, True), rec(0, 70.0, False, 0.001)])
    out = idcl_baseline_check(t)
    assert list(out.index) == ["DEC (baseline)", "DEC (baseline) + lr 0.001", "IDEC (baseline)"]
    assert out.loc["DEC (baseline) + lr 0.001", "paper ACC"] == 72.3
    assert out.loc["DEC (baseline)", "ΔACC"] == pytest.approx(73.0 - 72.3)
    assert bool(out.loc["DEC (baseline)", "within ±3"]) and not bool(out.loc["IDEC (baseline)", "within ±3"])


def test_reader_tables_show_every_row_and_a_dash_for_missing_values():
    import numpy as np
    import pandas as pd

    from laicpkg.book.display import FOLD_ROWS, frame_html, frame_text

    df = pd.DataFrame({"ACC": np.arange(80, dtype=float), "paper": [np.nan] * 80})
    text = frame_text(df)
    assert "NaN" not in text and "—" in text and "..." not in text and "79.0" in text
    short = frame_html(df.head(3))
    assert "NaN" not in short and "—" in short and "overflow-x:auto" in short and "<details" not in short
    long = frame_html(df)
    assert long.startswith("<details") and "80 rows" in long and long.count("<tr") == 81
    assert len(df.head(FOLD_ROWS)) == FOLD_ROWS and "<details" not in frame_html(df.head(FOLD_ROWS))
    assert "—" in frame_text(pd.Series([1.0, np.nan], name="x"))


def test_results_page_leads_with_its_figure_and_shows_no_nan(tmp_path):
    from laicpkg.book.batch import write_summary

    page = write_summary(ROOT / "book" / "results" / "records", tmp_path / "summary.md",
                         comparison_dir=ROOT / "book" / "results" / "comparison" / "records").read_text()
    assert page.index("```{figure}") < page.index("|")            # the figure before any table
    assert (tmp_path / "summary_paper_vs_twin.png").is_file()
    assert "NaN" not in page and "nan" not in page.replace("Financ", "")
    assert "90.1 (90.0)" in page                                    # twin (paper), CIFAR-10 zero-shot
    assert ":::{dropdown}" in page                                  # the long tables are folded


def test_geometry_targets_met_counts_held_targets_per_twin_and_table():
    import pandas as pd

    from laicpkg.book.twins import geometry_targets_met

    def table(holds):
        rows = [{"twin": t, "statistic": s, "twin value": 0.0, "real CLIP": 0.0, "target": "x", "holds": h}
                for (t, s), h in holds.items()]
        return pd.DataFrame(rows).set_index(["twin", "statistic"])

    tree = table({("twin-cifar10", "a"): "no", ("twin-cifar10", "b"): "yes", ("twin-cifar10", "c"): "—",
                  ("twin-dtd", "a"): "no", ("twin-dtd", "b"): "no"})
    clip = table({("twin-cifar10", "a"): "yes", ("twin-cifar10", "b"): "yes", ("twin-cifar10", "c"): "—",
                  ("twin-dtd", "a"): "yes", ("twin-dtd", "b"): "no"})
    out = geometry_targets_met(tree=tree, clip=clip)
    assert out.loc["CIFAR-10"].tolist() == ["1 of 2", "2 of 2"] and out.loc["DTD"].tolist() == ["0 of 2", "1 of 2"]


def test_geometry_misses_lists_exactly_the_missed_targets_by_dataset_name():
    import pandas as pd

    from laicpkg.book.twins import geometry_misses

    rows = [("twin-cifar10", "a", 0.5, "yes"), ("twin-cifar10", "b", 72.5, "no"), ("twin-dtd", "a", 0.4, "—"),
            ("twin-dtd", "b", 0.2, "no")]
    geometry = pd.DataFrame([{"twin": t, "statistic": s, "twin value": v, "real CLIP": 0.0, "target": "0.3 ± 0.05",
                              "holds": h} for t, s, v, h in rows]).set_index(["twin", "statistic"])
    out = geometry_misses(geometry)
    assert out[["twin", "statistic"]].values.tolist() == [["CIFAR-10", "b"], ["DTD", "b"]]
    assert out["twin value"].tolist() == [72.5, 0.2]
    assert geometry_misses(geometry.assign(holds="yes")).empty
