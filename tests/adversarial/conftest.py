"""Small adversarial models and data for fast tests (tiny networks, a few hundred digits)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny networks on a shared 2-core machine run fastest on one intra-op thread. Set for
    this directory's tests and restored afterwards (training itself never changes it)."""
    import os

    import torch

    before, env = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    yield
    torch.set_num_threads(before)
    if env is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = env


@pytest.fixture(scope="session")
def digits_small():
    """300 training digits scaled to [0, 1] and their labels."""
    from pgmkit.datasets import digits

    x, y = digits.load("train", binarize=False)
    return x[:300], y[:300]
