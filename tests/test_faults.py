"""Every fault a user can cause ends with one line on stderr, exit status 2, nothing half-written, nothing lost."""
import errno
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from laicpkg.features.cache import image_cache_path, load_cache, save_cache, text_cache_path
from laicpkg.cli import main
from laicpkg.features.datasets import load_dataset, save_dataset_cache
from laicpkg.utils.errors import CacheError, ParameterError
from laicpkg.features.synthetic import make_synthetic

TINY = ["--model", "laic-tiny", "--pretrained", "none", "--device", "cpu", "--workers", "0", "--batch-size", "4"]


def one_line_error(capsys, argv, *needles):
    """Run the CLI; assert exit 2, exactly one stderr line, no traceback, and that it names ``needles``."""
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("laic: error: ")
    for n in needles:
        assert n in err, (n, err)
    return err


def _folder(root: Path, n=4, size=32):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for cls in ("a", "b"):
            d = root / split / cls
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(d / f"{i}.png")
    return root


def _extract(tmp_path, root, *extra, splits="test"):
    return main(["extract", "--dataset", "imagefolder", "--root", str(root), "--out", str(tmp_path / "f"),
                 "--no-text", "--splits", splits, *TINY, *extra])


# -- run / compare / batch arguments ---------------------------------------------------------------------------
@pytest.mark.parametrize("argv,needles", [
    (["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--seed", "-1"], ["--seed", "2**31"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--seed", str(2 ** 32)], ["--seed"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--data-seed", "-3"], ["--data-seed"]),
    (["compare", "--seeds", "0"], ["--seeds", "at least 1"]),
    (["compare", "--seeds", "-2"], ["--seeds"]),
    (["batch", "--seed", "-1"], ["--seed"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "gradnorm", "--tau", "1e308"], ["tau", "float32"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "gradnorm", "--tau", "1e7"], ["tau", "too large"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "gradnorm", "--tau", "nan"], ["tau"]),
    (["run", "--dataset", "digits", "--method", "idcl", "--idcl-tol", "nan"], ["idcl_tol"]),
    (["run", "--dataset", "digits", "--method", "idcl", "--idcl-tol", "-0.1"], ["idcl_tol", ">= 0"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "sic", "--sic-gamma-u", "1.5"], ["sic_gamma_u"]),
    (["run", "--dataset", "synthetic-dogs", "--method", "tac-star", "--tacstar-epochs", "0"], ["tacstar_epochs"]),
])
def test_bad_arguments(capsys, argv, needles):
    one_line_error(capsys, argv, *needles)


def test_every_float_parameter_rejects_nan_and_inf():
    from laicpkg.run.config import PARAMS, resolve_config

    floats = [p.name for p in PARAMS.values() if p.type is float]
    assert len(floats) > 15
    for name in floats:
        for bad in (float("nan"), float("inf"), -1.0):
            with pytest.raises(ParameterError, match=name):
                resolve_config("synthetic-dogs", "gradnorm", overrides={name: bad})


def test_run_out_is_a_folder_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    import laicpkg.run.runner as runner

    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("the run started"))
    one_line_error(capsys, ["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--out", str(tmp_path)],
                   "is a folder")
    (tmp_path / "file").write_text("x")
    one_line_error(capsys, ["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--out",
                            str(tmp_path / "file" / "r.json")], "is a file")


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_run_record_write_failure_prints_metrics_first(tmp_path, capsys, monkeypatch, err):
    import laicpkg.run.records as records

    def fail(*a, **k):
        raise OSError(err, __import__("os").strerror(err))

    monkeypatch.setattr(records.json, "dump", fail)
    out = tmp_path / "r.json"
    rc = main(["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--final-nredo", "1", "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 2 and "ACC" in cap.out  # the results were shown before the write failed
    assert len(cap.err.strip().splitlines()) == 1 and "cannot write the run record" in cap.err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_compare_records_dir_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "records"
    f.write_text("x")
    one_line_error(capsys, ["compare", "--seeds", "1", "--records-dir", str(f)], "is a file")


# -- training that diverges -----------------------------------------------------------------------------------
def test_tac_star_diverging_lr_names_the_parameter(capsys, tmp_path):
    one_line_error(capsys, ["run", "--dataset", "synthetic-dogs", "--method", "tac-star", "--tacstar-lr", "1e30",
                            "--tacstar-epochs", "2", "--out", str(tmp_path / "r.json")], "--tacstar-lr", "1e+30")
    assert not (tmp_path / "r.json").exists()


def test_check_finite_loss():
    from laicpkg.utils.validation import check_finite_loss

    assert check_finite_loss(1.5, "X", 0, "--lr", 0.1) == 1.5
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ParameterError, match="--lr=0.1"):
            check_finite_loss(bad, "X", 3, "--lr", 0.1)


# -- feature caches -------------------------------------------------------------------------------------------
def _rewrite_meta(path: Path, meta) -> None:
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)


@pytest.mark.parametrize("meta,needle", [
    ([1, 2, 3], "JSON list"),
    ("just text", "JSON str"),
    ("drop:count", "lacks 'count'"),
    ("drop:sha256", "lacks 'sha256'"),
    ("bad:dim", "'dim' is a str"),
])
def test_malformed_cache_metadata(tmp_path, meta, needle):
    p = save_cache(tmp_path / "c.npz", np.eye(3, dtype=np.float32), identity={"x": 1})
    good = json.loads(str(np.load(p)["meta"]))
    if isinstance(meta, str) and meta.startswith("drop:"):
        good.pop(meta[5:])
        meta = good
    elif meta == "bad:dim":
        good["dim"] = "3"
        meta = good
    _rewrite_meta(p, meta)
    with pytest.raises(CacheError, match=needle):
        load_cache(p)


def _cifar_like_cache(tmp_path, n_train=300, n_test=100, n_nouns=400):
    data = make_synthetic("synthetic-cifar10", seed=0, n_train=n_train, n_test=n_test, n_nouns=n_nouns, dim=16)
    data.name = "cifar10"
    save_dataset_cache(data, tmp_path / "f")
    return tmp_path / "f"


@pytest.fixture
def cifar_like_cache(tmp_path):
    """A synthetic dataset saved under the name cifar10 (K = 10 in the registry)."""
    return _cifar_like_cache(tmp_path)


def test_k_comes_from_the_registry(cifar_like_cache):
    p = image_cache_path(cifar_like_cache, "ViT-B-32", "openai", "cifar10", "test")
    z = load_cache(p)
    # a test split that holds only classes 0..3: K stays 10
    keep = z["labels"] < 4
    save_cache(p, z["features"][keep], labels=z["labels"][keep], identity=z["meta"]["identity"],
               extra={"class_names": z["meta"]["class_names"]})
    assert load_dataset("cifar10", features=cifar_like_cache).n_classes == 10


@pytest.mark.parametrize("case,needle", [("names", "names 2 classes"), ("labels", "labels in")])
def test_cache_that_disagrees_with_the_registry_is_refused(cifar_like_cache, case, needle):
    p = image_cache_path(cifar_like_cache, "ViT-B-32", "openai", "cifar10", "test")
    z = load_cache(p)
    names, labels = z["meta"]["class_names"], z["labels"]
    if case == "names":
        names = ["cat", "dog"]
    else:
        labels = labels.copy()
        labels[0] = 12
    save_cache(p, z["features"], labels=labels, identity=z["meta"]["identity"], extra={"class_names": names})
    with pytest.raises(CacheError, match=needle):
        load_dataset("cifar10", features=cifar_like_cache)


def test_fingerprint_includes_the_feature_content(cifar_like_cache, tmp_path):
    from laicpkg.run.config import resolve_config
    from laicpkg.run.runner import run

    cfg = resolve_config("cifar10", "kmeans", overrides={"final_nredo": 1}, features=str(cifar_like_cache))
    a = run(cfg).record
    p = image_cache_path(cifar_like_cache, "ViT-B-32", "openai", "cifar10", "test")
    z = load_cache(p)
    E = z["features"].copy()
    E[0] = -E[0]
    save_cache(p, E, labels=z["labels"], identity=z["meta"]["identity"], extra={"class_names": z["meta"]["class_names"]})
    b = run(cfg).record
    assert a["data_sha256"] != b["data_sha256"] and a["fingerprint"] != b["fingerprint"]
    assert run(cfg).record["fingerprint"] == b["fingerprint"]  # same content, same fingerprint
    assert b["environment"]["lock"] == "requirements/lock.txt" and "matches_lock" in b["environment"]


# -- extraction -----------------------------------------------------------------------------------------------
def test_resume_with_another_root_reencodes(tmp_path):
    from laicpkg.features.extract import extract_image_features

    a, b = _folder(tmp_path / "a"), _folder(tmp_path / "b")
    from PIL import Image

    for p in sorted((b / "test").rglob("*.png")):  # same file names, other pixels
        Image.new("RGB", (32, 32), (255, 255, 255)).save(p)
    kw = dict(model="laic-tiny", pretrained="none", device="cpu", num_workers=0, batch_size=2, progress=False,
              splits=("test",), shard_size=4)
    with pytest.raises(KeyboardInterrupt):
        extract_image_features("imagefolder", a, tmp_path / "f", _stop_after_shards=1, **kw)
    extract_image_features("imagefolder", b, tmp_path / "f", **kw)   # resumes in the same folder
    mixed = load_cache(image_cache_path(tmp_path / "f", "laic-tiny", "none", "imagefolder", "test"))
    extract_image_features("imagefolder", b, tmp_path / "g", **kw)   # clean run on b
    clean = load_cache(image_cache_path(tmp_path / "g", "laic-tiny", "none", "imagefolder", "test"))
    np.testing.assert_array_equal(mixed["features"], clean["features"])
    assert mixed["meta"]["identity"]["root"] == str(b.resolve())


def test_random_weights_are_seeded(tmp_path):
    from laicpkg.features.extract import load_clip

    torch.manual_seed(1)
    a = load_clip("laic-tiny", "none")[0].state_dict()
    torch.manual_seed(2)
    b = load_clip("laic-tiny", "none")[0].state_dict()
    c = load_clip("laic-tiny", "none", init_seed=1)[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_checkpoint_content_is_part_of_the_identity(tmp_path):
    from laicpkg.features.extract import load_clip, weights_identity

    net = load_clip("laic-tiny", "none")[0]
    p = tmp_path / "w.pt"
    torch.save(net.state_dict(), p)
    first = weights_identity(str(p))
    torch.save({k: v + 1 for k, v in net.state_dict().items()}, p)
    assert first.startswith("file-sha256-") and weights_identity(str(p)) != first


@pytest.mark.parametrize("flag,value,needle", [
    ("--nouns", "missing.txt", "no noun list file"),
    ("--prompts", "haiku", "unknown prompt set"),
    ("--nouns", "binary", "binary file"),
    ("--nouns", "latin1", "not UTF-8"),
    ("--nouns", "empty", "is empty"),
])
def test_text_inputs_checked_before_any_image(tmp_path, capsys, monkeypatch, flag, value, needle):
    import laicpkg.features.extract as ex

    monkeypatch.setattr(ex, "extract_image_features", lambda *a, **k: pytest.fail("images were encoded"))
    files = {"binary": b"\x00\x01\x02cat\n", "latin1": "caf\xe9\n".encode("latin-1"), "empty": b"\n\n"}
    if value in files:
        (tmp_path / f"{value}.txt").write_bytes(files[value])
        value = str(tmp_path / f"{value}.txt")
    one_line_error(capsys, ["extract", "--dataset", "imagefolder", "--root", str(tmp_path), "--out",
                            str(tmp_path / "f"), flag, value, *TINY], needle)


def test_noun_file_bom_is_stripped(tmp_path):
    from laicpkg.features.extract import read_noun_file

    p = tmp_path / "n.txt"
    p.write_bytes("\ufeffapple\npear\n".encode("utf-8"))
    assert read_noun_file(p) == ["apple", "pear"]
    p = tmp_path / "n.csv"
    p.write_bytes("\ufeffword,definition\napple,a fruit\n".encode("utf-8"))
    assert read_noun_file(p) == ["apple"]


def test_corrupt_image_is_named_or_skipped(tmp_path, capsys):
    root = _folder(tmp_path / "img")
    bad = root / "test" / "b" / "2.png"
    bad.write_bytes(b"not a png at all")
    one_line_error(capsys, ["extract", "--dataset", "imagefolder", "--root", str(root), "--out",
                            str(tmp_path / "f"), "--no-text", "--splits", "test", *TINY], "2.png", "--skip-bad-images")
    assert not image_cache_path(tmp_path / "f", "laic-tiny", "none", "imagefolder", "test").exists()
    assert _extract(tmp_path, root, "--skip-bad-images") == 0
    z = load_cache(image_cache_path(tmp_path / "f", "laic-tiny", "none", "imagefolder", "test"))
    assert z["features"].shape[0] == 7 and z["labels"].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert z["meta"]["skipped"] == [str(bad)]


def test_orphan_tmp_files_are_removed(tmp_path):
    root = _folder(tmp_path / "img")
    final = image_cache_path(tmp_path / "f", "laic-tiny", "none", "imagefolder", "test")
    final.parent.mkdir(parents=True)
    orphan = final.parent / (final.name + ".abc123.tmp")
    orphan.write_bytes(b"half")
    shard_dir = final.with_suffix(".shards")
    shard_dir.mkdir()
    (shard_dir / "shard-00000.npz.xyz.tmp").write_bytes(b"half")
    assert _extract(tmp_path, root) == 0
    assert not orphan.exists() and not shard_dir.exists()


def test_corrupt_checkpoint_is_one_line(tmp_path, capsys):
    ckpt = tmp_path / "ViT.pt"
    ckpt.write_bytes(b"\x80\x02garbage" * 10)
    err = one_line_error(capsys, ["extract", "--dataset", "imagefolder", "--root", str(_folder(tmp_path / "i")),
                                  "--out", str(tmp_path / "f"), "--no-text", "--model", "laic-tiny", "--pretrained",
                                  str(ckpt), "--device", "cpu"], "ViT.pt", "not a readable")
    assert "weights_only" not in err


# -- import-tac -----------------------------------------------------------------------------------------------
def _tac_folder(tmp_path, *, labels=None, noun_dim=8, scale=1.0, csv=None):
    rng = np.random.default_rng(0)
    tac = tmp_path / "tac"
    tac.mkdir(exist_ok=True)
    for split, n in (("train", 30), ("test", 12)):
        np.save(tac / f"CIFAR-10_image_embedding_{split}.npy", (rng.standard_normal((n, 8)) * scale).astype(np.float32))
        text = labels if labels is not None else "\n".join(str(v) for v in rng.integers(0, 10, n))
        (tac / f"CIFAR-10_labels_{split}.txt").write_text(text if split == "train" else
                                                          "\n".join(str(v) for v in rng.integers(0, 10, n)))
    np.save(tac / "nouns_embedding_ensemble.npy", rng.standard_normal((3, noun_dim)).astype(np.float32))
    (tac / "nouns.csv").write_bytes(csv if csv is not None else b"word,definition\nalpha,a\nbeta,b\ngamma,c\n")
    return tac


@pytest.mark.parametrize("kind,needle", [
    ("float-labels", "must be integers"),
    ("negative-labels", "0..9"),
    ("too-large-labels", "0..9"),
    ("latin1-csv", "not UTF-8"),
    ("noun-dim", "dimension mismatch"),
    ("dataset", "unknown dataset"),
    ("overflow", None),
])
def test_import_tac_faults(tmp_path, capsys, kind, needle):
    kw = {}
    dataset = "cifar10"
    if kind == "float-labels":
        kw["labels"] = "\n".join(["1.5"] * 30)
    elif kind == "negative-labels":
        kw["labels"] = "\n".join(["-1"] * 30)
    elif kind == "too-large-labels":
        kw["labels"] = "\n".join(["10"] * 30)
    elif kind == "latin1-csv":
        kw["csv"] = "word,definition\ncaf\xe9,a\nb,b\nc,c\n".encode("latin-1")
    elif kind == "noun-dim":
        kw["noun_dim"] = 6
    elif kind == "dataset":
        dataset = "cifar11"
    elif kind == "overflow":
        kw["scale"] = 3e37  # squares overflow float32; the norm is still computed (in float64)
    tac = _tac_folder(tmp_path, **kw)
    argv = ["import-tac", str(tac), "--dataset", dataset, "--out", str(tmp_path / "out"), "--noun-list",
            str(tac / "nouns.csv")]
    if needle is None:
        assert main(argv) == 0
        data = load_dataset("cifar10", features=tmp_path / "out", nouns="tac-wordnet")
        np.testing.assert_allclose(np.linalg.norm(data.E_train, axis=1), 1, atol=1e-3)
        return
    one_line_error(capsys, argv, needle)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*"))  # nothing written


# -- IDCL pre-training cache, WordNet ------------------------------------------------------------------------
def _idcl(cache):
    from laicpkg.methods.idcl import IDCL

    return IDCL(3, pretrain_epochs=2, epochs=1, transformer=False, pretrain_cache=cache, progress=False,
                random_state=0)


def test_truncated_idcl_pretrain_cache_is_rebuilt(tmp_path):
    X = np.random.default_rng(0).standard_normal((60, 8)).astype(np.float32)
    first = _idcl(tmp_path).fit(X)
    (f,) = list(tmp_path.glob("idcl-ae-*.pt"))
    f.write_bytes(f.read_bytes()[:100])  # truncated
    with pytest.warns(RuntimeWarning, match="unreadable"):
        again = _idcl(tmp_path).fit(X)
    assert not again.pretrain_cached_ and again.pretrain_loss_ == first.pretrain_loss_
    assert _idcl(tmp_path).fit(X).pretrain_cached_  # rewritten, readable again
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="is a file"):
        _idcl(tmp_path / "file").fit(X)


def test_garbled_wordnet_is_one_line(tmp_path, capsys):
    wn = tmp_path / "wn"
    wn.mkdir()
    (wn / "data.noun").write_bytes(np.random.default_rng(0).integers(0, 255, 3000, dtype=np.uint8).tobytes())
    (wn / "index.noun").write_text("garbage 1 2\n")
    one_line_error(capsys, ["nouns", "--wordnet-dir", str(wn), "--out", str(tmp_path / "n.tsv.gz")], str(wn))
    assert not (tmp_path / "n.tsv.gz").exists()
    one_line_error(capsys, ["nouns", "--wordnet-dir", str(tmp_path / "nowhere")], "no data.noun")


# -- the record describes the run (fidelity issue, items 1-2) ---------------------------------------------------
@pytest.mark.parametrize("shift", ["imagenet-v2", "imagenet-sketch", "imagenet-r", "imagenet-a", "imagenet-c"])
def test_shift_datasets_train_with_imagenet_settings(shift):
    from laicpkg.run.config import resolve_config, stage1_dataset

    assert stage1_dataset(shift) == "imagenet" and stage1_dataset("cifar10") == "cifar10"
    c = resolve_config(shift, "gradnorm")
    assert (c.params["erm_epochs"], c.params["erm_batch_size"]) == (100, 8192)
    assert (c.params["tacstar_epochs"], c.params["tacstar_batch_size"], c.params["tacstar_temperature"]) == \
        (100, 8192, 5.0)
    assert "imagenet" in c.sources["erm_epochs"]
    assert resolve_config(shift, "gradnorm", preset="official-code").params["beta"] == 3
    assert resolve_config("cifar10", "gradnorm").params["erm_epochs"] == 30


def test_sic_sources_say_where_table2_has_no_column():
    from laicpkg.run.config import resolve_config

    for ds in ("imagenet10", "dtd", "ucf101", "imagenet"):
        src = resolve_config(ds, "sic").sources
        assert all(src[k].startswith("laicpkg choice") for k in ("sic_gamma_u", "sic_gamma_r", "sic_lr")), ds
    src = resolve_config("cifar20", "sic").sources
    assert all(src[k] == "SIC Table 2" for k in ("sic_gamma_u", "sic_gamma_r", "sic_lambda", "sic_lr"))


def test_idcl_on_laic_features_records_the_linear_autoencoder(tmp_path):
    rec = json.loads(Path(_run_idcl(tmp_path)).read_text())
    assert rec["config"]["idcl_transformer"] is False and "forced" in rec["sources"]["idcl_transformer"]


def _run_idcl(tmp_path):
    out = tmp_path / "idcl.json"
    assert main(["run", "--dataset", "synthetic-dogs", "--method", "idcl", "--idcl-pretrain-epochs", "1",
                 "--idcl-epochs", "1", "--out", str(out)]) == 0
    return out
