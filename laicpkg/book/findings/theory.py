"""The theory chapter's sentence on Theorem 1's bound on a CLIP-like twin.

Explained in: notebooks/04_theorem1_on_data.
"""
from __future__ import annotations

__all__ = ["theorem_gap_counts", "theorem_gap_text"]


def theorem_gap_counts(gap, row: str = "CIFAR-10 twin") -> tuple:
    """((k, n) of the pseudo-classes where the leading term bounds Err_pos, (k, n) where the Lemma-5 step holds)
    on ``row`` of ``gap`` (:func:`laicpkg.theory.modality_gap_table`, "k of n" cells)."""
    return tuple(tuple(map(int, gap.loc[row, column].split(" of ")))
                 for column in ("leading term ≥ Err_pos", "Lemma-5 step holds"))


def theorem_gap_text(gap) -> str:
    """What the twin changes in Theorem 1's bound against the small preset (``gap``: the chapter's table with rows
    ``small preset`` and ``CIFAR-10 twin``; "k of n" counts)."""
    preset_row, twin_row = gap.loc["small preset"], gap.loc["CIFAR-10 twin"]
    (lead_k, lead_n), (step_k, step_n) = theorem_gap_counts(gap)
    lead_says = "holds in most pseudo-classes" if lead_k > lead_n / 2 else "still fails in most pseudo-classes"
    step_says = "still fails in most of them" if step_k < step_n / 2 else "holds in most of them"
    return (rf"""On the twin the positive nouns are closer to their images (cosine {twin_row['image–positive cosine']:.2f}
against {preset_row['image–positive cosine']:.2f}) and their gradient norms are
{twin_row['mean S, positive nouns'] / twin_row['mean S, images']:.1f} times the images' (on the preset
{preset_row['mean S, positive nouns'] / preset_row['mean S, images']:.0f} times). The leading term bounds
$\mathrm{{Err}}_{{pos}}$ in {twin_row['leading term ≥ Err_pos']} pseudo-classes of the twin (preset:
{preset_row['leading term ≥ Err_pos']}), and the Lemma-5 step holds in {twin_row['Lemma-5 step holds']}
(preset: {preset_row['Lemma-5 step holds']}). With CLIP's smaller gap the bound's leading term {lead_says}, and
the step of the proof that compares nouns with images {step_says}.""")
