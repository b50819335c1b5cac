"""`laic run`: table, record, determinism, and one-line errors."""
import json
from pathlib import Path
import subprocess
import sys

import pytest

from laicpkg.cli import main
from laicpkg.features.datasets import save_dataset_cache

FAST = ["--erm-epochs", "3", "--final-nredo", "2"]  # device: the default, auto


def _run(tmp_path, name, *extra):
    out = tmp_path / f"{name}.json"
    rc = main(["run", "--out", str(out), *extra])
    assert rc == 0
    return json.loads(out.read_text())


def test_run_prints_table_and_writes_record(tmp_path, capsys):
    rec = _run(tmp_path, "a", "--dataset", "synthetic-dogs", "--method", "gradnorm", *FAST)
    text = capsys.readouterr().out
    assert "ACC" in text and "precision" in text and "record:" in text
    assert set(rec["metrics"]) == {"ACC", "NMI", "ARI"}
    assert rec["config"]["erm_epochs"] == 3 and rec["sources"]["erm_epochs"] == "user"
    assert rec["sources"]["tau"] == "paper" and rec["config"]["tau"] == 12.5
    assert 0 < rec["filter"]["n_selected"] <= 5 * rec["filter"]["n_groups"]
    assert 0 <= rec["filter"]["precision"] <= 100
    assert rec["selected_nouns"] and all(isinstance(n, str) for v in rec["selected_nouns"].values() for n in v)
    assert {"cluster", "filter/classifier", "filter/score", "final_kmeans"} <= set(rec["timings_s"])
    assert rec["versions"]["laicpkg"]


def _strip(rec):
    return {k: v for k, v in rec.items() if k != "timings_s"}


@pytest.mark.parametrize("method", ["kmeans", "gradnorm", "gradnorm-centroid", "tac-filter", "sic-filter"])
def test_same_seed_same_record(tmp_path, method):
    a = _run(tmp_path, "a", "--dataset", "synthetic-cifar20", "--method", method, "--seed", "3", *FAST)
    b = _run(tmp_path, "b", "--dataset", "synthetic-cifar20", "--method", method, "--seed", "3", *FAST)
    assert _strip(a) == _strip(b)


def test_different_seed_changes_the_fingerprint(tmp_path):
    a = _run(tmp_path, "a", "--dataset", "synthetic-dogs", "--method", "kmeans", "--seed", "1")
    b = _run(tmp_path, "b", "--dataset", "synthetic-dogs", "--method", "kmeans", "--seed", "2")
    assert a["fingerprint"] != b["fingerprint"]


def test_run_from_feature_cache(tmp_path, small_data):
    save_dataset_cache(small_data, tmp_path / "feats")
    rec = _run(tmp_path, "c", "--dataset", small_data.name, "--method", "tac-filter",
               "--features", str(tmp_path / "feats"), *FAST)
    assert rec["data"]["n_train"] == 2000 and "precision" in rec["filter"]
    assert rec["data_source"]["features"] == str(tmp_path / "feats")


@pytest.mark.parametrize("args,msg", [
    (["--dataset", "nope", "--method", "gradnorm"], "unknown dataset"),
    (["--dataset", "synthetic-dogs", "--method", "nope"], "unknown method"),
    (["--dataset", "synthetic-dogs", "--method", "gradnorm", "--beta", "0"], "beta must be"),
    (["--dataset", "synthetic-dogs", "--method", "gradnorm", "--n-pseudo-classes", "100000"], "larger than"),
    (["--dataset", "synthetic-dogs", "--method", "gradnorm", "--kappa", "-1"], "kappa"),
    (["--dataset", "cifar10", "--method", "gradnorm"], "laic extract"),
    (["--dataset", "cifar10", "--method", "gradnorm", "--features", "/nonexistent"], "no feature cache"),
    (["--dataset", "synthetic-dogs", "--method", "gradnorm", "--beta", "x"], "invalid int value"),
])
def test_bad_input_one_line_nonzero_exit(tmp_path, capsys, args, msg):
    with pytest.raises(SystemExit) if "x" in args else _nullctx():
        rc = main(["run", "--out", str(tmp_path / "r.json"), *args, *FAST])
        assert rc == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and msg in err and "Traceback" not in err
    assert not (tmp_path / "r.json").exists()


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_console_script_has_no_traceback(tmp_path):
    p = subprocess.run([sys.executable, "-m", "laicpkg.cli", "run", "--dataset", "synthetic-dogs", "--method",
                        "gradnorm", "--n-pseudo-classes", "0"], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.strip().startswith("laic: error:") and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "synthetic-dogs" in out and "gradnorm-centroid" in out and "--tau" in out


def test_idcl_on_digits_through_the_cli(tmp_path, capsys):
    rec = _run(tmp_path, "i", "--dataset", "digits", "--method", "idcl", "--idcl-pretrain-epochs", "1",
               "--idcl-epochs", "2")
    assert rec["data"] == {"n_samples": 1797, "image_shape": [1, 8, 8], "n_classes": 10}
    assert rec["config"]["idcl_alpha"] == 0.1 and rec["sources"]["idcl_epochs"] == "user"
    assert len(rec["history"]["ACC"]) == rec["n_epochs"] <= 2 and len(rec["pretrain_loss"]) == 1


@pytest.mark.parametrize("args,msg", [
    (["--dataset", "digits", "--method", "gradnorm"], "only --method idcl"),
    (["--dataset", "mnist", "--method", "idcl"], "--data-root"),
    (["--dataset", "mnist", "--method", "idcl", "--data-root", "/nonexistent"], "not found"),
    (["--dataset", "digits", "--method", "idcl", "--idcl-pace", "fast"], "pace"),
    (["--dataset", "synthetic-dogs", "--method", "sic", "--sic-mapping", "nearest"], "mapping"),
    (["--dataset", "synthetic-dogs", "--method", "kmeans", "--final-assign", "dbscan"], "final_assign"),
])
def test_bad_input_of_new_methods(tmp_path, capsys, args, msg):
    assert main(["run", "--out", str(tmp_path / "r.json"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and msg in err
    assert not (tmp_path / "r.json").exists()


def test_compare_writes_one_record_per_run_and_reuses_them(tmp_path, capsys):
    args = ["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans,zeroshot", "--seeds", "2",
            "--records-dir", str(tmp_path)]
    assert main(args) == 0
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == [f"synthetic-dogs__{m}__seed{s}.json" for m in ("kmeans", "zeroshot") for s in (0, 1)]
    out = capsys.readouterr().out
    assert "kmeans" in out and "zeroshot" in out
    stamp = (tmp_path / files[0]).stat().st_mtime_ns
    assert main(args) == 0
    assert (tmp_path / files[0]).stat().st_mtime_ns == stamp


def test_compare_draws_data_seed_equal_to_the_run_seed_unless_fixed(tmp_path, capsys):
    """--data-seeds paired (the default): seed s runs on data seed s, a different draw of the generated data;
    --data-seeds 0 keeps one draw; anything else is refused before a run starts."""
    base = ["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans", "--seeds", "2"]
    assert main(base + ["--records-dir", str(tmp_path / "paired")]) == 0
    paired = [json.loads((tmp_path / "paired" / f"synthetic-dogs__kmeans__seed{s}.json").read_text()) for s in (0, 1)]
    assert [r["data_seed"] for r in paired] == [0, 1] and paired[0]["data_sha256"] != paired[1]["data_sha256"]
    assert main(base + ["--records-dir", str(tmp_path / "fixed"), "--data-seeds", "0"]) == 0
    fixed = [json.loads((tmp_path / "fixed" / f"synthetic-dogs__kmeans__seed{s}.json").read_text()) for s in (0, 1)]
    assert [r["data_seed"] for r in fixed] == [0, 0] and fixed[1]["data_sha256"] == paired[0]["data_sha256"]
    capsys.readouterr()
    for bad in ("-1", "pair", "1.5"):
        assert main(base + ["--records-dir", str(tmp_path / "bad"), "--data-seeds", bad]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "data seeds must be 'paired'" in err
    assert not (tmp_path / "bad").exists()


def test_comparison_and_idcl_tables():
    from laicpkg.book.records import comparison_table
    from laicpkg.book.idcl import idcl_table

    recs = [{"dataset": "d", "method": "m", "seed": s, "metrics": {"ACC": a, "NMI": 50.0, "ARI": 40.0},
             "timings_s": {"total": 1.0}} for s, a in enumerate([60.0, 70.0])]
    t = comparison_table(recs)
    assert t.loc[("d", "m"), "ACC"] == 65.0 and t.loc[("d", "m"), "ACC std"] == pytest.approx(50 ** 0.5) and t.loc[("d", "m"), "seeds"] == 2
    base = {"idcl_pace": "exponential", "idcl_density_core": True, "idcl_transformer": True, "idcl_lr": 1e-3,
            "idcl_norm_first": True, "idcl_augment": True}
    recs = [{"config": dict(base, idcl_pace=p), "seed": s, "metrics": {"ACC": 90.0 + s, "NMI": 80.0},
             "timings_s": {"total": 60.0}, "n_epochs": 50} for s in (0, 1) for p in ("exponential", "none")]
    t = idcl_table(recs)
    assert list(t.index) == ["IDCL", "no curriculum (Model-4)"]
    assert t.loc["IDCL", "ACC"] == 90.5 and t.loc["IDCL", "paper ACC"] == 95.3
    assert t.loc["no curriculum (Model-4)", "paper NMI"] == 89.4
    from laicpkg.book.idcl import idcl_variant
    old = {"idcl_pace": "exponential", "idcl_density_core": True, "idcl_transformer": True, "idcl_lr": 0.01}
    # records made before norm_first and the augmentation existed
    assert idcl_variant({"config": old}) == "IDCL + lr 0.01 + post-norm blocks + no augmentation"
    plain = dict(base, idcl_pace="none", idcl_density_core=False, idcl_transformer=False)
    assert idcl_variant({"config": plain}) == "none of the three (Model-1)"
    assert idcl_variant({"config": dict(plain, idcl_augment=False)}) == "none of the three (Model-1) + no augmentation"
    dec = dict(plain, idcl_hidden="500,500,2000", idcl_lr=0.01, idcl_augment=False, idcl_reconstruction=False)
    assert idcl_variant({"config": dec}) == "DEC (baseline)"
    assert idcl_variant({"config": dict(base, idcl_augment=False)}) == "IDCL + no augmentation"
    from laicpkg.book.idcl import idcl_table4

    t4 = idcl_table4(t)
    assert t4.loc["IDCL (all)", "ACC"] == "90.5 ± 0.7" and t4.loc["IDCL (all)", "seeds"] == 2
    assert t4.loc["Model-1: no curriculum, no density core, no Transformer", "ACC"] == "—"   # never run: a dash
    assert t4.loc["Model-1: no curriculum, no density core, no Transformer", "paper ACC"] == 77.5
    assert not t4.isna().any().any()


def test_idcl_variants_are_declared_once_and_name_the_papers_rows():
    """Every variant of IDCL_VARIANTS has its own name in the book; the ones that reproduce a row of IDCL's Tables
    2 and 4 are exactly the rows whose numbers the dataset catalogue holds; each existing
    record is filed under the variant its file name says."""
    import json
    import re

    from laicpkg.book.paper import IDCL_DIGITS
    from laicpkg.book.idcl import TABLE4_ROWS
    from laicpkg.methods.idcl import IDCL_VARIANTS, variant_config, variant_title

    titles = [variant_title(variant_config(v, full=True)) for v in IDCL_VARIANTS]
    assert len(set(titles)) == len(titles)
    assert sorted(TABLE4_ROWS) == sorted(IDCL_DIGITS)
    folder = Path(__file__).resolve().parents[1] / "book" / "results" / "idcl" / "records"
    files = sorted(folder.glob("digits__*__seed*.json"))
    assert len(files) >= 80
    for f in files:
        name = re.match(r"digits__(.+)__seed\d+\.json", f.name).group(1)
        assert variant_title(json.loads(f.read_text())["config"]) == variant_title(variant_config(name, full=True)), f


def test_idcl_grid_skips_a_record_of_its_variant_and_reruns_any_other(tmp_path, monkeypatch):
    """A record file holding the variant its name says is kept; one holding another variant is run again (with the
    variant's parameters), as is a missing one."""
    import json
    import shutil
    from types import SimpleNamespace

    from laicpkg.run import experiments

    src = Path(__file__).resolve().parents[1] / "book" / "results" / "idcl" / "records" / "digits__idcl__seed0.json"
    shutil.copy(src, tmp_path / "digits__idcl__seed0.json")
    shutil.copy(src, tmp_path / "digits__dec__seed0.json")  # the wrong variant under dec's name
    ran = []
    record = json.loads(src.read_text())
    monkeypatch.setattr(experiments, "run", lambda cfg: ran.append(cfg) or SimpleNamespace(record=record))
    monkeypatch.setattr(experiments, "write_record", lambda rec, path: None)
    report = []
    experiments.idcl_grid("digits", ["idcl", "dec", "no-transformer"], [0], records_dir=tmp_path, progress=False,
                          report=report)
    assert sorted(report[0].skipped) == ["digits/idcl/seed0"]
    assert sorted(report[0].done) == ["digits/dec/seed0", "digits/no-transformer/seed0"]
    dec = next(c for c in ran if c.params["idcl_hidden"] == "500,500,2000")
    assert not dec.params["idcl_reconstruction"] and dec.params["idcl_lr"] == 0.01 and not dec.params["idcl_augment"]
    assert dec.params["idcl_pretrain_cache"] == experiments.IDCL_PRETRAIN_CACHE


@pytest.mark.parametrize("args,msg", [
    (["idcl-grid", "--variants", "idcl,no-transformr"], "unknown IDCL variant 'no-transformr' (did you mean"),
    (["idcl-grid", "--dataset", "twin-cifar10"], "twin-cifar10 holds CLIP features"),
    (["idcl-grid", "--seeds", "0"], "--seeds must be at least 1"),
    (["idcl-grid", "--threads", "0"], "--threads must be at least 1"),
])
def test_idcl_grid_bad_input(capsys, args, msg):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and msg in err
