"""Random starts of real variables on Dask: the pandas start, read without gathering rows.

Ground truth is the pandas path: a random start puts each Gaussian mean at an observed
row and each scale at the observed spread, counted over the log in input order. The
Dask source reads per-partition summaries and fetches only the drawn rows; the fits
must equal the pandas fits to 1e-9 whatever the partitioning (rows shuffled, so the
frame is repartitioned by sequence).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.backends.forward_backward.starts import BatchReals, RealSummary
from pgmkit.data.sequences import pack_logs
from tests.distributed.conftest import FIXED, dd


def _gaussian_logs(seed: int = 0, n: int = 60) -> pd.DataFrame:
    """Two-dimensional real answers with holes, rows shuffled, two skills."""
    g = pgmkit.example("gaussian_hmm")
    logs = g.sample_sequences(n, 9, seed=seed).drop(columns="regime")
    rng = np.random.default_rng(seed)
    logs = logs[rng.random(len(logs)) < 0.8]                 # ragged
    logs["x[0]"] = logs.pop("x")
    logs["x[1]"] = -logs["x[0]"] + rng.normal(0, 0.5, len(logs))
    logs.loc[rng.random(len(logs)) < 0.15, "x[0]"] = np.nan
    logs.loc[rng.random(len(logs)) < 0.15, "x[1]"] = np.nan
    logs["skill"] = np.where(logs["sequence"] % 2 == 0, "add", "sub")
    return logs.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _unfitted():
    """No loc/scale given: every start of ``x`` is random."""
    return pgmkit.model({"name": "ghmm2", "temporal": True, "variables": {
        "regime": {"states": ["lo", "hi"], "latent": True, "parents": ["regime[t-1]"]},
        "x": {"real": [2], "parents": ["regime"]}}})


def _same_fit(ref, got, tol=1e-9):
    for v in ref.spec.variables:
        cpd, mine = ref.spec[v.name].cpd, got.spec[v.name].cpd
        for attr in ("table", "loc", "scale"):
            if hasattr(cpd, attr):
                np.testing.assert_allclose(np.asarray(getattr(mine, attr), dtype=float),
                                           np.asarray(getattr(cpd, attr), dtype=float),
                                           rtol=0, atol=tol, err_msg=f"{v.name}.{attr}")


def test_summaries_of_parts_add_up_to_the_whole():
    x = _gaussian_logs()[["x[0]", "x[1]"]].to_numpy()
    whole = RealSummary.of(x)
    parts = [RealSummary.of(x[a:b]) for a, b in ((0, 0), (0, 7), (7, 200), (200, len(x)))]
    merged = parts[0] + parts[1] + parts[2] + parts[3]
    assert (merged.rows, merged.complete) == (whole.rows, whole.complete) == (
        len(x), int(np.isfinite(x).all(1).sum()))
    np.testing.assert_array_equal(merged.count, np.isfinite(x).sum(0))
    np.testing.assert_allclose(merged.mean, np.nanmean(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(merged.spread(), np.nanstd(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(whole.spread(), np.nanstd(x, axis=0), rtol=1e-12)
    assert np.all(RealSummary.of(np.full((3, 2), 5.0)).spread() == 1e-3)   # floored


@pytest.mark.parametrize("complete", [True, False])
def test_dask_source_reads_the_rows_the_batch_reads(complete):
    from pgmkit.distributed.reals import FrameReals

    m = _unfitted()
    logs = _gaussian_logs()
    batch = pack_logs(m.spec, logs, "sequence", "step")          # packed: not input order
    mem = BatchReals(batch)
    frame = FrameReals(dd.from_pandas(logs, npartitions=5, sort=False), m.spec, ["x"])
    x = logs[["x[0]", "x[1]"]].to_numpy()
    pool = x[np.isfinite(x).all(1)] if complete else np.nan_to_num(x)
    ranks = np.random.default_rng(1).integers(0, len(pool), size=40)
    np.testing.assert_array_equal(mem.rows("x", ranks, complete), pool[ranks])
    np.testing.assert_array_equal(frame.rows("x", ranks, complete), pool[ranks])
    a, b = mem.summary("x"), frame.summary("x")
    assert (a.rows, a.complete) == (b.rows, b.complete)
    np.testing.assert_allclose(b.spread(), a.spread(), rtol=1e-12)
    assert frame.summary("y") is None


@pytest.mark.slow
def test_gaussian_random_starts_on_the_cluster_equal_pandas(client):
    logs = _gaussian_logs().drop(columns="skill")
    options = dict(seed=4, max_iter=10, tol=FIXED, progress=False)
    ref = _unfitted().fit(logs, **options)                       # three random restarts
    assert len(ref.history.restarts) == 3
    for parts in (1, 4):
        got = _unfitted().fit(dd.from_pandas(logs, npartitions=parts, sort=False), **options)
        _same_fit(ref, got)
        np.testing.assert_allclose(got.history.restarts, ref.history.restarts, rtol=1e-12)


@pytest.mark.slow
def test_grouped_gaussian_restarts_of_a_given_spec_on_the_cluster_equal_pandas(client):
    g = pgmkit.example("gaussian_hmm")
    logs = _gaussian_logs(seed=2).drop(columns=["x[1]"]).rename(columns={"x[0]": "x"})
    options = dict(groupby="skill", seed=1, restarts=3, max_iter=8, tol=FIXED, progress=False)
    ref = g.copy().fit(logs, **options)
    got = g.copy().fit(dd.from_pandas(logs, npartitions=3, sort=False), **options)
    assert sorted(got) == sorted(ref) == ["add", "sub"]
    for skill in ref:
        _same_fit(ref[skill], got[skill])
        assert got[skill].history.extra == ref[skill].history.extra
    np.testing.assert_allclose(got.history.restarts, ref.history.restarts, rtol=1e-12)


def test_device_reaches_the_dask_workers(monkeypatch):
    """``device=`` on a Dask fit runs the workers' E-steps on it (the torch path here)."""
    import torch

    from pgmkit.backends.forward_backward import kernel
    from pgmkit.distributed import torchrun

    monkeypatch.setattr(torchrun, "engine_device",
                        lambda d: torch.device("cpu") if d == "cuda" else None)
    logs = _gaussian_logs(n=30).drop(columns="skill")
    options = dict(seed=0, max_iter=5, tol=FIXED, progress=False)
    ref = _unfitted().fit(logs, **options)
    frame = dd.from_pandas(logs, npartitions=3, sort=False)

    def refuse(*args, **kwargs):
        raise AssertionError("the numpy loop ran")

    monkeypatch.setattr(kernel, "_forward_np", refuse)       # the default scheduler: in-process
    got = _unfitted().fit(frame, device="cuda", **options)
    _same_fit(ref, got)
    with pytest.raises(AssertionError, match="numpy loop"):
        _unfitted().fit(frame, **options)


def test_cuda_where_absent_fails_a_dask_fit_before_any_work():
    import torch

    from pgmkit.errors import PgmkitError

    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    frame = dd.from_pandas(_gaussian_logs(n=10), npartitions=2, sort=False)
    with pytest.raises(PgmkitError, match="device='cuda' was asked but CUDA is not available"):
        _unfitted().fit(frame, device="cuda", progress=False)
    family = pgmkit.example("bkt").fit(pgmkit.example("bkt").sample_sequences(6, 4, seed=0)
                                       .assign(skill="a"), groupby="skill", max_iter=2,
                                       tol=FIXED, progress=False)
    logs = dd.from_pandas(pgmkit.example("bkt").sample_sequences(6, 4, seed=1).assign(skill="a"),
                          npartitions=2, sort=False)
    with pytest.raises(PgmkitError, match="CUDA is not available"):
        family.fit(logs, device="cuda", progress=False)
