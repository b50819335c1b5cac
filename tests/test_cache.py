"""Feature cache: round trip, atomic writes, refusal of corrupt or mismatched files."""
import numpy as np
import pytest

from laicpkg import CacheError
from laicpkg.features.cache import image_cache_path, load_cache, save_cache
from laicpkg.features.datasets import load_dataset, save_dataset_cache


def test_round_trip_fp16(tmp_path):
    x = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    p = save_cache(tmp_path / "a.npz", x, labels=np.arange(10), identity={"dataset": "d"})
    out = load_cache(p, expect={"dataset": "d"})
    np.testing.assert_allclose(out["features"], x, rtol=1e-3, atol=1e-3)
    assert out["labels"].tolist() == list(range(10))
    assert out["meta"]["count"] == 10 and out["meta"]["dim"] == 4
    assert list(tmp_path.iterdir()) == [p]  # no temporary file left


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    import laicpkg.features.cache as cache

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        save_cache(tmp_path / "a.npz", np.ones((3, 2)), identity={})
    assert list(tmp_path.iterdir()) == []


def test_truncated_and_mismatched_files_are_refused(tmp_path):
    p = save_cache(tmp_path / "a.npz", np.ones((50, 8)), identity={"dataset": "d"})
    with pytest.raises(CacheError, match="made for dataset='d'"):
        load_cache(p, expect={"dataset": "e"})
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(CacheError, match="truncated or corrupt"):
        load_cache(p)
    with pytest.raises(CacheError, match="no feature cache"):
        load_cache(tmp_path / "missing.npz")


def test_tampered_features_fail_the_hash(tmp_path):
    p = save_cache(tmp_path / "a.npz", np.ones((5, 3)), identity={})
    with np.load(p) as z:
        arrays = dict(z)
    arrays["features"] = arrays["features"] * 2
    np.savez(p, **arrays)
    with pytest.raises(CacheError, match="hash"):
        load_cache(p)


def test_dataset_cache_round_trip(tmp_path, small_data):
    save_dataset_cache(small_data, tmp_path)
    back = load_dataset(small_data.name, features=tmp_path)
    assert back.class_names == small_data.class_names
    np.testing.assert_array_equal(back.positive_mask, small_data.positive_mask)
    np.testing.assert_allclose(back.E_test, small_data.E_test, atol=2e-3)
    assert image_cache_path(tmp_path, "ViT-B-32", "openai", small_data.name, "train").is_file()
    with pytest.raises(CacheError, match="no feature cache"):
        load_dataset(small_data.name, features=tmp_path, model="RN50")
