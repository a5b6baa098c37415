"""Data-parallel SVI under a 2-process torchrun, and the device argument.

The mixture's component is summed out exactly (TraceEnum_ELBO), so its loss has no
Monte Carlo noise: two ranks that each take half of every global minibatch and
all-reduce their gradients must follow one process's trajectory up to float32 rounding.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT


def data():
    rng = np.random.default_rng(0)
    centres = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    return centres[rng.integers(0, 3, 600)] + rng.normal(0, 0.5, (600, 2))


def fit(model, x, **options):
    return model.fit({"x": x}, epochs=3, batch_size=64, lr=0.05, seed=0, progress=False,
                     **options)


@pytest.mark.slow
def test_two_rank_torchrun_fit_equals_one_process(tmp_path):
    import pgmkit

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--master_port=0", "--rdzv_backend=c10d", "--rdzv_endpoint=localhost:0",
           str(ROOT / "tests" / "distributed" / "ddp_fit.py"), str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    one = fit(pgmkit.example("gmm_svi", backend="pyro"), data())
    rank0, rank1 = (np.load(tmp_path / f"rank-{r}.npy") for r in (0, 1))
    np.testing.assert_array_equal(rank0, rank1)                   # DDP keeps ranks in step
    np.testing.assert_allclose(rank0, np.asarray(one.spec["x"].cpd.loc), atol=1e-4)
    np.testing.assert_allclose(np.load(tmp_path / "elbo-0.npy"), one.history.log_likelihood,
                               rtol=1e-4)
    assert (tmp_path / "model-0" / "model.yaml").is_file()        # rank 0 writes files
    assert not (tmp_path / "model-1").exists()
    assert (tmp_path / "ckpt-0" / "checkpoint.pt").is_file()
    assert not (tmp_path / "ckpt-1").exists()


def test_distributed_fit_outside_torchrun_says_how_to_launch(monkeypatch):
    import pgmkit
    from pgmkit.errors import PgmkitError

    for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(PgmkitError, match="torchrun --nproc_per_node"):
        fit(pgmkit.example("gmm_svi", backend="pyro"), data(), distributed=True)


def test_cuda_without_cuda_is_a_clear_error():
    import torch

    import pgmkit
    from pgmkit.errors import DataError, PgmkitError

    def model():
        return pgmkit.example("gmm_svi", backend="pyro")

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(PgmkitError, match="CUDA is not available"):
        fit(model(), data(), device="cuda")
    with pytest.raises(DataError, match="device must be 'cpu' or 'cuda'"):
        fit(model(), data(), device="tpu")
    cpu = fit(model(), data(), device="cpu")
    np.testing.assert_allclose(cpu.spec["x"].cpd.loc, fit(model(), data()).spec["x"].cpd.loc)


def test_temporal_fit_takes_cpu_and_cuda_only_where_present():
    import torch

    import pgmkit
    from pgmkit.errors import PgmkitError

    bkt = pgmkit.example("bkt")
    logs = bkt.sample_sequences(20, 5, seed=0)
    cpu = bkt.copy().fit(logs, max_iter=3, progress=False, device="cpu")
    assert cpu.spec == bkt.copy().fit(logs, max_iter=3, progress=False).spec
    if torch.cuda.is_available():       # the GPU's E-step gives the CPU's fit
        gpu = bkt.copy().fit(logs, max_iter=3, progress=False, device="cuda")
        np.testing.assert_allclose(gpu.history.log_likelihood, cpu.history.log_likelihood,
                                   rtol=1e-12)
        return
    with pytest.raises(PgmkitError, match="CUDA is not available"):
        bkt.copy().fit(logs, max_iter=3, progress=False, device="cuda")
