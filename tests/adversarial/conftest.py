"""Small adversarial models and data for fast tests (tiny networks, a few hundred digits)."""
from __future__ import annotations

import pytest

from tests import torch_threads


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    with torch_threads.one_torch_thread():
        yield


@pytest.fixture(scope="session")
def digits_small():
    """300 training digits scaled to [0, 1] and their labels."""
    from pgmkit.datasets import digits

    x, y = digits.load("train", binarize=False)
    return x[:300], y[:300]
