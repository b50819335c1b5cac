"""Extraction with a randomly initialised tiny open_clip model on generated images (no weights, no downloads)."""
import json
import re
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from laicpkg import CacheError
from laicpkg.cli import main
from laicpkg.utils.errors import DatasetError, WeightsUnavailableError
from laicpkg.features.extract import extract_image_features, extract_text_features, load_clip
from laicpkg.features.datasets import load_dataset

NOUNS = ["red", "blue", "green", "apple", "sky", "ocean", "tomato", "fire", "grass", "car", "dog", "cat",
         "house", "tree", "river", "stone", "cloud", "brick", "leaf", "sea"]


def _make_folder(root: Path, n_train=8, n_test=4, size=40):
    from PIL import Image

    rng = np.random.default_rng(0)
    colours = {"reds": (200, 30, 30), "blues": (30, 30, 200)}
    for split, n in (("train", n_train), ("test", n_test)):
        for cls, rgb in colours.items():
            d = root / split / cls
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                arr = np.clip(np.array(rgb) + rng.normal(0, 25, (size, size, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(arr).save(d / f"{i:03d}.png")
    return root


@pytest.fixture
def folder(tmp_path):
    return _make_folder(tmp_path / "images")


@pytest.fixture
def noun_file(tmp_path):
    p = tmp_path / "mynouns.txt"
    p.write_text("\n".join(NOUNS) + "\n")
    return p


def _extract(folder, out, **kw):
    torch.manual_seed(0)  # the random weights
    return extract_image_features("imagefolder", folder, out, model="laic-tiny", pretrained="none", device="cpu",
                                  num_workers=0, batch_size=4, progress=False, **kw)


def test_end_to_end_extract_cache_run(tmp_path, folder, noun_file, capsys):
    out = tmp_path / "feats"
    paths = _extract(folder, out)
    torch.manual_seed(0)
    paths.append(extract_text_features(out, nouns=str(noun_file), model="laic-tiny", pretrained="none",
                                       device="cpu", progress=False))
    assert [p.name for p in paths][:2] == ["image__imagefolder__train.npz", "image__imagefolder__test.npz"]
    assert re.fullmatch("text__mynouns-[0-9a-f]{8}__ensemble7.npz", paths[2].name)  # a noun file: stem + content
    data = load_dataset("imagefolder", features=out, model="laic-tiny", pretrained="none", nouns="mynouns")
    assert data.E_train.shape == (16, 32) and data.E_test.shape == (8, 32) and data.R.shape == (20, 32)
    assert data.class_names == ["blues", "reds"]  # sorted folder names
    assert data.nouns == NOUNS
    np.testing.assert_allclose(np.linalg.norm(data.E_train, axis=1), 1, atol=2e-3)
    rc = main(["run", "--dataset", "imagefolder", "--method", "gradnorm", "--features", str(out), "--model",
               "laic-tiny", "--pretrained", "none", "--nouns", "mynouns", "--erm-epochs", "2", "--final-nredo", "2",
               "--device", "cpu", "--out", str(tmp_path / "rec.json")])
    assert rc == 0
    rec = json.loads((tmp_path / "rec.json").read_text())
    assert rec["data"]["n_test"] == 8 and rec["filter"]["n_selected"] > 0
    assert all(w in NOUNS for ws in rec["selected_nouns"].values() for w in ws)


def test_interrupted_extraction_resumes_from_shards(tmp_path, folder, monkeypatch):
    import laicpkg.features.extract as ex

    out = tmp_path / "feats"
    with pytest.raises(KeyboardInterrupt):
        _extract(folder, out, splits=("train",), shard_size=5, _stop_after_shards=2)
    shard_dir = out / "laic-tiny__none" / "image__imagefolder__train.shards"
    assert sorted(p.name for p in shard_dir.iterdir()) == ["shard-00000.npz", "shard-00001.npz"]
    assert not (out / "laic-tiny__none" / "image__imagefolder__train.npz").exists()  # no half-written cache
    writes = []
    real_save = ex.save_cache
    monkeypatch.setattr(ex, "save_cache", lambda path, *a, **k: writes.append(Path(path).name) or
                        real_save(path, *a, **k))
    _extract(folder, out, splits=("train",), shard_size=5)
    assert writes == ["shard-00002.npz", "shard-00003.npz", "image__imagefolder__train.npz"]  # 16 images, 4 shards
    assert not shard_dir.exists()
    # the resumed cache equals an uninterrupted extraction
    from laicpkg.features.cache import image_cache_path, load_cache

    a = load_cache(image_cache_path(out, "laic-tiny", "none", "imagefolder", "train"))["features"]
    fresh = tmp_path / "fresh"
    _extract(folder, fresh, splits=("train",), shard_size=5)
    b = load_cache(image_cache_path(fresh, "laic-tiny", "none", "imagefolder", "train"))["features"]
    np.testing.assert_array_equal(a, b)


def test_offline_weights_fail_fast_with_instructions(monkeypatch):
    import laicpkg.features.extract as ex

    monkeypatch.setattr(ex, "_cached_weights", lambda cfg: False)
    monkeypatch.setattr(ex, "_reachable", lambda host, timeout: False)
    t0 = time.perf_counter()
    with pytest.raises(WeightsUnavailableError) as err:
        load_clip("ViT-B-32", "openai")
    assert time.perf_counter() - t0 < 5
    msg = str(err.value)
    assert "ViT-B-32" in msg and "'openai'" in msg and "--pretrained /path/to/" in msg


def test_real_offline_probe_is_fast():
    import laicpkg.features.extract as ex

    t0 = time.perf_counter()
    reachable = ex._reachable("huggingface.co", 3.0)
    assert time.perf_counter() - t0 < 5
    if reachable:
        pytest.skip("this machine reaches huggingface.co; the offline path is covered by the patched test")
    t0 = time.perf_counter()
    with pytest.raises(WeightsUnavailableError, match="cannot fetch"):
        load_clip("ViT-B-32", "openai")
    assert time.perf_counter() - t0 < 15


def test_bad_model_and_checkpoint_names():
    with pytest.raises(Exception, match="unknown CLIP model"):
        load_clip("ViT-Z-99")
    with pytest.raises(WeightsUnavailableError, match="does not exist"):
        load_clip("ViT-B-32", "/nonexistent/ckpt.pt")
    with pytest.raises(WeightsUnavailableError, match="no pretrained weights"):
        load_clip("ViT-B-32", "not-a-tag")


def test_local_checkpoint_path(tmp_path, folder):
    torch.manual_seed(1)
    net, _, _ = load_clip("laic-tiny", "none")
    ckpt = tmp_path / "tiny.pt"
    torch.save(net.state_dict(), ckpt)
    net2, _, _ = load_clip("laic-tiny", str(ckpt))
    for (k, a), (_, b) in zip(net.state_dict().items(), net2.state_dict().items()):
        assert torch.equal(a, b), k
    paths = extract_image_features("imagefolder", folder, tmp_path / "f", model="laic-tiny", pretrained=str(ckpt),
                                   device="cpu", num_workers=0, progress=False, splits=("test",))
    assert paths[0].parent.name == "laic-tiny__file-tiny"


def test_wrong_root_and_size_mismatch(tmp_path):
    with pytest.raises(DatasetError, match="expected an image folder"):
        extract_image_features("imagenet10", tmp_path / "nowhere", tmp_path / "f", model="laic-tiny",
                               pretrained="none", device="cpu")
    from laicpkg.features.datasets import build_image_dataset
    from laicpkg.features.images import read_wnids

    root = tmp_path / "inet"
    for w in read_wnids("imagenet10_wnids.txt"):
        (root / "train" / w).mkdir(parents=True)
        from PIL import Image

        Image.new("RGB", (8, 8)).save(root / "train" / w / "a.JPEG")
    with pytest.raises(DatasetError, match=r"expected 13,000 images \(GradNorm Table 7\), found 10"):
        build_image_dataset("imagenet10", root, "train")
    ds = build_image_dataset("imagenet10", root, "train", check_size=False)
    assert ds.class_names == ["king penguin", "Maltese dog", "snow leopard", "airliner", "airship",
                              "container ship", "soccer ball", "sports car", "trailer truck", "orange"]
    (root / "train" / read_wnids("imagenet10_wnids.txt")[3]).rename(root / "train" / "other")
    with pytest.raises(DatasetError, match="lacks 1 of the 10 expected class folders"):
        build_image_dataset("imagenet10", root, "train", check_size=False)
    with pytest.raises(DatasetError, match="evaluation-only"):
        build_image_dataset("imagenet-r", root, "train")


def test_cli_extract_errors_are_one_line(tmp_path, capsys):
    rc = main(["extract", "--dataset", "cifar10", "--root", str(tmp_path), "--out", str(tmp_path / "f"),
               "--model", "laic-tiny", "--pretrained", "none", "--device", "cpu"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "CIFAR-10" in err and "download" in err


def test_import_tac(tmp_path):
    rng = np.random.default_rng(0)
    tac = tmp_path / "tac"
    tac.mkdir()
    for split, n in (("train", 30), ("test", 12)):
        np.save(tac / f"CIFAR-10_image_embedding_{split}.npy", rng.standard_normal((n, 8)).astype(np.float32))
        np.savetxt(tac / f"CIFAR-10_labels_{split}.txt", rng.integers(0, 3, n), fmt="%d")
    np.save(tac / "nouns_embedding_ensemble.npy", rng.standard_normal((6, 8)).astype(np.float32))
    (tac / "nouns.csv").write_text("word,definition\nalpha,a\nbeta,b\ngamma,c\ndelta,d\nepsilon,e\nzeta,f\n")
    assert main(["import-tac", str(tac), "--dataset", "cifar10", "--out", str(tmp_path / "f"),
                 "--noun-list", str(tac / "nouns.csv")]) == 0
    data = load_dataset("cifar10", features=tmp_path / "f", nouns="tac-wordnet")
    assert data.E_train.shape == (30, 8) and data.nouns[0] == "alpha" and data.R.shape == (6, 8)
    (tac / "nouns.csv").write_text("word,definition\nalpha,a\n")
    with pytest.raises(CacheError, match="1 nouns for 6 noun features"):
        from laicpkg.features.interop import import_tac

        import_tac(tac, "cifar10", tmp_path / "g", noun_list=tac / "nouns.csv")
