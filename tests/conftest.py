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


def noun_case(seed=0, n_img=800, n_nouns=1500, d=32, C=12):
    """Unit image and noun features around ``C`` shared centres (images tighter than nouns), image labels and
    ``C``: the small inputs on which the authors' code paths are restated (test_fidelity, test_official_code)."""
    rng = np.random.default_rng(seed)
    centres = unit_rows(rng, C, d, np.float32)
    labels = rng.integers(0, C, n_img)
    E = centres[labels] + 0.35 * rng.standard_normal((n_img, d)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    R = centres[rng.integers(0, C, n_nouns)] + 0.6 * rng.standard_normal((n_nouns, d)).astype(np.float32)
    R /= np.linalg.norm(R, axis=1, keepdims=True)
    return E.astype(np.float32), labels, R.astype(np.float32), C


def code_top_per_group(values, groups, C, k):
    """The authors' selection loop: per group, ``torch.argsort(values, descending=True)[:k]``; the kept set."""
    import torch

    keep = set()
    for j in range(C):
        members = torch.where(groups == j)[0]
        if members.numel():
            keep |= set(members[torch.argsort(values[members], descending=True)[:k]].tolist())
    return keep
