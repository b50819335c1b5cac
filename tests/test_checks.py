"""The tolerance checks the notebooks run (laicpkg.book.checks) pass within tolerance and fail beyond it."""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from laicpkg.book.checks import (TOLERANCES, ReferenceMismatch, Tolerance, check_against_records, check_reference,
                                 compare_frames)

ROOT = Path(__file__).resolve().parents[1]


def test_tolerance_bounds():
    t = Tolerance(atol=3.0)
    assert t.allows(90.0, 92.9) and not t.allows(90.0, 93.1)
    r = Tolerance(rtol=0.05, atol=1.0)
    assert r.allows(104.9, 100) and not r.allows(106.1, 100)
    assert Tolerance().allows(float("nan"), float("nan"))


def test_compare_frames_passes_within_and_fails_beyond():
    ref = pd.DataFrame({"ACC": [90.0, 80.0], "name": ["a", "b"]}, index=["x", "y"])
    ok = ref.copy()
    ok.loc["x", "ACC"] = 92.5
    assert compare_frames(ok, ref, {"ACC": TOLERANCES["metrics"]})["largest_difference"] == pytest.approx(2.5)
    bad = ref.copy()
    bad.loc["y", "ACC"] = 84.0
    with pytest.raises(ReferenceMismatch, match=r"y/ACC: 84 vs 80"):
        compare_frames(bad, ref, {"ACC": TOLERANCES["metrics"]})
    renamed = ref.copy()
    renamed.loc["x", "name"] = "z"
    with pytest.raises(ReferenceMismatch, match="must be equal"):
        compare_frames(renamed, ref, {"ACC": TOLERANCES["metrics"]})
    with pytest.raises(ReferenceMismatch, match="rows"):
        compare_frames(ref.iloc[:1], ref, TOLERANCES["metrics"])


def test_check_reference_writes_then_checks(tmp_path, monkeypatch):
    path = tmp_path / "ref.json"
    table = pd.DataFrame({"ACC": [90.0], "NMI": [80.0]}, index=["gradnorm"])
    with pytest.raises(ReferenceMismatch, match="make notebooks"):
        check_reference(table, path, "t", TOLERANCES["metrics"])
    monkeypatch.setenv("LAIC_WRITE_REFERENCE", "1")
    line = check_reference(table, path, "t", TOLERANCES["metrics"])
    assert "2 numbers agree" in line and json.loads(path.read_text())["t"]["index"] == ["gradnorm"]
    monkeypatch.delenv("LAIC_WRITE_REFERENCE")
    assert "largest difference 1" in check_reference(table + 1.0, path, "t", TOLERANCES["metrics"])
    with pytest.raises(ReferenceMismatch, match="gradnorm/NMI"):
        check_reference(table.assign(NMI=83.5), path, "t", TOLERANCES["metrics"])
    monkeypatch.setenv("LAIC_WRITE_REFERENCE", "1")
    check_reference(4.2, tmp_path / "s.json", "x", Tolerance())  # scalars and series are stored as tables
    monkeypatch.delenv("LAIC_WRITE_REFERENCE")
    check_reference(4.2, tmp_path / "s.json", "x", Tolerance())
    with pytest.raises(ReferenceMismatch):
        check_reference(4.3, tmp_path / "s.json", "x", Tolerance())


class _Result:
    def __init__(self, record):
        self.record = record


def _record(acc=90.0, nouns=("a", "b", "c", "d", "e"), naming=60.0, k=50):
    return {"record_version": 1, "dataset": "ds", "method": "gradnorm", "fingerprint": "f", "seed": 0,
            "data_seed": 0, "metrics": {"ACC": acc, "NMI": 80.0, "ARI": 70.0},
            "filter": {"n_selected": len(nouns), "precision": 50.0, "recall": 40.0},
            "selected_nouns": {"0": list(nouns)}, "naming_accuracy": naming,
            "cluster_names": {str(c): {"class": "x", "names": ["a"]} for c in range(k)}}


def test_check_against_records(tmp_path):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "gradnorm.json").write_text(json.dumps(_record()))
    out = check_against_records({"gradnorm": _Result(_record(acc=91.0)), "kmeans": _Result(_record())}, tmp_path,
                                "ds", seed=0, data_seed=0)
    assert out.loc["gradnorm", "checked"] == "yes" and out.loc["kmeans", "checked"] == "no record for this seed"
    with pytest.raises(ReferenceMismatch, match="ACC 95.0 vs 90.0"):
        check_against_records({"gradnorm": _Result(_record(acc=95.0))}, tmp_path, "ds", seed=0, data_seed=0)
    with pytest.raises(ReferenceMismatch, match="overlap"):
        check_against_records({"gradnorm": _Result(_record(nouns=("a", "b", "x", "y", "z")))}, tmp_path, "ds",
                              seed=0, data_seed=0)
    # naming accuracy: within 3 points or two clusters' share (K = 50: 4 points; K = 10: 20 points)
    check_against_records({"gradnorm": _Result(_record(naming=63.9))}, tmp_path, "ds", seed=0, data_seed=0)
    with pytest.raises(ReferenceMismatch, match="naming accuracy 64.1 vs 60.0"):
        check_against_records({"gradnorm": _Result(_record(naming=64.1))}, tmp_path, "ds", seed=0, data_seed=0)
    check_against_records({"gradnorm": _Result(_record(naming=79.0, k=10))}, tmp_path, "ds", seed=0, data_seed=0)
    other_seed = check_against_records({"gradnorm": _Result(_record(acc=10.0))}, tmp_path, "ds", seed=1,
                                       data_seed=0)
    assert other_seed.loc["gradnorm", "checked"] == "no record for this seed"
    same = dict(_record(), data_sha256="aaaa")
    (tmp_path / "ds" / "gradnorm.json").write_text(json.dumps(same))
    check_against_records({"gradnorm": _Result(same)}, tmp_path, "ds", seed=0, data_seed=0)
    with pytest.raises(ReferenceMismatch, match=r"other data \(aaaa vs bbbb: the dataset changed; remove"):
        check_against_records({"gradnorm": _Result(dict(same, data_sha256="bbbb"))}, tmp_path, "ds", seed=0,
                              data_seed=0)


def test_committed_records_pass_their_own_check():
    """The pipeline notebook's default (twin-dtd, seed 0) has committed records to check against."""
    folder = ROOT / "book" / "results" / "records" / "twin-dtd"
    records = {p.stem: _Result(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))}
    assert {"zeroshot", "kmeans", "sic", "tac", "gradnorm", "gradnorm-centroid"} <= set(records)
    out = check_against_records(records, folder.parent, "twin-dtd", seed=0, data_seed=0)
    assert (out["checked"] == "yes").all()


def test_a_method_that_moves_between_seeds_gets_their_spread_as_tolerance(tmp_path):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "gradnorm.json").write_text(json.dumps(_record(acc=90.0)))
    spread = tmp_path / "comparison"
    spread.mkdir()
    for s, (acc, nouns) in enumerate([(84.0, "abcde"), (90.0, "abfgh"), (92.0, "abcij")]):
        (spread / f"ds__gradnorm__seed{s}.json").write_text(json.dumps(_record(acc=acc, nouns=tuple(nouns))))
    moved = _Result(_record(acc=96.0, nouns=("a", "b", "x", "y", "z")))
    with pytest.raises(ReferenceMismatch):  # 6 points and another noun set: outside the stated tolerances
        check_against_records({"gradnorm": moved}, tmp_path, "ds", seed=0, data_seed=0)
    out = check_against_records({"gradnorm": moved}, tmp_path, "ds", seed=0, data_seed=0, spread_dir=spread)
    assert out.loc["gradnorm", "tolerance from"] == "3 seeds"  # the seeds span 8 ACC points and share 2 of 8 nouns
    with pytest.raises(ReferenceMismatch, match="ACC 99.0 vs 90.0"):  # beyond the seeds' own spread
        check_against_records({"gradnorm": _Result(_record(acc=99.0))}, tmp_path, "ds", seed=0, data_seed=0,
                              spread_dir=spread)


def test_seed_means_are_held_to_the_standard_error_of_their_reference(tmp_path, monkeypatch):
    from laicpkg.book.checks import check_seed_means

    path = tmp_path / "ref.json"
    table = pd.DataFrame({"ACC": [50.0, 60.0], "ACC std": [6.0, 1.0], "seeds": [3, 3]}, index=[1.0, 5.0])
    monkeypatch.setenv("LAIC_WRITE_REFERENCE", "1")
    check_seed_means(table, path, "s", {"ACC": TOLERANCES["metrics"]})
    monkeypatch.delenv("LAIC_WRITE_REFERENCE")
    # 2 · √2 · 6 / √3 = 9.80 points: a mean 9 points off passes, 10.5 off fails; the stds themselves are not compared
    line = check_seed_means(table.assign(ACC=[59.0, 60.0], **{"ACC std": [0.0, 0.0]}), path, "s",
                            {"ACC": TOLERANCES["metrics"]})
    assert "2 means agree" in line and "±9.797" in line
    with pytest.raises(ReferenceMismatch, match="1.0/ACC"):
        check_seed_means(table.assign(ACC=[60.5, 60.0]), path, "s", {"ACC": TOLERANCES["metrics"]})
    # where the seeds agree, the stated tolerance holds
    small = table.assign(**{"ACC std": [0.5, 0.5]})
    monkeypatch.setenv("LAIC_WRITE_REFERENCE", "1")
    check_seed_means(small, path, "t", {"ACC": TOLERANCES["metrics"]})
    monkeypatch.delenv("LAIC_WRITE_REFERENCE")
    with pytest.raises(ReferenceMismatch):
        check_seed_means(small.assign(ACC=[53.5, 60.0]), path, "t", {"ACC": TOLERANCES["metrics"]})


# -- the notebooks' policy ------------------------------------------------------------------------------------
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
CHECKS = re.compile(r"check_reference\(|check_seed_means\(|check_against_records\(")


def _code_cells(py, with_tags: bool = False):
    import jupytext

    cells = [c for c in jupytext.read(py).cells if c.cell_type == "code"]
    return [(c.source, c.metadata.get("tags", [])) for c in cells] if with_tags else [c.source for c in cells]


def _shows_something(src: str) -> bool:
    lines = [ln for ln in src.strip().splitlines() if ln.strip() and not ln.startswith("#")]
    last = lines[-1] if lines else ""
    return "print(" in src or "display(" in src or not (last.startswith(("from ", "import ", "fig =", "fig,"))
                                                         or re.match(r"^[A-Za-z_][\w, ]*\s*=", last)
                                                         or last.startswith((" ", ")")))


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_that_shows_numbers_is_checked(py):
    """A code cell that shows output either is compared exactly by nbval (tag nbval-check-output), or checks its
    numbers against a committed reference, or shows only a figure or a parameter."""
    unchecked = []
    cells = _code_cells(py, with_tags=True)
    for i, (src, tags) in enumerate(cells):
        assert "NBVAL" not in src, "nbval's markers belong in the cell's tags, out of the reader's view"
        if CHECKS.search(src) and "parameters" not in tags and "remove-cell" not in tags \
                and "check_against_records" not in src:
            pytest.fail(f"{py.name}: a reference check in a cell the reader sees (give it its own remove-cell cell)")
        # a check of this cell's numbers in the hidden cell right after it (tag remove-cell) covers it
        nxt_src, nxt_tags = cells[i + 1] if i + 1 < len(cells) else ("", [])
        covered = "remove-cell" in nxt_tags and CHECKS.search(nxt_src)
        if "nbval-check-output" in tags or CHECKS.search(src) or covered or not _shows_something(src):
            continue
        if src.lstrip().startswith(("dataset =", "records_dir =")):  # the parameters cell
            continue
        if "for_readers()" in src:  # the hidden display set-up: it shows nothing
            continue
        unchecked.append(src.strip().splitlines()[-1])
    # the pipeline's views of its fresh records are covered by the records check of the cell that made them
    # (metrics, noun overlap, naming accuracy), and `agreement` is that check's own result
    allowed = {"agreement", "versus.round(1) if versus is not None else \"no paper numbers: not one of the paper's "
               "datasets\"", "ordering_table(table)",
               "record_nouns_table(results[\"gradnorm\"].record, max_groups=8) if \"gradnorm\" in results else "
               "\"GradNorm did not run\"", "naming_table(records)",
               "cluster_names_table(results[\"gradnorm\"].record, max_clusters=20) if \"gradnorm\" in results else "
               "\"GradNorm did not run\""}
    assert [u for u in unchecked if u not in allowed] == [], py.name


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_thin(py):
    """No function definitions, private helpers or hand-drawn figures in a notebook."""
    text = py.read_text()
    assert not re.search(r"^\s*(def|class) ", text, re.M), py.name
    assert not re.search(r"import _|_plt\(\)|plt\.subplots", text), py.name


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_files_hold_every_key(py):
    """Each check_reference(...) key of a notebook exists in its committed reference file."""
    text = py.read_text()
    # the first argument may hold calls with commas inside parentheses: x.set_index(["a", "b"])
    keys = re.findall(r'check_(?:reference|seed_means)\((?:[^,()]|\([^()]*\))+, REFERENCE, "([^"]+)"', text)
    assert len(keys) == text.count("check_reference(") + text.count("check_seed_means("), \
        "a check_reference or check_seed_means call whose key this test cannot read"
    if not keys:
        return
    ref = ROOT / "book" / "results" / "reference" / f"{py.stem}.json"
    assert ref.is_file(), f"{ref} missing: run `make notebooks`"
    stored = json.loads(ref.read_text())
    assert set(keys) <= set(stored), set(keys) - set(stored)
    for k in keys:
        assert np.asarray(stored[k]["data"], dtype=object).size > 0
