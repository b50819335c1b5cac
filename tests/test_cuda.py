"""CUDA paths: the same results as on the CPU. Skipped (and reported as skipped) without a GPU."""
import numpy as np
import pytest
import torch

from conftest import unit_rows

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def test_scores_on_cuda_match_cpu():
    from laicpkg.core.gradnorm import TAU, gradnorm_scores

    rng = np.random.default_rng(0)
    R = unit_rows(rng, 5000, 64, np.float32)
    W = (rng.standard_normal((64, 50)) * 0.2).astype(np.float32)
    cpu = gradnorm_scores(R, W, TAU, device="cpu")
    gpu = gradnorm_scores(R, W, TAU, device="cuda")
    assert (cpu[1] == gpu[1]).mean() > 0.999
    np.testing.assert_allclose(cpu[0], gpu[0], rtol=1e-3, atol=1e-5)


def test_counterparts_on_cuda_match_cpu():
    from laicpkg.core.counterparts import text_counterparts

    rng = np.random.default_rng(1)
    E = unit_rows(rng, 3000, 64, np.float32)
    Rp = unit_rows(rng, 200, 64, np.float32)
    np.testing.assert_allclose(text_counterparts(E, Rp, device="cpu"), text_counterparts(E, Rp, device="cuda"),
                               atol=1e-4)


def test_gradnorm_pipeline_on_cuda(small_data):
    from laicpkg import GradNorm, clustering_scores

    g = GradNorm(10, erm_epochs=5, device="cuda", progress=False, random_state=0)
    labels = g.fit(small_data.E_train, small_data.R).predict(small_data.E_test)
    c = GradNorm(10, erm_epochs=5, device="cpu", progress=False, random_state=0)
    labels_cpu = c.fit(small_data.E_train, small_data.R).predict(small_data.E_test)
    assert len(g.erm_losses_) == 5 and g.erm_losses_[-1] < g.erm_losses_[0]
    np.testing.assert_array_equal(g.pseudo_labels_, c.pseudo_labels_)  # same k-means (faiss on the CPU)
    acc_gpu = clustering_scores(small_data.y_test, labels)["ACC"]
    acc_cpu = clustering_scores(small_data.y_test, labels_cpu)["ACC"]
    assert abs(acc_gpu - acc_cpu) < 5


def test_extraction_fp16_on_cuda_matches_cpu(tmp_path):
    from PIL import Image

    from laicpkg.features.cache import image_cache_path, load_cache
    from laicpkg.features.extract import extract_image_features

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for c in ("a", "b"):
            (tmp_path / "img" / split / c).mkdir(parents=True)
            for i in range(6):
                Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(
                    tmp_path / "img" / split / c / f"{i}.png")
    feats = {}
    for dev in ("cpu", "cuda"):
        torch.manual_seed(0)
        extract_image_features("imagefolder", tmp_path / "img", tmp_path / dev, model="laic-tiny",
                               pretrained="none", device=dev, num_workers=0, progress=False, splits=("test",))
        feats[dev] = load_cache(image_cache_path(tmp_path / dev, "laic-tiny", "none", "imagefolder", "test"))
    cos = (feats["cpu"]["features"] * feats["cuda"]["features"]).sum(1)
    assert cos.min() > 0.99
    assert feats["cuda"]["meta"]["device"] == "cuda"


def test_kmeans_on_gpu_matches_cpu_objective():
    faiss = pytest.importorskip("faiss")
    if not hasattr(faiss, "get_num_gpus") or faiss.get_num_gpus() == 0:
        pytest.skip("this faiss has no GPU support (replace faiss-cpu by faiss-gpu-cu12)")
    from laicpkg.core.kmeans import KMeans

    rng = np.random.default_rng(2)
    centres = unit_rows(rng, 20, 64, np.float32)
    X = centres[rng.integers(0, 20, 20000)] + 0.3 * rng.standard_normal((20000, 64)).astype(np.float32)
    cpu = KMeans(20, nredo=3, random_state=0, device="cpu").fit(X)
    gpu = KMeans(20, nredo=3, random_state=0, device="cuda").fit(X)
    assert abs(gpu.inertia_ / cpu.inertia_ - 1) < 0.01
