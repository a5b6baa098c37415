"""Small deep models and data for fast tests (tiny nets, a few hundred digits)."""
from __future__ import annotations

import pytest

import pgmkit
from tests.deep.helpers import tiny_vae


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny networks on a shared 2-core machine: a second intra-op thread only spins and
    waits (20x slower under load). Set for this directory's tests, restored afterwards;
    OMP_NUM_THREADS carries it into the CLI subprocesses."""
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
    from pgmkit.datasets import digits

    x, y = digits.load("train")
    xt, yt = digits.load("test")
    return x[:300], y[:300], xt[:150], yt[:150]


@pytest.fixture(scope="session")
def trained_vae(digits_small):
    x = digits_small[0]
    return pgmkit.model(tiny_vae()).fit(x, epochs=15, batch_size=50, lr=1e-2, seed=0,
                                        progress=False)
