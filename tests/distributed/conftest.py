"""A two-worker LocalCluster shared by the Dask tests, and small logs to fit."""
from __future__ import annotations

import logging

import numpy as np
import pytest

dd = pytest.importorskip("dask.dataframe")
#: ``tol`` for a fixed number of E-steps (no convergence warning: none is expected)
FIXED = float("-inf")
pytest.importorskip("distributed")


@pytest.fixture(scope="package")
def cluster():
    """Two worker processes with one thread each, no dashboard (as the issue's CI asks)."""
    from distributed import LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as c:
        yield c


@pytest.fixture
def client(cluster):
    from distributed import Client

    with Client(cluster) as c:
        yield c


@pytest.fixture(scope="package")
def bkt():
    import pgmkit

    return pgmkit.example("bkt")


@pytest.fixture(scope="package")
def skill_logs(bkt):
    """BKT answers of 240 students on two skills, rows shuffled (sequences straddle)."""
    logs = bkt.sample_sequences(240, 10, seed=3).drop(columns=["mastery"])
    logs["skill"] = np.where(logs["sequence"] % 3 == 0, "add", "sub")
    return logs.sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="package")
def plain_logs(skill_logs):
    """The same answers without the skill column (one model for every skill)."""
    return skill_logs.drop(columns=["skill"])


def assert_same_tables(a, b, tol=1e-9):
    """Every table (and initial table) of two specs agrees to ``tol``."""
    for v in a.variables:
        if v.cpd is not None and hasattr(v.cpd, "table"):
            np.testing.assert_allclose(b[v.name].cpd.table, v.cpd.table, rtol=0, atol=tol)
        if getattr(v, "initial", None) is not None:
            np.testing.assert_allclose(b[v.name].initial.table, v.initial.table, rtol=0, atol=tol)
