"""The book's answers, computed from the run records: who wins, paired by seed, and the sentences that say so.

Explained in: the landing page (notebooks/00_overview), notebooks/06_ablations and notebooks/07_comparison.

Every method of the comparison runs on the same twin draws with the same seeds (run seed s draws data seed s),
so two methods are compared by their per-seed differences: the mean difference, its standard error
(sample standard deviation, n − 1, over √n) and a verdict (:func:`~laicpkg.book.findings.common.verdict`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..display import READER_NAMES, dataset_title, display_name
from .common import standard_error, verdict
from .twins import gain_line

__all__ = ["PAIRS", "paired_table", "answer_frame", "answer_lines", "answer_text", "preset_table", "equal_c_table",
           "positives_kept", "seed_story", "story_text", "worst_seed", "worst_seed_text", "cost_text",
           "comparison_bullets", "sic_scale_text", "overview_bullets", "official_missing_text",
           "subsample_text"]


#: The questions of the landing page: does the first method beat the second?
PAIRS = (("gradnorm", "tac"), ("gradnorm", "kmeans"), ("tac", "kmeans"))


def paired_table(records, pairs=PAIRS, metric: str = "ACC") -> pd.DataFrame:
    """One row per dataset and pair (first, second): the seeds both ran, the mean of ``first − second`` in
    ``metric`` over those seeds, its standard error, each seed's difference (and the seed), :func:`verdict`."""
    df = pd.DataFrame([{"dataset": r["dataset"], "method": r["method"], "seed": r["seed"],
                        "value": r["metrics"][metric]} for r in records])
    rows = []
    if df.empty:
        return pd.DataFrame(columns=["dataset", "first", "second", "seeds", "mean", "se", "per seed", "seed ids",
                                     "verdict"])
    for dataset, g in df.groupby("dataset", sort=False):
        wide = g.pivot_table(index="seed", columns="method", values="value")
        for first, second in pairs:
            if first not in wide or second not in wide:
                continue
            d = (wide[first] - wide[second]).dropna()
            n = len(d)
            se = standard_error(d)
            rows.append({"dataset": dataset, "first": first, "second": second, "seeds": n,
                         "mean": float(d.mean()), "se": se, "per seed": [float(x) for x in d],
                         "seed ids": [int(x) for x in d.index],
                         "verdict": verdict(float(d.mean()), se, n)})
    return pd.DataFrame(rows)


def _pm(row) -> str:
    """A paired difference as the tables show it: "+1.2 ± 0.3" (mean ± standard error)."""
    return f"{row['mean']:+.1f} ± {row['se']:.1f}"


def _answer(row) -> str:
    """A plain answer to "does first beat second?": yes / no, and why in a few words."""
    b = display_name(row["second"])
    if row["verdict"] == "yes":
        return "yes"
    if row["verdict"] == "no":
        return f"no, {b} is better"
    return "no, a tie (within 2 SE)"


def answer_frame(paired: pd.DataFrame) -> pd.DataFrame:
    """The landing page's table: one row per dataset, per pair the paired difference "±SE" and the plain answer."""
    out = {}
    for _, row in paired.iterrows():
        a, b = display_name(row["first"]), display_name(row["second"])
        name = display_name(row["dataset"])
        out.setdefault(name, {})[f"{a} − {b}"] = _pm(row)
        out[name][f"{a} beats {b}?"] = _answer(row)
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.index.name = f"twin ({int(paired['seeds'].min()) if len(paired) else 0} seeds)"
    return frame


def answer_lines(paired: pd.DataFrame) -> dict:
    """Per pair (first, second): the datasets on which the answer is yes, no (second better) and a tie, as
    readers' names, and the number of datasets."""
    out = {}
    for (first, second), g in paired.groupby(["first", "second"], sort=False):
        names = {v: [display_name(d) for d in g.loc[g["verdict"] == v, "dataset"]] for v in ("yes", "no", "tie")}
        out[(first, second)] = {**names, "n": len(g)}
    return out


def _listed(names) -> str:
    return ", ".join(names) if names else "none"


def answer_text(paired: pd.DataFrame) -> str:
    """The landing page's answer (markdown): does GradNorm beat TAC, and CLIP k-means, on the twins — "Yes" only
    when it is better by two standard errors on every twin — with the twins of each verdict named."""
    lines = answer_lines(paired)
    seeds = (f"{int(paired['seeds'].min())}" if paired["seeds"].min() == paired["seeds"].max()
             else f"{int(paired['seeds'].min())}–{int(paired['seeds'].max())}")
    out = []
    for (first, second), ans in lines.items():
        if first != "gradnorm":
            continue
        a, b = display_name(first), display_name(second)
        plain = "Yes" if len(ans["yes"]) == ans["n"] else "No"
        out.append(f"Does {a} beat {b}? **{plain}.** {a} is better on {len(ans['yes'])} of {ans['n']} twins "
                   f"({_listed(ans['yes'])}); {b} is better on {len(ans['no'])} ({_listed(ans['no'])}); on "
                   f"{len(ans['tie'])} ({_listed(ans['tie'])}) the difference lies within two standard errors.")
    return ("**The answer on the twins.** " + " ".join(out) +
            f" Each difference is paired by seed ({seeds} seeds): both methods ran on the same twin draw with the "
            "same seed.")


def _means(records, methods, key=lambda r: r["metrics"]["ACC"]) -> pd.DataFrame:
    """datasets × methods: the mean of ``key`` over each method's seeds."""
    rows = [{"dataset": r["dataset"], "method": r["method"], "value": key(r)} for r in records
            if r["method"] in methods]
    if not rows:
        return pd.DataFrame(columns=list(methods))
    return pd.DataFrame(rows).pivot_table(index="dataset", columns="method", values="value", sort=False)


def preset_table(paper_records, official_records) -> pd.DataFrame:
    """GradNorm and TAC under the paper's settings and under their authors' code's (``official-code`` preset),
    mean ACC over the seeds both presets ran per twin, and GradNorm − TAC paired by seed under each preset with its
    verdict."""
    both = {(r["dataset"], r["seed"]) for r in official_records}
    paper_records = [r for r in paper_records if (r["dataset"], r["seed"]) in both]
    paper = _means(paper_records, ("gradnorm", "tac"))
    official = _means(official_records, ("gradnorm", "tac"))
    out = pd.DataFrame(index=official.index)
    for label, frame, recs in (("paper", paper, paper_records), ("official code", official, official_records)):
        out[f"GradNorm ({label})"] = frame.get("gradnorm")
        out[f"TAC ({label})"] = frame.get("tac")
        p = paired_table([r for r in recs if r["method"] in ("gradnorm", "tac") and r["dataset"] in out.index],
                         pairs=(("gradnorm", "tac"),)).set_index("dataset")
        out[f"GradNorm − TAC ({label})"] = [_pm(p.loc[d]) if d in p.index else None
                                            for d in out.index]
        out[f"GradNorm beats TAC? ({label})"] = [_answer(p.loc[d]) if d in p.index else None for d in out.index]
    seeds = {r["seed"] for r in official_records}
    out.index = [display_name(d) for d in out.index]
    out.index.name = f"twin ({len(seeds)} seeds)"
    return out


def _filter_value(field: str):
    return lambda r: (r.get("filter") or {}).get(field, np.nan)


def equal_c_table(records) -> pd.DataFrame:
    """The two filters at the same number of pseudo-classes C, per twin (means over seeds): C of each filter,
    ACC of GradNorm, of TAC (its own C), of TAC at GradNorm's C and of TAC's filter at GradNorm's C under
    GradNorm's Stage 2, the filters' recall of the positive nouns, and GradNorm − (TAC's filter at GradNorm's
    C + GradNorm's Stage 2) paired by seed: the two noun scores compared with everything else equal."""
    methods = ("gradnorm", "tac", "tac-equal-c", "tac-filter-equal-c")
    acc = _means(records, methods)
    C = _means(records, methods, _filter_value("n_pseudo_classes"))
    recall = _means(records, methods, _filter_value("recall"))
    out = pd.DataFrame(index=acc.index)
    out["C: GradNorm / TAC"] = [f"{C.loc[d, 'gradnorm']:.0f} / {C.loc[d, 'tac']:.0f}" for d in acc.index]
    for m in methods:
        out[f"ACC: {display_name(m)}"] = acc.get(m)
    for m in ("gradnorm", "tac-filter-equal-c"):
        out[f"recall: {display_name(m)}"] = recall.get(m)
    p = paired_table([r for r in records if r["method"] in ("gradnorm", "tac-filter-equal-c")],
                     pairs=(("gradnorm", "tac-filter-equal-c"),)).set_index("dataset")
    out["GradNorm − TAC's filter, same C and Stage 2"] = [
        _pm(p.loc[d]) if d in p.index else None for d in out.index]
    plain = {"yes": "yes", "no": "no, TAC's is better", "tie": "no, a tie (within 2 SE)"}
    out["GradNorm's score better?"] = [plain[p.loc[d, "verdict"]] if d in p.index else None for d in out.index]
    seeds = {r["seed"] for r in records if r["method"] == "tac-filter-equal-c"}
    out.index = [display_name(d) for d in out.index]
    out.index.name = f"twin ({len(seeds)} seeds)"
    return out


def positives_kept(record, positives: dict) -> pd.Series:
    """Per class of the twin: how many of its positive nouns (``positives``: class → pool names) the run's
    Stage 1 kept."""
    kept = {n for nouns in (record.get("selected_nouns") or {}).values() for n in nouns}
    return pd.Series({cls: len(kept & names) for cls, names in positives.items()}, name=display_name(record["method"]))


def seed_story(records, dataset: str, seed: int, positives: dict, methods=("gradnorm", "tac")) -> pd.DataFrame:
    """One seed of one twin, method by method: per class the positive nouns each filter kept and the three best
    names of the final cluster matched to the class (Eq. 9 weights; a wrong name shows a cluster that gathered
    another class's images)."""
    picked = {r["method"]: r for r in records
              if r["dataset"] == dataset and r["seed"] == seed and r["method"] in methods}
    cols = {}
    for m in methods:
        if m not in picked:
            continue
        r = picked[m]
        cols[f"positives kept: {display_name(m)}"] = positives_kept(r, positives)
        names = {c["class"]: ", ".join(n.replace("_", " ") for n in c["names"][:3])
                 for c in (r.get("cluster_names") or {}).values()}
        cols[f"its cluster's names: {display_name(m)}"] = pd.Series({cls: names.get(cls) for cls in positives})
    out = pd.DataFrame(cols)
    out.index.name = f"class ({display_name(dataset)}, seed {seed})"
    return out


def story_text(story: pd.DataFrame, first: str = "gradnorm", second: str = "tac") -> str:
    """What :func:`seed_story` shows, in sentences: the classes whose positives one filter kept and the other
    lost, and the classes whose matched cluster is not named by the class (it gathered other images)."""
    a, b = display_name(first), display_name(second)
    kept_a, kept_b = story[f"positives kept: {a}"], story[f"positives kept: {b}"]
    fewer = [f"{c} ({kept_a[c]} against {kept_b[c]})" for c in story.index if kept_a[c] < kept_b[c]]
    more = [f"{c} ({kept_a[c]} against {kept_b[c]})" for c in story.index if kept_a[c] > kept_b[c]]

    def misnamed(method):
        col = story[f"its cluster's names: {display_name(method)}"]
        return [f"{c} (named {col[c]})" for c in story.index
                if isinstance(col[c], str) and not col[c].lower().startswith(c.lower())]

    return (f"{a}'s filter kept fewer positive nouns than {b}'s for {_listed(fewer)}, more for {_listed(more)}. "
            f"Clusters not named by their own class: {a} {_listed(misnamed(first))}; {b} {_listed(misnamed(second))}.")


def worst_seed(paired: pd.DataFrame, first: str = "gradnorm", second: str = "tac") -> tuple:
    """(dataset, seed, difference) of the single seed on which ``first`` fell furthest below ``second``."""
    g = paired[(paired["first"] == first) & (paired["second"] == second)]
    cases = [(row["dataset"], s, d) for _, row in g.iterrows() for s, d in zip(row["seed ids"], row["per seed"])]
    return min(cases, key=lambda c: c[2])


def worst_seed_text(worst: tuple, story: pd.DataFrame) -> str:
    """The seed on which GradNorm fell furthest below TAC (``worst``: :func:`worst_seed`'s (dataset, seed,
    difference)) and what its records say (:func:`story_text` of ``story``)."""
    dataset, seed, diff = worst
    return f"On {dataset_title(dataset)}, seed {seed}, GradNorm − TAC is {diff:+.1f} ACC points. " + story_text(story)


def cost_text(table: pd.DataFrame) -> str:
    """How many runs ``table`` (:func:`laicpkg.book.records.comparison_table`) holds and their method time."""
    return (f"The {int(table['seeds'].sum())} runs took {(table['seconds'] * table['seeds']).sum() / 60:.0f} minutes "
            "of method time in all.")


def comparison_bullets(table) -> str:
    """The comparison chapter's bullets: the best method without the class names per twin, what GradNorm's nouns do to
    TAC*'s heads, the twins where GradNorm and TAC fall below CLIP k-means, the seed spread, Eq. 9 read
    literally (``table``: :func:`laicpkg.book.records.comparison_table`)."""
    acc, std = table["ACC"].unstack(0), table["ACC std"].unstack(0)
    blind = acc.drop(index="zeroshot")  # the methods that do not know the class names
    under_kmeans = acc.columns[(acc.loc["gradnorm"] < acc.loc["kmeans"]) & (acc.loc["tac"] < acc.loc["kmeans"])]
    heads = acc.loc["gradnorm-tac-star"] - acc.loc["tac-star"]
    literal = (acc.loc["gradnorm-literal"] - acc.loc["gradnorm"]).abs()
    return (f"""
* **The best method without the class names**, per twin: {', '.join(
    f"{dataset_title(d)} {READER_NAMES[blind[d].idxmax()]} {blind[d].max():.1f}" for d in blind.columns)}.
  Feeding TAC\\*'s heads GradNorm's nouns instead of TAC's moves them by {heads.abs().min():.1f} to
  {heads.abs().max():.1f} points ({', '.join(f"{dataset_title(d)} {round(v, 1) + 0.0:+.1f}" for d, v in heads.items())}).
* **Against CLIP k-means.** GradNorm and TAC both fall below CLIP k-means on
  {', '.join(dataset_title(d) for d in under_kmeans) or 'no twin'} (means over seeds; paired differences below).
* **Seed spread.** GradNorm's ACC varies with the seed by up to {std.loc['gradnorm'].max():.1f} points (std, on
  {dataset_title(std.loc['gradnorm'].idxmax())}), CLIP k-means' by up to {std.loc['kmeans'].max():.1f} (on
  {dataset_title(std.loc['kmeans'].idxmax())}): each seed draws another twin (data seed = run seed) as well as
  the k-means initialisation, and Stage 1's k-means trains on faiss' subsample of 256 points per
  pseudo-class, as every reference implementation does (the ablations chapter shows what that does).
* **Eq. 9 read literally** (`gradnorm-literal`, unnormalised $\\mathbf v_i$) moves GradNorm by at most
  {literal.max():.1f} points (on {dataset_title(literal.idxmax())}).
""")


def sic_scale_text(scale) -> str:
    """What SIC's input scale does to its accuracy (``scale``: :func:`laicpkg.run.experiments.seed_spread` over the
    scales)."""
    spread = scale["ACC"].max() - scale["ACC"].min()
    return (f"With unit features ($s = 1$) SIC reaches {scale.loc[1.0, 'ACC']:.1f} % ACC (chance is 1/47 = 2.1 %), "
             + ", ".join(f"at $s = {s:g}$ {a:.1f} %" for s, a in scale["ACC"].items() if s != 1.0)
             + f": over these scales SIC's mean ACC moves by {spread:.1f} points "
             + ("(more than twice its largest standard deviation over seeds)."
                if spread > 2 * scale["ACC std"].max() else
                "(within twice its largest standard deviation over seeds)."))


def overview_bullets(h, ceilings) -> str:
    """The landing page's bullets: what is exact, how close the twins come to the paper (``h``:
    :func:`laicpkg.book.paper.headline` of the comparison table), what they cannot show (``ceilings``:
    :func:`laicpkg.book.twins.ceilings_summary`, through :func:`gain_line`) and what has not been run."""
    return (f"""
* **What is exact.** On identical inputs each step equals its authors' public code in float32: the noun
  filters of [TAC](https://github.com/XLearning-SCU/2024-ICML-TAC) and
  [GradNorm](https://github.com/60pen9/On-the-Provable-Importance-of-Gradients-for-Language-Assisted-Image-Clustering),
  the text counterparts of Eq. 9, [SIC](https://github.com/Bruce-XJChen/SIC)'s semantic space and the final
  k-means. The `official-code` preset also reproduces their half-precision arithmetic. Eq. 6 is the gradient's
  norm, derived and checked against automatic differentiation ({{doc}}`02_eq6_derivation`). Every choice and its
  evidence: {{doc}}`../book/implementation`.
* **How close the twins come to the paper.** The twins match CLIP's two rows (mean |twin − paper|
  {h['calibrated_mean_abs']:.1f} ACC points). SIC, TAC and GradNorm land {h['predicted_mean_abs']:.1f} points
  from the paper on average, {h['predicted_below']} of {h['predicted_rows']} rows below it
  (figure below, {{doc}}`07_comparison`).
* **What the twins cannot show.** {gain_line(ceilings)} ({{doc}}`08_twins`)
* **What has not been run.** Real CLIP features of the paper's datasets and a GPU. IDCL does not reproduce its
  paper on DIGITS ({{doc}}`09_idcl`). All of it: {{doc}}`../book/status`.
""")


def official_missing_text(datasets, official_records, methods=("gradnorm", "tac"), seeds=3) -> str:
    """Whether every dataset of ``datasets`` ran with the authors' settings (``official_records``) for ``methods``
    on ``seeds`` seeds, or which did not."""
    ran = {(r["dataset"], r["method"], r["seed"]) for r in official_records}
    missing = [dataset_title(d) for d in datasets
               if not all((d, m, s) in ran for m in methods for s in range(seeds))]
    if not missing:
        return "Every twin ran with both settings."
    return (f"Not yet run with the authors' settings on all {seeds} seeds: {', '.join(missing)}. The preset's 20 "
            "restarts of GradNorm's k-means with its fixed C make these the slowest runs of the comparison on a "
            "CPU; `make compare` adds the missing ones.")


def subsample_text(subsample) -> str:
    """What faiss' subsample of Stage 1's k-means does to GradNorm (``subsample``: :func:`laicpkg.run.experiments.
    seed_spread` over ``kmeans_max_points`` 256 and 0)."""
    with_, without = subsample.loc[256], subsample.loc[0]
    moved = abs(with_["ACC"] - without["ACC"])
    inside = moved < max(with_["ACC std"], without["ACC std"])
    return (f"On this preset the subsample moves GradNorm's mean ACC by {moved:.1f} points ({with_['ACC']:.1f} ± "
            f"{with_['ACC std']:.1f} with it, {without['ACC']:.1f} ± {without['ACC std']:.1f} without), "
            + ("well inside the spread over seeds, which the ERM classifier dominates. "
               if inside else "more than the spread over seeds. ")
            + "The final k-means is not affected here: 2,000 test images are fewer than 256 per cluster for K = 10.")
