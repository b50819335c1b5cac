"""The twins chapter's sentences: what the twins can show, how far they land from the paper, their geometry.

Explained in: notebooks/08_twins.
"""
from __future__ import annotations

import pandas as pd

from ...catalog.geometry import GEOMETRY_TARGETS, NN_TARGETS, PROBE_TARGETS
from ...catalog.twins import CLIP_STRUCTURE
from ..display import READER_NAMES, dataset_title
from ..paper import METHOD_TO_PAPER_ROW
from .common import span, verdict

__all__ = ["gain_text", "gain_line", "objective_text", "seeding_text", "twin_headline_text", "model_gain_text", "real_table_text", "ordering_text",
           "filter_text", "naming_text", "geometry_text", "paired_verdict_text", "ceilings_margin_text",
           "predicted_rows_text", "real_text_rows_text", "reference_targets_text", "tree_geometry_text",
           "pool_filter_text"]


def gain_text(summary: pd.DataFrame) -> str:
    """The sentence of the twins chapter on what Stage 2 adds to CLIP's own answers, from
    :func:`laicpkg.book.twins.ceilings_summary`: the largest gain of Stage 2 fed the right nouns over the better of
    zero-shot and k-means on any twin, against the paper's GradNorm over the better of CLIP's two rows."""
    gain = summary["right nouns − better baseline"]
    paper = summary["paper: GradNorm − better CLIP row"].groupby(level="dataset", sort=False).first()
    above = paper[paper > 0]
    return (f"On no twin does Stage 2 fed the right nouns beat the better of CLIP zero-shot and CLIP k-means by more "
            f"than {max(gain.max(), 0.0):.1f} ACC points (it falls short by up to {max(-gain.min(), 0.0):.1f}). "
            f"The paper's GradNorm, with the nouns its own filter chose, beats the better of CLIP's two rows on "
            f"{len(above)} of {len(paper)} datasets, by {above.min():.1f} to {above.max():.1f} points "
            f"({', '.join(f'{d} {v:+.1f}' for d, v in paper.items())}). Real CLIP features let Stage 2 add to "
            f"CLIP's own answers; the twins let it add at most {max(gain.max(), 0.0):.1f} points, so no twin can "
            "show the paper's gains over them.")


def objective_text(summary: pd.DataFrame) -> str:
    """Per twin model, where spherical k-means on ``[e; v]`` fed the class names prefers zero-shot's partition
    (``summary``: :func:`laicpkg.book.twins.objectives_summary`): on how many twins zero-shot's partition scores a
    higher objective than the one its restarts find, and the true classes a lower one than zero-shot's."""
    lines = []
    for model in dict.fromkeys(summary.index.get_level_values("twin")):
        part = summary.xs(model, level="twin")
        zs, found, true = (part[f"objective, {c}"] for c in ("zero-shot", "k-means found", "true classes"))
        beats = list(part.index[zs > found])
        truth_below = list(part.index[true < zs])
        lines.append(f"* On the **{model.replace('twin', 'twins', 1)}** zero-shot's partition scores higher than "
                     f"the one k-means finds on {len(beats)} of {len(part)} twins "
                     f"({', '.join(beats) or 'none'}), and the true classes score lower than zero-shot's on "
                     f"{len(truth_below)} of {len(part)} ({', '.join(truth_below) or 'none'}).")
    return "\n".join(lines)


def seeding_text(summary: pd.DataFrame) -> str:
    """What k-means++ starts change in Stage 2 (``summary``: :func:`laicpkg.book.twins.seeding_summary`): the
    range of the gain over the reference's random starts, fed the class names and fed random nouns, and on how
    many twins the class names then beat random nouns, and zero-shot, by two standard errors or more."""
    names = summary["class names, k-means++ starts"] - summary["class names, random starts"]
    random = summary["random nouns, k-means++ starts"] - summary["random nouns, random starts"]
    margin, se = summary["class names − random, k-means++ starts"], summary["± SE"]
    wins = [d for (d, _), m, e in zip(summary.index, margin, se) if m >= 2 * e and m > 0]
    losses = [d for (d, _), m, e in zip(summary.index, margin, se) if -m >= 2 * e and m < 0]
    above_zs = [d for (d, _), a, z in zip(summary.index, summary["class names, k-means++ starts"],
                                          summary["zero-shot"]) if a > z]
    margins = ", ".join(f"{d} {m:+.1f} ± {e:.1f}" for (d, _), m, e in zip(summary.index, margin, se))
    return (f"From k-means++ starts Stage 2 fed the class names moves by {names.min():+.1f} to {names.max():+.1f} "
            f"ACC points against the reference's random starts (most on {names.idxmax()[0]}), and fed random nouns "
            f"by {random.min():+.1f} to {random.max():+.1f}. The class names then beat random nouns by {margins} "
            f"points (mean ± standard error over data seeds): by two standard "
            f"errors or more on {len(wins)} of {len(summary)} twins ({', '.join(wins) or 'none'}) and lose by as much "
            f"on {len(losses)} ({', '.join(losses) or 'none'}); they end above zero-shot on {len(above_zs)} "
            f"({', '.join(above_zs) or 'none'}). "
            + ("From better starts the class names beat random nouns on every twin." if len(wins) == len(summary) else
               "Better starts do not make the class names beat random nouns on every twin."))


def gain_line(summary: pd.DataFrame) -> str:
    """The landing page's short form of :func:`gain_text`: the most Stage 2 fed the right nouns adds, on any twin,
    to the better of CLIP zero-shot and k-means, against the most the paper's GradNorm adds on real CLIP features."""
    gain = summary["right nouns − better baseline"].max()
    paper = summary["paper: GradNorm − better CLIP row"]
    return (f"Even fed the right nouns, Stage 2 adds at most {max(gain, 0.0):.1f} ACC points to the better of CLIP "
            f"zero-shot and CLIP k-means on any twin; the paper's GradNorm adds up to {paper.max():.1f} on real CLIP "
            "features. No twin can show the paper's gains over CLIP's own answers; where the right nouns beat random "
            "ones, a twin can still compare two filters.")


def twin_headline_text(h, h_tree) -> str:
    """The landing numbers of the twins chapter: how far the predicted rows land from the paper on the clip and tree
    twins, and where the paper's ordering holds (``h``, ``h_tree``: :func:`laicpkg.book.paper.headline` of
    each)."""
    return (f"""
On the clip twins SIC, TAC and GradNorm land on average **{h['predicted_mean_abs']:.1f} ACC points** from the
paper ({h['predicted_below']} of {h['predicted_rows']} rows below it; the largest miss
{h['predicted_max_abs']:.1f} points, {h['worst'][1]} on {h['worst'][0]}), against
{h_tree['predicted_mean_abs']:.1f} on the tree twins ({h_tree['predicted_below']} of {h_tree['predicted_rows']}
below; largest {h_tree['predicted_max_abs']:.1f}, {h_tree['worst'][1]} on {h_tree['worst'][0]}). The paper's
ordering GradNorm > TAC > CLIP k-means holds on {len(h['ordering_holds_on'])} of {h['ordering_twins']} clip
twins ({', '.join(h['ordering_holds_on']) or 'none'}) and on {len(h_tree['ordering_holds_on'])} of
{h_tree['ordering_twins']} tree twins ({', '.join(h_tree['ordering_holds_on']) or 'none'}). Both sets of twins
were fitted to the same two CLIP rows (mean |Δ| {h['calibrated_mean_abs']:.1f} and
{h_tree['calibrated_mean_abs']:.1f} points); only the clip twins also have CLIP's measured geometry.
""")


def model_gain_text(by_twin) -> str:
    """On how many twins the clip twins' predicted rows lie closer to the paper than the tree twins' (``by_twin``:
    :func:`laicpkg.book.paper.twin_models_by_twin`)."""
    closer = by_twin[by_twin["clip twins"] < by_twin["tree twins"]]
    farther = by_twin[by_twin["clip twins"] >= by_twin["tree twins"]]
    return (f"""
The clip twins' predicted rows lie closer to the paper than the tree twins' on {len(closer)} of {len(by_twin)}
twins ({', '.join(f"{d} {r['tree twins']:.1f} → {r['clip twins']:.1f}" for d, r in closer.iterrows()) or 'none'}){
f"; no closer on {len(farther)} (" + ', '.join(f"{d} {r['tree twins']:.1f} → {r['clip twins']:.1f}" for d, r in farther.iterrows()) + ")"
if len(farther) else ""}.
Both models reproduce CLIP's two baselines by construction, so what moved the predicted rows is the geometry:
image neighbourhoods as pure as CLIP's, its image cone and image–text cosines, and texts that are not a
WordNet tree metric. Where a gap remains it is a statement about these twins or about the reproduction, which
the twins cannot tell apart.
""")


def real_table_text(real_table) -> str:
    """How many of real CLIP's ten CIFAR-10 statistics each twin meets (``real_table``:
    :func:`laicpkg.book.twins.real_table_comparison`)."""
    met = {column: int(real_table[column].str.endswith("✓").sum()) for column in real_table.columns[1:]}
    return (f"""
Of the ten statistics, the real-text CIFAR-10 twin meets {met['CIFAR-10, real-text twin']} and the clip
CIFAR-10 twin {met['CIFAR-10, clip twin']}. The clip twin's images lie in a wider cone than CIFAR-10's
(image–image cosine {real_table.loc['image-image cosine', 'CIFAR-10, clip twin'][:-2]} against
{real_table.loc['image-image cosine', 'real CLIP'].split(' ')[0]}) and closer to their own class text. No
real features of STL-10 were available; its real-text twin, fitted to STL-10's own CLIP rows, meets
{met['STL-10, real-text twin']} of CIFAR-10's ten.
""")


def ordering_text(table, order, narrow, h_tree) -> str:
    """Where the paper's ordering GradNorm > TAC > CLIP k-means holds on the clip twins, where it fails and by what,
    and which steps the seeds cannot resolve (``order``: :func:`laicpkg.book.paper.ordering_table`, ``narrow``:
    :func:`laicpkg.book.paper.narrow_orderings` of ``table``; ``h_tree``: the tree twins' headline)."""
    return ("The ordering holds on " + (", ".join(
        f"{dataset_title(ds)} (GradNorm {table.loc[(ds, 'gradnorm'), 'ACC']:.2f} > TAC {table.loc[(ds, 'tac'), 'ACC']:.2f} "
        f"> k-means {table.loc[(ds, 'kmeans'), 'ACC']:.2f})"
        for ds, r in order.iterrows() if r["ordering holds"] == "yes") or "no twin") + "; it fails on " + (", ".join(
        f"{dataset_title(ds)} (" + r["ordering holds"][4:].replace("gradnorm", "GradNorm").replace("tac", "TAC")
        .replace("kmeans", "k-means") + ")"
        for ds, r in order.iterrows() if r["ordering holds"] != "yes") or "none")
        + f". The paper's table has the ordering on {int((order['in the paper'] == 'yes').sum())} of {len(order)} "
        "datasets. On the tree twins it held on " + (", ".join(h_tree["ordering_holds_on"]) or "none") + ". "
        + ("Where it holds on the clip twins, " + "; ".join(
            f"{dataset_title(ds)}'s step " + r["step"].replace("gradnorm", "GradNorm").replace("tac", "TAC")
            .replace("kmeans", "k-means") + f" is {r['margin']:.2f} points, less than the "
            f"standard error of that difference of two {int(table['seeds'].min())}-seed means ({r['standard error']:.2f})"
            for ds, r in narrow.iterrows()) + ": there the seeds cannot tell the two apart." if len(narrow)
           else "Where it holds on the clip twins, every step is larger than its standard error over the seeds."))


def filter_text(filters) -> str:
    """GradNorm's, TAC's and SIC's filters compared by nouns kept, precision and recall (``filters``:
    :func:`laicpkg.book.nouns.filter_table`)."""
    gn, tac, sic = (filters.xs(m, level="method") for m in ("gradnorm", "tac", "sic"))
    return (f"""
GradNorm keeps fewer nouns than TAC on {int((gn['nouns kept'] < tac['nouns kept']).sum())} of {len(gn)} twins
and at higher precision on {int((gn['precision'] > tac['precision']).sum())} (mean precision {gn['precision'].mean():.1f}
against {tac['precision'].mean():.1f} %, mean recall {gn['recall'].mean():.1f} against {tac['recall'].mean():.1f} %).
SIC keeps {sic['nouns kept'].min():,.0f} to {sic['nouns kept'].max():,.0f} nouns, at precision
{sic['precision'].min():.1f} to {sic['precision'].max():.1f} %. GradNorm's and TAC's recall stays below 20 % on
{', '.join(dataset_title(d) for d in gn.index if max(gn.loc[d, 'recall'], tac.loc[d, 'recall']) < 20)}: classes
with large hyponym closures, which a few nouns per pseudo-class cannot cover.
""")


def naming_text(naming) -> str:
    """How often GradNorm's clusters are named by a positive of their class, against TAC's and SIC's (``naming``:
    naming accuracy, twins × methods)."""
    return (f"""
GradNorm's clusters are named by a positive of their class at least as often as TAC's on
{int((naming['gradnorm'] >= naming['tac']).sum())} of {len(naming)} twins and as SIC's on
{int((naming['gradnorm'] >= naming['sic']).sum())}; the lowest naming accuracy of the three is
{naming[['gradnorm', 'tac', 'sic']].min().min():.1f} % ({dataset_title(naming[['gradnorm', 'tac', 'sic']].min(axis=1).idxmin())}).
""")


def geometry_text(geometry_clip, misses, calibration) -> str:
    """The clip twins' geometry and calibration in words: targets met and missed, 1-NN and linear probe against CLIP's,
    the texts' statistics, the calibration's misses (``misses``: :func:`laicpkg.book.twins.geometry_misses` of
    ``geometry_clip``; ``calibration``: :func:`laicpkg.book.twins.twin_calibration_table`)."""
    value, real = geometry_clip["twin value"], geometry_clip["real CLIP"]
    nmi_misses = calibration[calibration["NMI ok"] == "✗"]
    kmeans_seeds = calibration.xs("CLIP (k-means)", level="baseline")
    return (f"""
The twins meet {int((geometry_clip['holds'] == 'yes').sum())} of their
{int((geometry_clip['holds'] != '—').sum())} geometry targets; """ + (
        "the misses: " + "; ".join(f"{t}'s {s} ({v:.3g} against {g})" for t, s, v, g in
                                  zip(misses["twin"], misses["statistic"], misses["twin value"], misses["target"]))
        if len(misses) else "none is missed") + f""". On the CIFAR-10 twin 1-NN and linear probe reach
{value['twin-cifar10', '1-NN accuracy']:.1f} % and {value['twin-cifar10', 'linear-probe accuracy']:.1f} %
(CLIP {real['twin-cifar10', '1-NN accuracy']:.1f} % and {real['twin-cifar10', 'linear-probe accuracy']:.2f} %); on
the CIFAR-20 twin {value['twin-cifar20', '1-NN accuracy']:.1f} % and
{value['twin-cifar20', 'linear-probe accuracy']:.1f} %, where real CLIP's probe on CIFAR-100 lies
{real['twin-cifar20', 'linear-probe accuracy'] - real['twin-cifar20', '1-NN accuracy']:.1f} points above its
1-NN. The other datasets have no published figure and none stands in, since both accuracies depend on the
dataset's own difficulty. The texts' mean cosine ({value['twin-cifar10', 'text-text cosine']:.3f}) and their weak
dependence on WordNet distance (Spearman {value['twin-cifar10', 'Spearman(text cosine, -hops)']:.3f} against
{real['twin-cifar10', 'Spearman(text cosine, -hops)']:.3f}) are those of real CLIP text; their participation
ratio is not ({value['twin-cifar10', 'text participation ratio']:.0f} against
{real['twin-cifar10', 'text participation ratio']:.0f}). The calibration reaches all four CLIP numbers within
tolerance on {calibration.index.get_level_values('twin').nunique() - nmi_misses.index.get_level_values('twin').nunique()}
of {calibration.index.get_level_values('twin').nunique()} twins""" + ("; " + "; ".join(
        f"on {dataset_title(t)} the NMI of {b} stays outside ({r['twin NMI']:.1f} against {r['paper NMI']:.1f})"
        for (t, b), r in nmi_misses.iterrows()) + ": the model's parameters move where zero-shot's errors go more than "
        "where k-means' go" if len(nmi_misses) else "") + (
        "; " + " and ".join(dataset_title(t) for t in CLIP_STRUCTURE) + " need a structure of their own for k-means' NMI "
        "(the appearance modes, {doc}`../book/implementation`)" + "".join(
            f", and {dataset_title(t)} for its 1-NN accuracy ({100 * st['image_overlap']:.0f} % of a class's images "
            "drawn as images of its most similar class)" for t, st in CLIP_STRUCTURE.items() if "image_overlap" in st)
        if CLIP_STRUCTURE else "") + f""". One drawn twin can lie far from the mean of three: CLIP k-means ACC per data
seed of the CIFAR-10 twin is {kmeans_seeds.loc['twin-cifar10', 'ACC per data seed']} (mean
{kmeans_seeds.loc['twin-cifar10', 'twin ACC']:.1f}), of the STL-10 twin
{kmeans_seeds.loc['twin-stl10', 'ACC per data seed']} ({kmeans_seeds.loc['twin-stl10', 'twin ACC']:.1f}).
""")


def paired_verdict_text(paired, kinds) -> str:
    """Per kind of twin (a level ``twins`` of ``paired``, stacked :func:`laicpkg.book.twins.paired_differences`):
    where GradNorm beats TAC, where TAC beats GradNorm, and on how many twins three seeds do not decide."""
    lines = []
    for kind in kinds:
        part = paired.xs(kind, level="twins")
        lines.append(f"* On the **{kind}** GradNorm is better than TAC on "
                     + (", ".join(part.index[part["verdict"] == "GradNorm better"]) or "none")
                     + ", worse on " + (", ".join(part.index[part["verdict"] == "TAC better"]) or "none")
                     + f"; on the other {int((part['verdict'] == 'not resolved').sum())} of {len(part)} twins the "
                     "difference is not resolved by three seeds.")
    return "\n".join(lines)


def ceilings_margin_text(ceilings) -> str:
    """Per twin model, the margin of Stage 2 fed the class names over Stage 2 fed random nouns on each twin, and on
    how many twins it is positive by two standard errors (:func:`~laicpkg.book.findings.common.verdict`; ``ceilings``:
    :func:`laicpkg.book.twins.ceilings_summary`, whose ``seeds`` column, where present, gives n)."""
    lines = []
    for model in dict.fromkeys(ceilings.index.get_level_values("twin")):
        part = ceilings.xs(model, level="twin")
        n = part["seeds"] if "seeds" in part else pd.Series(3, index=part.index)
        won = [d for d in part.index if verdict(part.loc[d, "class names − random"], part.loc[d, "± SE"], n[d]) == "yes"]
        lost = [d for d in part.index if verdict(part.loc[d, "class names − random"], part.loc[d, "± SE"], n[d]) == "no"]
        lines.append(f"* On the **{model.replace('twin', 'twins', 1)}** the class names beat random nouns by "
                     + ", ".join(f"{m:+.1f} ± {se:.1f}" for m, se in zip(part["class names − random"], part["± SE"]))
                     + f" ACC points ({', '.join(part.index)}; mean ± standard error over data seeds): by two "
                     f"standard errors on {len(won)} of {len(part)}"
                     + (f", and random nouns beat them on {', '.join(lost)}" if lost else "") + ".")
    return "\n".join(lines)


def predicted_rows_text(table, pvt, methods=("sic", "tac", "gradnorm")) -> str:
    """Per twin, the predicted rows as "twin (paper)" ACC and the twin's CLIP k-means (``table``:
    :func:`laicpkg.book.records.comparison_table`; ``pvt``: :func:`laicpkg.book.paper.paper_vs_twin` of it)."""
    lines = []
    for ds in table.index.get_level_values(0).unique():
        cells = [f"{READER_NAMES[m]} {table.loc[(ds, m), 'ACC']:.1f} "
                 f"({pvt.loc[(ds, METHOD_TO_PAPER_ROW[m]), 'ACC (paper)']:.1f})"
                 for m in methods if (ds, m) in table.index]
        lines.append(f"* **{dataset_title(ds)}**: " + ", ".join(cells)
                     + f"; CLIP k-means {table.loc[(ds, 'kmeans'), 'ACC']:.1f}")
    return "\n".join(lines)


def real_text_rows_text(by_twin, real_table, real: str = "real-text twins", clip: str = "clip twins",
                        methods=("sic", "tac", "gradnorm")) -> str:
    """Where the real-text twins' predicted rows lie relative to the clip twins' (``by_twin``:
    :func:`laicpkg.book.paper.twin_models_by_twin`, NaN where a model has no twin), and how many of them lie between
    the real-text twin's own CLIP k-means and zero-shot (``real_table``: its
    :func:`laicpkg.book.records.comparison_table`)."""
    both = by_twin[[clip, real]].dropna()
    closer = both[both[real] < both[clip]]
    acc = real_table["ACC"]
    rows = [(d, m) for d in acc.index.get_level_values(0).unique() for m in methods if (d, m) in acc.index]
    between = [(d, m) for d, m in rows
               if min(acc[(d, "kmeans")], acc[(d, "zeroshot")]) <= acc[(d, m)] <= max(acc[(d, "kmeans")],
                                                                                     acc[(d, "zeroshot")])]
    above = [(d, m) for d, m in rows if acc[(d, m)] > max(acc[(d, "kmeans")], acc[(d, "zeroshot")])]
    return (f"On the {len(both)} twins with real CLIP text, the real-text twins' predicted rows lie on average "
            f"{both[real].mean():.1f} ACC points from the paper, the clip twins' {both[clip].mean():.1f}; "
            f"the real-text twin is closer on {len(closer)} of {len(both)} ("
            + ", ".join(f"{d} {r[clip]:.1f} → {r[real]:.1f}" for d, r in both.iterrows()) + "). "
            f"On the real-text twins {len(between)} of the {len(rows)} predicted rows lie between the twin's own CLIP "
            f"k-means and zero-shot, {len(above)} above the better of the two.")


def reference_targets_text(nn=NN_TARGETS, probe=PROBE_TARGETS) -> str:
    """Where the twins' 1-NN and linear-probe references come from (:data:`laicpkg.catalog.geometry.NN_TARGETS`,
    :data:`~laicpkg.catalog.geometry.PROBE_TARGETS`): CIFAR-10's own, CIFAR-100's standing in for CIFAR-20."""
    return (f"The 1-NN and linear-probe references exist for CIFAR-10 only ({nn['twin-cifar10'][0]:g} % and "
            f"{probe['twin-cifar10'][0]:g} %, ViT-B/32 with LAION-400M weights, not the OpenAI weights of the paper; the "
            f"probe a logistic regression on the frozen features); CIFAR-100's {nn['twin-cifar20'][0]:g} % and "
            f"{probe['twin-cifar20'][0]:g} % stand in for CIFAR-20 as lower bounds (20 superclasses of the same "
            "images are easier to tell apart than 100 classes). \"holds\" says whether the twin meets the target "
            "(each target's source is in `laicpkg.catalog.geometry`).")


def tree_geometry_text(geometry) -> str:
    """What the tree twins' geometry meets and misses (``geometry``: the table of
    :func:`laicpkg.features.twins.geometry_table`, indexed by twin and statistic, with ``twin value``,
    ``real CLIP`` and ``holds``)."""
    g = geometry.reset_index()

    def rows(stat):
        return g[g["statistic"] == stat].set_index("twin")

    met = [st for st in GEOMETRY_TARGETS if (rows(st)["holds"] == "yes").any()]
    cone = rows("image-image cosine")
    held, missed = cone[cone["holds"] == "yes"], cone[cone["holds"] != "yes"]
    if met == ["image-image cosine"]:
        first = (f"They meet one target of the {len(GEOMETRY_TARGETS)} that every twin has, and that one on "
                 f"{len(held)} twins only: the image cone (image–image cosine {span(held['twin value'], '.2f')}"
                 + (f"; on {' and '.join(dataset_title(t) for t in missed.index)} "
                    f"{' and '.join(f'{v:.2f}' for v in missed['twin value'])}, nearly orthogonal images)."
                    if len(missed) else ").")
                 )
    else:
        first = (f"They meet {len(met)} of the {len(GEOMETRY_TARGETS)} targets that every twin has"
                 + (f" ({', '.join(met)})." if met else "."))
    missing = ("image participation ratio", "image-own class text cosine", "text-text cosine",
               "Spearman(text cosine, -hops)")
    none = all((rows(st)["holds"] != "yes").all() for st in missing)
    pr, own, txt, sp = (rows(st) for st in missing)
    nn = rows("1-NN accuracy").loc["twin-cifar10", "twin value"]
    return (first + f" {'None has' if none else 'Not every twin has'} CLIP's effective dimension (participation "
            f"ratio {span(pr['twin value'])} against {pr['real CLIP'].iloc[0]:.0f}), its image–text cosines "
            f"({span(own['twin value'], '.2f')} with the own class text against {own['real CLIP'].iloc[0]:.2f}), its "
            f"text cosine level ({span(txt['twin value'], '.2f')} against {txt['real CLIP'].iloc[0]:.2f}) or text "
            f"that is as loosely tied to the WordNet tree as CLIP's (Spearman {span(sp['twin value'], '.2f')} "
            f"against {sp['real CLIP'].iloc[0]:.2f}: the tree twins' text *is* a tree metric). Their images are also "
            f"far less locally pure: 1-NN accuracy {nn:.1f} % on the CIFAR-10 twin against CLIP's "
            f"{NN_TARGETS['twin-cifar10'][0]:.1f} %.")


def pool_filter_text(filters) -> str:
    """Per noun pool (level ``noun pool`` of ``filters``: :func:`laicpkg.book.nouns.filter_table` of TAC's and
    GradNorm's runs, one frame per pool), on how many twins GradNorm's filter keeps nouns at higher precision than
    TAC's, and keeps fewer of them."""
    lines = []
    for pool in dict.fromkeys(filters.index.get_level_values("noun pool")):
        part = filters.xs(pool, level="noun pool")
        g, t = part.xs("gradnorm", level="method"), part.xs("tac", level="method")
        better = g.index[g["precision"] > t["precision"]]
        lines.append(f"* With the **{pool}** pool GradNorm's filter is more precise than TAC's on {len(better)} of "
                     f"{len(g)} twins" + (f" ({', '.join(dataset_title(d) for d in better)})" if len(better) else "")
                     + f" and keeps fewer nouns on {int((g['nouns kept'] < t['nouns kept']).sum())}; its recall is "
                     f"{span(g['recall'], '.1f')} % against TAC's {span(t['recall'], '.1f')} %.")
    return "\n".join(lines)
