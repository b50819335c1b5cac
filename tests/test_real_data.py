"""The README's real-data path, run as written on files in the real on-disk formats (CIFAR-10's pickles,
STL-10's binaries, an ImageNet folder tree, phone photos with EXIF orientation) with a small open_clip architecture
saved as a local checkpoint; and the pieces it rests on: one name per feature cache, zero-shot on real features, no
silent random weights, ``laic batch`` from anywhere, a contact sheet to use, GPU readiness, a fast ``--help``."""
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from laicpkg.cli import main

from test_faults import one_line_error

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rf = _script("real_formats")


@pytest.fixture(scope="module")
def real_files(tmp_path_factory):
    """The generated datasets in their real formats, the checkpoint and the noun list (scripts/real_formats.py)."""
    root = tmp_path_factory.mktemp("real")
    assert rf.main([str(root)]) == 0
    return root


@pytest.fixture(scope="module")
def chain(real_files, tmp_path_factory):
    """The README's real-data block, run line by line from a folder outside the repository; after ``laic run`` the
    same line with every other method (zero-shot included)."""
    from laicpkg.methods.registry import METHODS

    others = [m for m, spec in METHODS.items() if m != "gradnorm" and not spec.estimator.accepts_images]

    def every_method(line):
        if line.startswith("laic run "):
            return [line.replace("--method gradnorm", f"--method {m}") for m in others]
        return []

    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("elsewhere"))
    try:
        with rf.generated_files_accepted():
            steps = rf.run_chain(rf.readme_chain(README), rf.chain_variables(real_files), extra=every_method)
        runs = Path.cwd() / "runs"
    finally:
        os.chdir(cwd)
    return {"steps": steps, "root": real_files, "runs": runs, "methods": ["gradnorm", *others]}


def test_the_readme_block_is_what_the_test_runs():
    lines = rf.readme_chain(README)
    commands = [ln.split()[1] for ln in lines if ln.startswith("laic ")]
    assert commands == ["extract", "extract", "extract", "run", "compare", "batch", "cluster"]
    names = set(re.findall(r"\$(\w+)", "\n".join(lines)))
    assert names == set(rf.chain_variables(Path("/x")))  # every name the block uses is one the user sets
    assert all("--pretrained $WEIGHTS --nouns $NOUNS" in ln for ln in lines if ln.startswith("laic extract"))


def test_every_readme_command_succeeds(chain):
    assert [s["rc"] for s in chain["steps"]] == [0] * len(chain["steps"]), chain["steps"]
    assert len(chain["steps"]) == 7 + len(chain["methods"]) - 1


def test_extract_names_the_cache_by_checkpoint_and_noun_file(chain):
    folders = list((chain["root"] / "features").iterdir())
    assert [f.name for f in folders] == ["laic-tiny__file-laic-tiny"]
    names = sorted(p.name for p in folders[0].glob("*.npz"))
    assert [n for n in names if n.startswith("text__")] == [n for n in names if re.fullmatch(
        r"text__my-nouns-[0-9a-f]{8}__ensemble7\.npz", n)] and len([n for n in names if n.startswith("text__")]) == 1
    for ds in ("cifar10", "stl10", "imagenet10"):
        assert {f"image__{ds}__train.npz", f"image__{ds}__test.npz", f"classes__{ds}__ensemble7.npz"} <= set(names)


def test_run_reads_that_cache_with_features_alone_every_method(chain):
    for m in chain["methods"]:
        rec = json.loads((chain["runs"] / "cifar10" / f"{m}-seed0.json").read_text())
        src = rec["data_source"]
        assert src["model"] == "laic-tiny" and src["pretrained"] == "file-laic-tiny"
        assert re.fullmatch(r"my-nouns-[0-9a-f]{8}", src["nouns"]) and src["prompts"] == "ensemble7"
        assert rec["data"]["n_test"] == 40 and rec["data"]["n_nouns"] == len(rf.NOUNS)
    zs = json.loads((chain["runs"] / "cifar10" / "zeroshot-seed0.json").read_text())
    assert 0 <= zs["metrics"]["ACC"] <= 100


def test_zero_shot_uses_the_datasets_class_names(chain):
    from laicpkg import load_dataset

    data = load_dataset("cifar10", features=chain["root"] / "features")
    assert data.class_names[:2] == ["airplane", "automobile"] and data.class_text.shape == (10, data.dim)
    stl = load_dataset("stl10", features=chain["root"] / "features")
    assert stl.class_names == ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]


def test_compare_runs_every_method_zero_shot_included(chain):
    records = list((chain["root"] / "results" / "comparison" / "records").glob("*.json"))
    assert len(records) == 3 * 9 * 3
    assert {p.name.split("__")[1] for p in records} >= {"zeroshot", "kmeans", "gradnorm", "tac", "sic"}



def test_ceilings_on_real_features_compare_the_class_names_with_random_nouns(chain, tmp_path, capsys):
    from laicpkg import load_dataset
    from laicpkg.core.filters import pseudo_class_count
    from laicpkg.core.zeroshot import zero_shot_predict
    from laicpkg.core.metrics import cluster_accuracy

    features = chain["root"] / "features"
    out = tmp_path / "ceilings.csv"
    assert main(["ceilings", "--dataset", "cifar10", "--features", str(features), "--seeds", "2", "--out",
                 str(out)]) == 0
    shown = capsys.readouterr().out
    assert "class names − random nouns:" in shown and f"wrote {out}" in shown
    table = pd.read_csv(out)
    data = load_dataset("cifar10", features=features)
    n = min(5 * pseudo_class_count(len(data.E_train), 10, 600), len(data.R))
    assert list(table["seed"]) == [0, 1] and (table["random nouns (n)"] == n).all()
    assert table["all positives"].isna().all() and table["n_positives"].isna().all()  # real nouns: none known
    zs = 100 * cluster_accuracy(data.y_test, zero_shot_predict(data.E_test, data.class_text))
    assert np.allclose(table["zero-shot"], zs) and table["class names"].between(0, 100).all()


def test_ceilings_need_the_class_names_text(tmp_path, capsys):
    from laicpkg import load_dataset
    from laicpkg.features.datasets import save_dataset_cache

    data = load_dataset("synthetic-dogs", data_seed=0)
    data.class_text = None
    save_dataset_cache(data, tmp_path, model="m1", pretrained="openai", nouns="listA", prompts="photo")
    one_line_error(capsys, ["ceilings", "--dataset", "synthetic-dogs", "--features", str(tmp_path)],
                   "need the text features of the class names", "laic extract --dataset synthetic-dogs")
    one_line_error(capsys, ["ceilings", "--dataset", "twin-dtd", "--n-random", "0"], "--n-random")
    one_line_error(capsys, ["ceilings", "--dataset", "mnist"], "raw images")

def test_batch_writes_pages_and_summary_outside_the_repository(chain):
    out = chain["root"] / "results"
    assert sorted(p.name for p in (out / "datasets").glob("*.ipynb")) == ["cifar10.ipynb", "imagenet10.ipynb",
                                                                          "stl10.ipynb"]
    for ds in ("cifar10", "stl10", "imagenet10"):
        assert (out / "records" / ds / "zeroshot.json").is_file() and (out / "records" / ds / "gradnorm.json").is_file()
    summary = (out / "summary.md").read_text()
    assert "synthetic twins" not in summary and "| CLIP zero-shot" in summary and "CIFAR-10" in summary
    assert "Runs that failed" not in summary


def test_cluster_and_export(chain):
    out = chain["root"] / "results" / "photos"
    rows = list(csv.DictReader((out / "clusters.csv").open()))
    photos = chain["root"] / "data" / "photos"
    assert sorted(r["path"] for r in rows) == sorted(p.relative_to(photos).as_posix() for p in photos.rglob("*.jpg"))
    page = (out / "index.html").read_text()
    for href in re.findall(r'<a href="([^"#]+)"><img', page):  # every thumbnail links to its original
        assert (out / href).resolve().is_file()
    exported = [p for p in (chain["root"] / "results" / "photos-by-cluster").rglob("*.jpg")]
    assert len(exported) == len(rows) and all(p.is_symlink() and p.resolve().is_file() for p in exported)


# --- one name per cache -----------------------------------------------------------------------------------------


def _two_caches(tmp_path):
    from laicpkg import load_dataset
    from laicpkg.features.datasets import save_dataset_cache

    data = load_dataset("synthetic-dogs", data_seed=0)
    save_dataset_cache(data, tmp_path, model="m1", pretrained="openai", nouns="listA", prompts="photo")
    save_dataset_cache(data, tmp_path, model="m1", pretrained="openai", nouns="listB", prompts="photo")
    return data


def test_several_caches_ask_for_the_flag_and_a_miss_lists_them(tmp_path, capsys):
    data = _two_caches(tmp_path)
    base = ["run", "--dataset", "synthetic-dogs", "--method", "zeroshot", "--features", str(tmp_path), "--out",
            str(tmp_path / "r.json")]
    one_line_error(capsys, base, "--nouns (listA, listB)")
    one_line_error(capsys, base + ["--nouns", "listC"], "it holds: --model m1 --pretrained openai")
    assert main(base + ["--nouns", "listB"]) == 0
    rec = json.loads((tmp_path / "r.json").read_text())
    assert rec["data_source"]["nouns"] == "listB" and rec["data_sha256"] != data.digest()
    assert rec["metrics"]["ACC"] > 50  # the class texts travelled with the cache: zero-shot works


def test_two_noun_files_of_one_name_get_two_caches(tmp_path):
    from laicpkg.features.cache import nouns_name

    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "nouns.txt").write_text("cat\ndog\n")
    (tmp_path / "y" / "nouns.txt").write_text("car\nbus\n")
    a, b = nouns_name(str(tmp_path / "x" / "nouns.txt")), nouns_name(str(tmp_path / "y" / "nouns.txt"))
    assert a != b and a.startswith("nouns-") and b.startswith("nouns-")
    assert nouns_name("wordnet") == "wordnet"


# --- no silent random weights -----------------------------------------------------------------------------------


def test_a_model_without_known_weights_needs_pretrained(tmp_path, capsys, real_files):
    from laicpkg.features.extract import default_weights
    from laicpkg.utils.errors import ParameterError

    with pytest.raises(ParameterError, match="--pretrained"):
        default_weights("ViT-B-32-quickgelu", None)
    assert default_weights("ViT-B-32-quickgelu", "none") == "none"
    assert default_weights("ViT-B-32", None) == "openai"
    one_line_error(capsys, ["extract", "--dataset", "cifar10", "--root", str(real_files / "data" / "cifar10"),
                            "--out", str(tmp_path / "f"), "--model", "ViT-B-32-quickgelu"], "--pretrained")
    assert not (tmp_path / "f").exists()
    one_line_error(capsys, ["cluster", str(real_files / "data" / "photos"), "--n-clusters", "2", "--out",
                            str(tmp_path / "c"), "--model", "ViT-B-32-quickgelu"], "--pretrained")


def test_help_says_what_pretrained_defaults_to(capsys):
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "required for any other model" in text and "'none' for random weights" in text


# --- laic batch from anywhere; a failing method --------------------------------------------------------------------


def test_batch_needs_out_dir_for_real_data_and_finds_its_notebook(tmp_path, capsys, monkeypatch):
    from laicpkg.book.batch import PIPELINE_NOTEBOOK

    assert PIPELINE_NOTEBOOK.is_file() and json.loads(PIPELINE_NOTEBOOK.read_text())["cells"]
    monkeypatch.chdir(tmp_path)
    one_line_error(capsys, ["batch", "--datasets", "cifar10", "--features", str(tmp_path)], "--out-dir is required")
    (tmp_path / "nb.txt").write_text("not a notebook")
    one_line_error(capsys, ["batch", "--datasets", "synthetic-dogs", "--notebook", "nb.txt", "--out-dir", "o"],
                   "is not a Jupyter notebook")


def test_a_failing_method_is_reported_and_the_others_stay(tmp_path, monkeypatch):
    from laicpkg.book.batch import run_batch

    monkeypatch.chdir(tmp_path)
    report = []
    written = run_batch(["synthetic-dogs"], out_dir=tmp_path / "out", report=report, progress=False,
                        extra_parameters={"methods": "kmeans,no-such-method", "tsne_points": 100})
    (done,) = report
    assert [name for name, _ in done.failed] == ["synthetic-dogs"] and "no-such-method" in done.failed[0][1]
    page = tmp_path / "out" / "datasets" / "synthetic-dogs.ipynb"
    assert page.is_file() and "no-such-method" in page.read_text()
    assert str(tmp_path) not in page.read_text()  # the page names no folder of this machine
    assert (tmp_path / "out" / "records" / "synthetic-dogs" / "kmeans.json").is_file()
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Runs that failed" in summary and "no-such-method" in summary
    assert tmp_path / "out" / "summary.md" in written


def test_committed_pages_hold_no_absolute_path():
    import os

    for page in sorted((ROOT / "book" / "results" / "datasets").glob("*.ipynb")):
        nb = json.loads(page.read_text())
        meta = nb["metadata"]["papermill"]
        values = [meta["input_path"], meta["output_path"], *meta["parameters"].values()]
        assert not any(isinstance(v, str) and os.path.isabs(v) for v in values), page.name
        assert str(ROOT) not in page.read_text(), page.name


# --- the contact sheet ---------------------------------------------------------------------------------------------


def test_photos_are_read_upright(real_files):
    from laicpkg.features.images import load_oriented

    turned = sorted((real_files / "data" / "photos" / "holiday").glob("*.jpg"))[0]
    with Image.open(turned) as raw:
        assert raw.size == (80, 64)  # stored sideways, with EXIF orientation 6
    assert load_oriented(turned).size == (64, 80)  # what the model and the thumbnail see


def test_contact_sheet_names_links_squares_and_export(tmp_path, real_files):
    photos = real_files / "data" / "photos"
    tiny = ["--model", "laic-tiny", "--pretrained", "none", "--device", "cpu", "--prompts", "photo",
            "--nouns", str(real_files / "my-nouns.txt")]
    out, exp = tmp_path / "out", tmp_path / "exp"
    assert main(["cluster", str(photos), "--n-clusters", "3", "--out", str(out), "--export", str(exp),
                 "--export-copy", *tiny]) == 0
    summary = json.loads((out / "clusters.json").read_text())
    page = (out / "index.html").read_text()
    nav = page[page.index("<nav>"):page.index("</nav>")]
    for c in summary["clusters"]:
        assert ", ".join(c["names"]) in nav  # all five names in the navigation
    for thumb in (out / "thumbs").glob("*.jpg"):
        with Image.open(thumb) as im:
            assert im.size[0] == im.size[1]
    copies = list(exp.rglob("*.jpg"))
    assert len(copies) == summary["n_images"] and not any(p.is_symlink() for p in copies)
    assert (exp / ".laic-export").is_file()
    # an export replaces an earlier export, and refuses a folder of other files
    assert main(["cluster", str(photos), "--n-clusters", "3", "--out", str(out), "--export", str(exp), *tiny]) == 0
    assert all(p.is_symlink() for p in exp.rglob("*.jpg"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert main(["cluster", str(photos), "--n-clusters", "3", "--out", str(out), "--export", str(other), *tiny]) == 2
    assert (other / "keep.txt").read_text() == "mine"


def test_rotated_and_upright_copies_of_a_photo_get_the_same_features(tmp_path, real_files):
    from laicpkg.features.cache import load_cache

    turned = sorted((real_files / "data" / "photos" / "holiday").glob("*.jpg"))[0]
    folder = tmp_path / "pair"
    folder.mkdir()
    (folder / "a-turned.jpg").write_bytes(turned.read_bytes())
    from laicpkg.features.images import load_oriented

    load_oriented(turned).save(folder / "b-upright.png")
    other = sorted((real_files / "data" / "photos" / "home").glob("photo-1-*.jpg"))[0]
    (folder / "c-other.jpg").write_bytes(other.read_bytes())
    assert main(["cluster", str(folder), "--n-clusters", "2", "--method", "kmeans", "--out", str(tmp_path / "o"),
                 "--model", "laic-tiny",
                 "--pretrained", "none", "--device", "cpu", "--prompts", "photo", "--nouns",
                 str(real_files / "my-nouns.txt")]) == 0
    (cache,) = (tmp_path / "o" / "features").rglob("image__*__all.npz")
    E = load_cache(cache)["features"]
    assert float(E[0] @ E[1]) > 0.99  # JPEG vs PNG of one upright picture: the same image to the model


# --- GPU readiness ---------------------------------------------------------------------------------------------------


def test_records_name_the_faiss_wheel_and_the_devices_used(tmp_path):
    from laicpkg.utils.environment import faiss_distribution

    assert main(["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--final-nredo", "1", "--device", "auto",
                 "--out", str(tmp_path / "r.json")]) == 0
    rec = json.loads((tmp_path / "r.json").read_text())
    name = faiss_distribution()
    assert name and name in rec["versions"] and name.startswith("faiss")
    assert rec["devices"] == {"requested": "auto", "torch": "cpu", "faiss": "cpu"}


def test_kmeans_assigns_on_the_gpu_where_it_trained(monkeypatch):
    import faiss

    from laicpkg.core.kmeans import KMeans

    X = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float32)
    km = KMeans(3, niter=5).fit(X)
    moved = []
    monkeypatch.setattr(faiss, "index_cpu_to_all_gpus", lambda index: moved.append(index) or index)
    km.predict(X)
    assert moved == []  # trained on the CPU: assigned on the CPU
    km.on_gpu_ = True
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    assert len(moved) == 1  # trained on the GPU: the assignment's index goes there too


def test_gpu_check_script_runs_and_reports(tmp_path):
    out = tmp_path / "gpu.json"
    cp = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--device", "cpu", "--quick",
                         "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert cp.returncode == 0, cp.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["ok"] and set(report["training"]) == {"tac-star", "sic", "idcl"}
    assert report["extraction"]["min_cosine"] > 0.999 and report["kmeans"]["agreement"] == 1.0


# --- a fast command line ---------------------------------------------------------------------------------------------


def test_list_and_every_help_import_no_numeric_library():
    code = ("import sys\nfrom laicpkg.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('HEAVY', sorted(m for m in ('torch', 'faiss', 'sklearn', 'numpy') if m in sys.modules))")
    from laicpkg.cli import COMMANDS

    for args in (["list"], *([c, "--help"] for c in COMMANDS)):
        cp = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
        assert "HEAVY []" in cp.stdout, (args, cp.stdout[-300:], cp.stderr[-300:])


def test_the_cli_catalog_is_current():
    from laicpkg.cli_catalog import CATALOG_FILE, build_catalog

    assert json.loads(CATALOG_FILE.read_text()) == build_catalog(), (
        "laicpkg/cli_catalog.json is stale: run `python -m laicpkg.cli_catalog`")


def test_make_env_keeps_a_gpu_faiss():
    il = _script("install_lock")
    lock = ["numpy==2.4.6", "faiss-cpu==1.15.1", "faiss_cpu==1.15.1", "torch==2.14.1"]
    assert il.lock_without_faiss_cpu(lock) == ["numpy==2.4.6", "torch==2.14.1"]
    assert il.installed_faiss_gpu() is None  # this environment has faiss-cpu: the lock is installed as it is
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/install_lock.py $(LOCK)" in makefile and "pip install --quiet --disable-pip-version-check -r $(LOCK)" \
        not in makefile
