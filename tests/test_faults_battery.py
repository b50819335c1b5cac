"""The second battery of bad inputs and faults: each ends with one ``laic: error:`` line and exit status 2,
with nothing half-written and no result lost (or, where the issue says so, a warning and a finished run)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from laicpkg.cli import main
from laicpkg.features.cache import image_cache_path, load_cache, save_cache, text_cache_path

from test_faults import _cifar_like_cache, one_line_error

KM = ["run", "--dataset", "synthetic-dogs", "--method", "kmeans"]


def _messages(err: str) -> list:
    """stderr's lines without progress-bar frames."""
    return [line for line in err.replace("\r", "\n").splitlines() if line.strip() and "%|" not in line]


@pytest.fixture
def cifar_like(tmp_path):
    """A small synthetic dataset saved as a feature cache under the name cifar10 (K = 10 in the registry)."""
    return _cifar_like_cache(tmp_path, n_train=400, n_test=200, n_nouns=600)


def _permute_cache(path: Path) -> None:
    z = load_cache(path)
    rng = np.random.default_rng(1)
    labels = z["labels"][rng.permutation(z["labels"].size)]
    save_cache(path, z["features"], labels=labels, names=z["names"], identity=z["meta"]["identity"],
               extra={k: v for k, v in z["meta"].items() if k == "class_names"})


# -- a fingerprint covers everything that determines a result ----------------------------------------------------
@pytest.mark.parametrize("cache,method,field", [("image", "kmeans", "ACC"), ("text", "gradnorm", "precision")])
def test_compare_recomputes_when_labels_or_positives_change(tmp_path, capsys, cifar_like, cache, method, field):
    records = tmp_path / "records"
    argv = ["compare", "--datasets", "cifar10", "--features", str(cifar_like), "--methods", method, "--seeds", "1",
            "--records-dir", str(records)]
    assert main(argv) == 0
    path = records / f"cifar10__{method}__seed0.json"
    before = json.loads(path.read_text())
    target = (image_cache_path(cifar_like, "ViT-B-32", "openai", "cifar10", "test") if cache == "image"
              else text_cache_path(cifar_like, "ViT-B-32", "openai", "wordnet", "ensemble7"))
    _permute_cache(target)
    capsys.readouterr()
    assert main(argv) == 0
    assert "1 done, 0 skipped" in capsys.readouterr().out  # not kept as a stale record
    after = json.loads(path.read_text())
    assert after["fingerprint"] != before["fingerprint"]
    value = (lambda r: r["metrics"]["ACC"]) if field == "ACC" else (lambda r: r["filter"]["precision"])
    assert value(after) != value(before)


# -- integers and seeds the libraries cannot take -----------------------------------------------------------------
@pytest.mark.parametrize("argv,needles", [
    (KM + ["--seed", str(2 ** 31)], ["--seed", "2**31"]),
    (KM + ["--seed", str(2 ** 32 - 1)], ["--seed"]),
    (KM + ["--data-seed", str(2 ** 31 + 5)], ["--data-seed"]),
    (KM + ["--kmeans-max-points", str(10 ** 12)], ["kmeans_max_points", "2**31"]),
    (KM + ["--kmeans-niter", str(10 ** 12)], ["kmeans_niter", "too large"]),
    (KM + ["--final-nredo", str(2 ** 40)], ["final_nredo"]),
    (["compare", "--seeds", str(2 ** 31 + 2)], ["--seeds"]),
])
def test_integers_beyond_32_bits(capsys, argv, needles):
    one_line_error(capsys, argv, *needles)


def test_an_autoencoder_larger_than_memory_is_refused_before_it_is_built(capsys, tmp_path):
    one_line_error(capsys, ["run", "--dataset", "digits", "--method", "idcl", "--idcl-latent-dim", "10000000",
                            "--out", str(tmp_path / "r.json")], "GiB", "--idcl-latent-dim")


def test_out_of_memory_is_one_line(capsys, monkeypatch):
    import laicpkg.run.runner as runner

    def boom(*a, **k):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:118] . DefaultCPUAllocator: can't allocate memory: you "
                           "tried to allocate 400000000000 bytes.\nmore lines")

    monkeypatch.setattr(runner, "run", boom)
    one_line_error(capsys, KM, "out of memory")


# -- the Dask grid's options ------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra,needles", [
    (["--scheduler", "notaurl"], ["--scheduler", "tcp://HOST:PORT"]),
    (["--scheduler", "tcp://127.0.0.1:abc"], ["--scheduler"]),
    (["--scheduler", "tcp://127.0.0.1:70000"], ["port 1-65535"]),
    (["--cluster-option", "cores=abc", "--cluster", "slurm", "--print-job-script"], ["cores", "positive integer"]),
    (["--jobs", "3"], ["--jobs", "--cluster"]),
    (["--cluster-option", "memory=4GB"], ["--cluster-option", "--cluster"]),
])
def test_bad_grid_options_before_any_run(capsys, tmp_path, monkeypatch, extra, needles):
    import laicpkg.run.experiments as experiments

    monkeypatch.setattr(experiments, "compare_task", lambda **k: pytest.fail("a task ran"))
    one_line_error(capsys, ["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans", "--seeds", "1",
                            "--records-dir", str(tmp_path / "r"), *extra], *needles)


def test_cluster_without_its_submit_command_fails_at_once(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch here
    one_line_error(capsys, ["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans", "--seeds", "1",
                            "--records-dir", str(tmp_path / "r"), "--cluster", "slurm"], "sbatch", "PATH")


@pytest.mark.slow
def test_closed_scheduler_port_is_one_clean_line(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    cp = subprocess.run([sys.executable, "-m", "laicpkg.cli", "compare", "--datasets", "synthetic-dogs", "--methods",
                         "kmeans", "--seeds", "1", "--records-dir", str(tmp_path / "r"), "--scheduler",
                         f"tcp://127.0.0.1:{port}"], capture_output=True, text=True, env=env, timeout=120)
    assert cp.returncode == 2, cp.stderr
    lines = [line for line in cp.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("laic: error: cannot reach the Dask scheduler"), cp.stderr
    assert "Traceback" not in cp.stderr and "%|" not in cp.stderr  # no progress bar glued to it


# -- names that name nothing, datasets a command cannot take -----------------------------------------------------
@pytest.mark.parametrize("argv,needles", [
    (["compare", "--methods", ","], ["--methods", "names nothing"]),
    (["compare", "--datasets", ""], ["--datasets", "names nothing"]),
    (["batch", "--datasets", ","], ["--datasets"]),
    (["final-assign", "--datasets", ""], ["--datasets"]),
    (["final-assign", "--datasets", "digits"], ["digits", "raw images"]),
    (["compare", "--datasets", "digits"], ["digits", "raw images"]),
])
def test_empty_or_wrong_kind_of_names(capsys, tmp_path, argv, needles):
    extra = {"compare": ["--seeds", "1", "--records-dir", str(tmp_path / "r")],
             "batch": ["--out-dir", str(tmp_path / "b")], "final-assign": ["--out", str(tmp_path / "t.csv")]}
    one_line_error(capsys, argv + extra[argv[0]], *needles)
    assert not list(tmp_path.iterdir())


def test_final_assign_out_folder_is_called_a_table(capsys, tmp_path):
    one_line_error(capsys, ["final-assign", "--datasets", "synthetic-dogs", "--seeds", "1", "--out", str(tmp_path)],
                   "final-assignment table", "is a folder")


# -- output paths ------------------------------------------------------------------------------------------------
def test_out_through_a_symlink_loop_is_refused_before_the_run(capsys, tmp_path, monkeypatch):
    import laicpkg.run.runner as runner

    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("the run started"))
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    one_line_error(capsys, KM + ["--out", str(tmp_path / "a" / "r.json")], "symbolic link")
    one_line_error(capsys, KM + ["--out", str(tmp_path / "a")], "symbolic link")


def test_run_json_is_one_json_document(capsys, tmp_path):
    assert main(KM + ["--final-nredo", "1", "--json", "--out", str(tmp_path / "r.json")]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["method"] == "kmeans"
    assert "record:" in cap.err


def test_nouns_nltk_data_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "plain"
    target.write_text("x")
    wn = tmp_path / "wn"
    wn.mkdir()
    (wn / "data.noun").write_text("")
    one_line_error(capsys, ["nouns", "--wordnet-dir", str(wn), "--nltk-data", str(target), "--out",
                            str(tmp_path / "o.tsv.gz"), "--hypernyms-out", str(tmp_path / "h.tsv.gz")], "is a file")


def test_nouns_nltk_data_on_a_read_only_filesystem(capsys, tmp_path, monkeypatch):
    import errno

    import laicpkg.features.nouns as nouns

    def fail(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(nouns.shutil, "copyfile", fail)
    wn = tmp_path / "wn"
    wn.mkdir()
    (wn / "data.noun").write_text("")
    one_line_error(capsys, ["nouns", "--wordnet-dir", str(wn), "--nltk-data", str(tmp_path / "n"), "--out",
                            str(tmp_path / "o.tsv.gz"), "--hypernyms-out", str(tmp_path / "h.tsv.gz")],
                   "--nltk-data", "Read-only")


# -- grid records: a failed write shows the metrics; foreign files are recomputed, never trusted -------------------
def test_compare_record_write_failure_shows_the_metrics(capsys, tmp_path, monkeypatch):
    import errno

    import laicpkg.run.records as records

    def fail(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(records.json, "dump", fail)
    rc = main(["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans", "--seeds", "1", "--records-dir",
               str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "ACC " in err and "NMI " in err and "No space left" in err, err
    assert not list((tmp_path / "r").glob("*.json"))


@pytest.mark.parametrize("content", ["{not json", "[]", '{"fingerprint": "FP"}', '{"something": "else"}', ""])
def test_foreign_record_files_are_recomputed_and_tables_survive(capsys, tmp_path, content):
    from laicpkg.run.config import resolve_config
    from laicpkg.run.experiments import cached_dataset
    from laicpkg.run.records import fingerprint, record_head

    rdir = tmp_path / "r"
    rdir.mkdir()
    path = rdir / "synthetic-dogs__kmeans__seed0.json"
    if "FP" in content:  # a file holding only the fingerprint the run would have
        data = cached_dataset("synthetic-dogs", None, ())
        content = content.replace("FP", fingerprint(record_head(resolve_config("synthetic-dogs", "kmeans", seed=0),
                                                                data)))
    path.write_text(content)
    (rdir / "notes.json").write_text('{"a": 1}')  # a foreign file beside the records
    assert main(["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans", "--seeds", "1",
                 "--records-dir", str(rdir)]) == 0
    out = capsys.readouterr().out
    assert "1 done" in out and "ACC" in out
    assert json.loads(path.read_text())["metrics"]["ACC"] > 0


def test_summary_page_skips_foreign_json_with_a_warning(tmp_path):
    from laicpkg.book.batch import write_summary
    from laicpkg.run.experiments import run_methods

    rdir = tmp_path / "records"
    run_methods("synthetic-dogs", ["kmeans"], records_dir=rdir, overrides={"final_nredo": 1})
    (rdir / "synthetic-dogs" / "broken.json").write_text("{")
    (rdir / "synthetic-dogs" / "list.json").write_text("[]")
    with pytest.warns(UserWarning, match="not run records"):
        page = write_summary(rdir, tmp_path / "summary.md")
    assert "CLIP k-means" in page.read_text()  # the run is listed, under its reader's name


def test_batch_names_the_failing_cell_and_its_error(capsys, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("dataset = 'x'\nrecords_dir = None\nreference_records = None\n"
                                          "features = None\nseed = 0", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise ValueError('the twin is off\\nby a mile')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    rc = main(["batch", "--datasets", "synthetic-dogs", "--notebook", str(path), "--out-dir", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "%|" not in line and line]
    err = [line for line in err if "IPKernelApp" not in line]  # the kernel's own start-up notice
    assert rc == 2 and len(err) == 1 and "Traceback" not in err[0], err
    for needle in ("laic: error: synthetic-dogs:", "ValueError", "the twin is off", "by a mile", "cell"):
        assert needle in err[0], (needle, err)
    assert not (tmp_path / "out" / "summary.md").exists()


# -- calibration files ---------------------------------------------------------------------------------------------
def _no_calibration(monkeypatch):
    from laicpkg.features.twins import calibration

    monkeypatch.setattr(calibration, "calibrate", lambda *a, **k: pytest.fail("calibration started"))


CAL = ["calibrate", "--dataset", "twin-imagenet10", "--seeds", "1", "--steps", "1"]


@pytest.mark.parametrize("content,needle", [("not json at all", "not a calibration file"),
                                            ("[1, 2]", "not a calibration file"),
                                            ('{"twin-x": 3}', "not a calibration file")])
def test_calibrate_out_that_is_not_a_calibration_file(capsys, tmp_path, monkeypatch, content, needle):
    _no_calibration(monkeypatch)
    out = tmp_path / "t.json"
    out.write_text(content)
    one_line_error(capsys, CAL + ["--out", str(out)], needle)
    assert out.read_text() == content


def test_calibrate_out_on_a_read_only_filesystem_fails_before_calibrating(capsys, tmp_path, monkeypatch):
    import errno
    import tempfile

    _no_calibration(monkeypatch)

    def fail(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "TemporaryFile", fail)
    one_line_error(capsys, CAL + ["--out", str(tmp_path / "t.json")], "Read-only", "cannot write the calibration")


def _fake_calibration(name, **kwargs):
    return {"params": {"semantic_weight": 1.0}, "seeds": [0], "steps": 1, "fit_nmi": False, "acc_by": "ambiguity",
            "achieved": {m: {"ACC": 50.0, "NMI": 50.0, "ARI": 30.0} for m in ("kmeans", "zeroshot")},
            "per_seed": {m: {"ACC": [50.0], "NMI": [50.0]} for m in ("kmeans", "zeroshot")},
            "paper": {m: {"ACC": 50.0, "NMI": 50.0, "ARI": 30.0} for m in ("kmeans", "zeroshot")},
            "within_tolerance": {m: {"ACC": True, "NMI": True} for m in ("kmeans", "zeroshot")}}


def test_calibration_write_failure_prints_the_result_and_loses_nothing(capsys, tmp_path, monkeypatch):
    import errno

    from laicpkg.features.twins import calibration, store

    monkeypatch.setattr(calibration, "calibrate", _fake_calibration)

    def fail(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(store.json, "dump", fail)
    rc = main(CAL + ["--out", str(tmp_path / "t.json")])
    cap = capsys.readouterr()
    assert rc == 2 and "wrote" not in cap.out
    assert "semantic_weight" in cap.err and "Read-only" in cap.err  # the parameters are in the error line
    assert len(_messages(cap.err)) == 1


def test_an_interrupted_multi_twin_calibration_keeps_the_finished_twins(capsys, tmp_path, monkeypatch):
    from laicpkg.features.twins import calibration

    def calibrate(name, **kwargs):
        if name == "twin-stl10":
            raise KeyboardInterrupt
        return _fake_calibration(name)

    monkeypatch.setattr(calibration, "calibrate", calibrate)
    out = tmp_path / "t.json"
    rc = main(["calibrate", "--dataset", "twin-imagenet10,twin-stl10", "--seeds", "1", "--out", str(out)])
    assert rc == 130
    assert list(json.loads(out.read_text())) == ["twin-imagenet10"]
    assert not list(tmp_path.glob("*.part"))


def test_two_calibrations_writing_one_file_keep_both(tmp_path):
    script = ("import sys\nfrom laicpkg.features.twins import write_calibration\n"
              "for i in range(40):\n    write_calibration(f'{sys.argv[1]}{i}', {'params': {}}, sys.argv[2])\n")
    out = tmp_path / "t.json"
    procs = [subprocess.Popen([sys.executable, "-c", script, tag, str(out)]) for tag in ("a", "b")]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert len(json.loads(out.read_text())) == 80


# -- IDCL's pre-training cache ----------------------------------------------------------------------------------------
def test_unwritable_pretrain_cache_warns_and_the_run_finishes(tmp_path):
    import laicpkg.methods.idcl as idcl
    from laicpkg.features.datasets import load_dataset

    blocked = tmp_path / "cache"
    blocked.write_text("a file where a folder of the cache path should be")
    data = load_dataset("digits")
    model = idcl.IDCL(10, pretrain_epochs=1, epochs=1, pretrain_cache=str(blocked / "ae"), random_state=0,
                      progress=False, device="cpu")
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        labels = model.fit_predict(data.X[:300])
    assert labels.shape == (300,)


# -- feature arrays ------------------------------------------------------------------------------------------------
def test_a_very_long_noun_does_not_blow_up_the_text_cache(tmp_path):
    names = [f"noun{i}" for i in range(1000)]
    names[3] = "x" * 20000
    p = save_cache(tmp_path / "t.npz", np.eye(1000, 16, dtype=np.float32) + 0.1, names=names, identity={"n": 1})
    assert p.stat().st_size < 200_000  # fp16 features (32 kB) and the names' own bytes, not 1000 × 20000 × 4
    assert load_cache(p)["names"] == names


def test_old_string_array_caches_still_load(tmp_path):
    p = save_cache(tmp_path / "t.npz", np.eye(3, 4, dtype=np.float32) + 0.1, identity={"n": 1})
    with np.load(p) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["names"] = np.array(["a", "b", "c"])
    np.savez(p, **arrays)
    assert load_cache(p)["names"] == ["a", "b", "c"]


@pytest.mark.parametrize("X,needle", [
    (np.ones((3, 4), dtype=np.complex64), "real numbers"),
    (np.full((3, 4), 1e300), "beyond float32's range"),
    (np.array([[np.inf, 1.0]]), "NaN or inf"),
])
def test_features_that_float32_cannot_hold(X, needle):
    import torch

    from laicpkg.utils.errors import FeatureError
    from laicpkg.utils.validation import as_features

    with pytest.raises(FeatureError, match=needle):
        as_features(X)
    with pytest.raises(FeatureError, match=needle):
        as_features(torch.from_numpy(X))


# -- import-tac ------------------------------------------------------------------------------------------------------
def _tac_folder(tmp_path, labels_text="0\n1\n"):
    d = tmp_path / "tac"
    d.mkdir()
    for split in ("train", "test"):
        np.save(d / f"CIFAR10_image_embedding_{split}.npy", np.eye(2, 8, dtype=np.float32) + 0.1)
        (d / f"CIFAR10_labels_{split}.txt").write_text(labels_text)
    np.save(d / "nouns_embedding_ensemble.npy", np.eye(3, 8, dtype=np.float32) + 0.1)
    (d / "nouns.txt").write_text("a\nb\nc\n")
    return d


def test_import_tac_empty_labels_is_one_line_without_numpy_warnings(capsys, tmp_path):
    d = _tac_folder(tmp_path, labels_text="")
    err = one_line_error(capsys, ["import-tac", str(d), "--dataset", "cifar10", "--out", str(tmp_path / "f"),
                                  "--noun-list", str(d / "nouns.txt")], "empty")
    assert "UserWarning" not in err
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize("dataset,needle", [("digits", "raw images"), ("twin-cifar10", "generated"),
                                            ("synthetic-dogs", "generated")])
def test_import_tac_into_a_dataset_nothing_reads(capsys, tmp_path, dataset, needle):
    d = _tac_folder(tmp_path)
    one_line_error(capsys, ["import-tac", str(d), "--dataset", dataset, "--out", str(tmp_path / "f"),
                            "--noun-list", str(d / "nouns.txt")], needle)
    assert not (tmp_path / "f").exists()


# -- the environment -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "abc", "-2"])
def test_bad_thread_count_is_one_line_without_libgomp_warnings(value):
    cp = subprocess.run([sys.executable, "-m", "laicpkg.cli", "list"], capture_output=True, text=True,
                        env={**os.environ, "OMP_NUM_THREADS": value}, timeout=120)
    assert cp.returncode == 2
    assert cp.stderr.strip().splitlines() == [cp.stderr.strip()], cp.stderr
    assert cp.stderr.startswith("laic: error: OMP_NUM_THREADS") and "libgomp" not in cp.stderr


# -- the API -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["GradNorm", "TAC", "SIC", "TACStar"])
def test_predict_before_fit_is_sklearns_not_fitted_error(name):
    from sklearn.exceptions import NotFittedError

    import laicpkg

    model = getattr(laicpkg, name)(3)
    with pytest.raises(NotFittedError):
        model.predict(np.eye(4, 8, dtype=np.float32) + 0.1)


def test_geometry_out_needs_check_and_a_file(capsys, tmp_path):
    one_line_error(capsys, ["calibrate", "--dataset", "twin-cifar10", "--geometry-out", str(tmp_path / "g.csv")],
                   "--geometry-out needs --check")
    one_line_error(capsys, ["calibrate", "--check", "--dataset", "twin-cifar10", "--geometry-out", str(tmp_path)],
                   "is a folder")


@pytest.mark.parametrize("flag", ["--ceilings-out", "--real-table-out"])
def test_twin_tables_need_check_and_a_file(capsys, tmp_path, flag):
    one_line_error(capsys, ["calibrate", "--dataset", "twin-cifar10", flag, str(tmp_path / "t.csv")],
                   f"{flag} needs --check")
    one_line_error(capsys, ["calibrate", "--check", "--dataset", "twin-cifar10", flag, str(tmp_path)], "is a folder")


def test_real_model_refuses_twins_without_real_text(capsys):
    one_line_error(capsys, ["calibrate", "--model", "real", "--dataset", "twin-dtd"], "keeps the clip model")
