import random

import numpy as np
import pytest
import torch


def seed_all(seed: int = 0) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@pytest.fixture(autouse=True)
def _seeded():
    seed_all(0)
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def small_data():
    """A small synthetic dataset (fast enough for every unit test)."""
    from laicpkg.features.synthetic import make_synthetic

    return make_synthetic("synthetic-cifar10", seed=0, n_train=2000, n_test=500, n_nouns=3000, dim=128)


def unit_rows(rng, n, d, dtype=np.float64):
    x = rng.standard_normal((n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(dtype)
