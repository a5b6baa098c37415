"""One intra-op torch thread for test directories of tiny networks."""
from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def one_torch_thread():
    """Tiny networks on a shared 2-core machine: a second intra-op thread only spins and
    waits (20x slower under load). OMP_NUM_THREADS carries the setting into CLI
    subprocesses; both are restored afterwards (training itself never changes them)."""
    import torch

    before, env = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        torch.set_num_threads(before)
        if env is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env
