"""``device=`` on temporal fits: the torch E-step equals the CPU's numpy E-step.

There is no GPU here, so the torch path runs on the CPU (``torch.device("cpu")`` given to
the engine, or ``device="cuda"`` with the device lookup standing in for a GPU). Ground
truth is the default numpy path on the same data, seed and settings: every statistic,
log-likelihood and fitted parameter agrees to 1e-9.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.backends.forward_backward import kernel
from pgmkit.backends.forward_backward.compile import params_from_specs
from pgmkit.backends.forward_backward.learn import ChainEM, run_em
from pgmkit.data.sequences import pack_logs
from pgmkit.errors import DataError, PgmkitError

torch = pytest.importorskip("torch")
CPU = torch.device("cpu")
FIXED = float("-inf")     # a fixed number of E-steps


def _ragged(logs: pd.DataFrame, seed: int, keep: float = 0.7) -> pd.DataFrame:
    """Drop events at random, so sequences end at many different lengths."""
    rng = np.random.default_rng(seed)
    return logs[rng.random(len(logs)) < keep].reset_index(drop=True)


def _two_dim_logs(seed: int = 0) -> pd.DataFrame:
    """A 2-dimensional real observation with holes in either dimension."""
    g = pgmkit.example("gaussian_hmm")
    logs = _ragged(g.sample_sequences(25, 14, seed=seed).drop(columns="regime"), seed)
    rng = np.random.default_rng(seed + 1)
    logs["x[0]"] = logs.pop("x")
    logs["x[1]"] = 0.5 * logs["x[0]"] + rng.normal(0, 0.3, len(logs))
    logs.loc[rng.random(len(logs)) < 0.1, "x[0]"] = np.nan
    logs.loc[rng.random(len(logs)) < 0.1, "x[1]"] = np.nan
    return logs


def _unfitted_gaussian():
    return pgmkit.model({"name": "ghmm2", "temporal": True, "variables": {
        "regime": {"states": ["a", "b", "c"], "latent": True, "parents": ["regime[t-1]"]},
        "x": {"real": [2], "parents": ["regime"]}}})


def _skill_logs(seed: int = 2) -> pd.DataFrame:
    bkt = pgmkit.example("bkt")
    logs = _ragged(bkt.sample_sequences(40, 12, seed=seed).drop(columns="mastery"), seed)
    logs["skill"] = np.where(logs["sequence"] % 3 == 0, "add", "sub")
    logs.loc[logs.index % 11 == 0, "correct"] = np.nan
    return logs


def _close_params(a, b, tol=1e-9):
    for attr in ("tables", "initial", "loc", "scale"):
        mine, theirs = getattr(a, attr), getattr(b, attr)
        assert mine.keys() == theirs.keys()
        for name in mine:
            np.testing.assert_allclose(theirs[name], mine[name], rtol=0, atol=tol, err_msg=name)


CASES = {
    "discrete": lambda: (pgmkit.example("hmm"), _ragged(
        pgmkit.example("hmm").sample_sequences(30, 15, seed=1).drop(columns="weather"), 1), None),
    "gaussian": lambda: (_unfitted_gaussian(), _two_dim_logs(), None),
    "grouped": lambda: (pgmkit.example("bkt"), _skill_logs(), "skill"),
    "factorial": lambda: (pgmkit.example("factorial_hmm"), _ragged(
        pgmkit.example("factorial_hmm").sample_sequences(20, 10, seed=4), 4), None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_estep_statistics_equal_the_numpy_ones(case):
    model, logs, groupby = CASES[case]()
    logs = logs.drop(columns=[c for c in model.spec.latent_names if c in logs])
    batch = pack_logs(model.spec, logs, "sequence", "step", groupby)
    assert len(set(batch.lengths.tolist())) > 2          # ragged: many different lengths
    start = params_from_specs(model.layout, [model.spec])
    numpy_em = ChainEM(model.layout, start, len(batch.groups), batch)
    torch_em = ChainEM(model.layout, start, len(batch.groups), batch, device=CPU)
    # restart 1 draws different parameters for every group
    params = numpy_em.start(1, np.random.default_rng(7))
    want = numpy_em.summarize(params, numpy_em.partition(batch))
    part = torch_em.partition(batch)
    assert part.packed.device == CPU and numpy_em.partition(batch).packed.device is None
    got = torch_em.summarize(params, part)
    assert got.n == want.n == len(logs)
    for field in ("loglik", "gamma0", "gamma", "xi"):
        np.testing.assert_allclose(getattr(got, field), getattr(want, field), rtol=0, atol=1e-9)
    assert got.emit.keys() == want.emit.keys() and got.gauss.keys() == want.gauss.keys()
    for name in want.emit:
        np.testing.assert_allclose(got.emit[name], want.emit[name], rtol=0, atol=1e-9)
    for name in want.gauss:
        for a, b in zip(got.gauss[name], want.gauss[name]):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_em_fit_equals_the_numpy_fit(case):
    model, logs, groupby = CASES[case]()
    logs = logs.drop(columns=[c for c in model.spec.latent_names if c in logs])
    batch = pack_logs(model.spec, logs, "sequence", "step", groupby)
    start = params_from_specs(model.layout, [model.spec])
    options = dict(max_iter=12, tol=FIXED, restarts=2, seed=3, progress=False)
    want = run_em(model.layout, start, batch, **options)
    got = run_em(model.layout, start, batch, device=CPU, **options)
    np.testing.assert_allclose(got.log_likelihood, want.log_likelihood, rtol=1e-12)
    np.testing.assert_array_equal(got.chosen, want.chosen)
    _close_params(want.params, got.params)


def test_the_torch_path_never_enters_the_numpy_loops(monkeypatch):
    model, logs, _ = CASES["discrete"]()
    batch = pack_logs(model.spec, logs, "sequence", "step")
    start = params_from_specs(model.layout, [model.spec])

    def refuse(*args, **kwargs):
        raise AssertionError("the numpy loop ran on the torch path")

    monkeypatch.setattr(kernel, "_forward_np", refuse)
    monkeypatch.setattr(kernel.Transition, "step_np", refuse)
    run_em(model.layout, start, batch, max_iter=2, tol=FIXED, progress=False, device=CPU)
    with pytest.raises(AssertionError, match="numpy loop"):
        run_em(model.layout, start, batch, max_iter=2, tol=FIXED, progress=False)


@pytest.fixture
def stand_in_gpu(monkeypatch):
    """``device="cuda"`` resolves to the CPU's torch device (no GPU here)."""
    from pgmkit.distributed import torchrun

    asked = []

    def lookup(device):
        asked.append(device)
        return CPU if device == "cuda" else None

    monkeypatch.setattr(torchrun, "engine_device", lookup)
    return asked


def test_device_reaches_the_engine_from_both_facades(stand_in_gpu):
    bkt = pgmkit.example("bkt")
    logs = _skill_logs()
    options = dict(groupby="skill", max_iter=6, tol=FIXED, seed=0, progress=False)
    want = bkt.copy().fit(logs, **options)
    got = bkt.copy().fit(logs, device="cuda", **options)
    assert stand_in_gpu == [None, "cuda"]
    for skill in want:
        _close_params(params_from_specs(bkt.layout, [want[skill].spec]),
                      params_from_specs(bkt.layout, [got[skill].spec]))
    again = dict(max_iter=3, tol=FIXED, progress=False)
    want.fit(logs, **again)
    got.fit(logs, device="cuda", **again)
    assert stand_in_gpu[-1] == "cuda"
    np.testing.assert_allclose(got.history.log_likelihood, want.history.log_likelihood,
                               rtol=1e-12)


def test_cuda_where_absent_is_a_located_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    bkt = pgmkit.example("bkt")
    logs = _skill_logs()
    with pytest.raises(PgmkitError, match="device='cuda' was asked but CUDA is not available"):
        bkt.copy().fit(logs, max_iter=2, progress=False, device="cuda")
    family = bkt.copy().fit(logs, groupby="skill", max_iter=2, tol=FIXED, progress=False)
    with pytest.raises(PgmkitError, match="device='cuda:1' was asked but CUDA"):
        family.fit(logs, max_iter=2, progress=False, device="cuda:1")
    with pytest.raises(DataError, match="device must be 'cpu' or 'cuda'.*received device='tpu'"):
        bkt.copy().fit(logs, max_iter=2, progress=False, device="tpu")
