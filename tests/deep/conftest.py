"""Small deep models and data for fast tests (tiny nets, a few hundred digits)."""
from __future__ import annotations

import pytest

from tests import torch_threads

import pgmkit
from tests.deep.helpers import tiny_vae


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    with torch_threads.one_torch_thread():
        yield


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
