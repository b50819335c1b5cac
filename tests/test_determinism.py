"""The same data on every machine: the generators give the same bits under any BLAS kernel and thread count."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from laicpkg.features.synthetic import make_synthetic
from laicpkg.features.twins import calibrated_twins, make_twin
from laicpkg.utils.fixedmath import fixed_dot, fixed_gram_argmax, fixed_mix, fixed_unit

#: Digests of small tree-model twins, a clip-model twin and a preset, generated on the project machine (OpenBLAS
#: Haswell kernels, 2 threads); with BLAS in the generators, OpenBLAS' Prescott kernels gave another digest for the DTD twin.
COMMITTED = {"twin-cifar20": "c6f3d59bb5a0dc87", "twin-dtd": "93cd45b0c73f5846", "synthetic-dogs": "413c1bfca9b7d195",
             "clip-dogs": "7f8e44b8276a1e3a"}

SCRIPT = """
import json
from dataclasses import replace
from laicpkg.features.synthetic import make_synthetic
from laicpkg.features.twins import CLIP_DEFAULTS, base_specs, calibrated_twins, make_twin
clip = replace(base_specs()["twin-imagenet-dogs"], **CLIP_DEFAULTS)
tree = calibrated_twins("tree")
print(json.dumps({"clip-dogs": make_twin(clip, seed=0, n_train=300, n_test=200, dim=32).digest(),
                  "twin-cifar20": make_twin(tree["twin-cifar20"], seed=1, n_train=300, n_test=200, dim=32).digest(),
                  "twin-dtd": make_twin(tree["twin-dtd"], seed=0, n_train=300, n_test=200, dim=32).digest(),
                  "synthetic-dogs": make_synthetic("synthetic-dogs", seed=0, n_train=300, n_test=150, n_nouns=2000,
                                                   dim=32).digest()}))
"""


def _digests(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT], env={**os.environ, **env}, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_small_twins_have_their_committed_digests():
    tree = calibrated_twins("tree")  # the first twins' model
    assert make_twin(tree["twin-cifar20"], seed=1, n_train=300, n_test=200, dim=32).digest() == COMMITTED["twin-cifar20"]
    assert make_twin(tree["twin-dtd"], seed=0, n_train=300, n_test=200, dim=32).digest() == COMMITTED["twin-dtd"]
    assert make_synthetic("synthetic-dogs", seed=0, n_train=300, n_test=150, n_nouns=2000,
                          dim=32).digest() == COMMITTED["synthetic-dogs"]
    from dataclasses import replace

    from laicpkg.features.twins import CLIP_DEFAULTS, base_specs

    clip = replace(base_specs()["twin-imagenet-dogs"], **CLIP_DEFAULTS)  # the clip model: same bits everywhere too
    assert make_twin(clip, seed=0, n_train=300, n_test=200, dim=32).digest() == COMMITTED["clip-dogs"]


@pytest.mark.slow
@pytest.mark.parametrize("env", [{"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
                                 {"OPENBLAS_CORETYPE": "Prescott"},
                                 {"OPENBLAS_CORETYPE": "SandyBridge", "OMP_NUM_THREADS": "1"}])
def test_digests_do_not_depend_on_blas_kernel_or_threads(env):
    assert _digests(env) == COMMITTED


def test_fixed_order_arithmetic_equals_blas_to_rounding():
    rng = np.random.default_rng(0)
    z, B = rng.standard_normal((50, 8)), rng.standard_normal((8, 33))
    assert np.allclose(fixed_mix(z, B), z @ B, rtol=0, atol=1e-12)
    x = rng.standard_normal((20, 33))
    assert np.allclose(fixed_dot(x, x[3]), x @ x[3], rtol=0, atol=1e-12)
    assert np.allclose(np.linalg.norm(fixed_unit(x), axis=1), 1.0)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    assert (fixed_gram_argmax(x) == sim.argmax(1)).all()


def test_digest_covers_labels_nouns_and_positives():
    data = make_synthetic("synthetic-dogs", seed=0, n_train=300, n_test=150, n_nouns=2000, dim=32)
    base = data.digest()
    for change in ("y_test", "y_train", "positive_mask", "noun_class"):
        arr = getattr(data, change)
        setattr(data, change, np.roll(arr, 1))
        assert data.digest() != base, change
        setattr(data, change, arr)
    nouns = data.nouns
    data.nouns = nouns[1:] + nouns[:1]
    assert data.digest() != base
    data.nouns = nouns
    assert data.digest() == base


@pytest.mark.slow
def test_default_twins_equal_the_data_of_the_committed_records():
    """On this machine, whatever its CPU, every default twin is the data its committed run records were made on."""
    from pathlib import Path

    from laicpkg.features.twins import DEFAULT_TWINS

    records = Path(__file__).resolve().parents[1] / "book" / "results" / "records"
    for name in DEFAULT_TWINS:
        committed = {json.loads(p.read_text())["data_sha256"] for p in (records / name).glob("*.json")}
        assert committed == {make_twin(name, seed=0).digest()}, name
