"""Fits on Dask equal the pandas fits: on a two-worker LocalCluster and out-of-core.

Ground truth is the pandas path on the same rows and seed; the Dask fits must agree to
1e-9 whatever the partitioning, survive a worker killed mid-fit, and locate bad data.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.distributed.conftest import FIXED, assert_same_tables, dd

pytestmark = pytest.mark.slow     # a cluster takes seconds to start on a shared box


def test_grouped_temporal_fit_on_the_cluster_equals_pandas(client, bkt, skill_logs, caplog):
    ref = bkt.copy().fit(skill_logs, groupby="skill", seed=0, max_iter=8, tol=FIXED,
                         progress=False)
    frame = dd.from_pandas(skill_logs, npartitions=5, sort=False)
    with caplog.at_level(logging.INFO, logger="pgmkit"):
        got = bkt.copy().fit(frame, groupby="skill", seed=0, max_iter=8, tol=FIXED,
                             progress=False)
    assert any("repartition" in r.getMessage() for r in caplog.records)
    assert sorted(got) == sorted(ref) == ["add", "sub"]
    for skill in ref:
        assert_same_tables(ref[skill].spec, got[skill].spec)
    np.testing.assert_allclose(got.history.log_likelihood, ref.history.log_likelihood,
                               rtol=1e-12)
    assert got.history.extra["events"] == len(skill_logs)
    # refitting the family in place, from each group's current CPDs
    again_ref = ref.copy().fit(skill_logs, max_iter=3, tol=FIXED, progress=False)
    again_got = ref.copy().fit(frame, max_iter=3, tol=FIXED, progress=False)
    for skill in ref:
        assert_same_tables(again_ref[skill].spec, again_got[skill].spec)
    assert again_got["add"].spec != ref["add"].spec


def test_bayesnet_fits_on_the_cluster_equal_pandas(client):
    import pgmkit

    asia = pgmkit.example("asia")
    data = asia.sample(4000, seed=1)
    for method in ("mle", "bayes"):
        ref = asia.copy().fit(data, method=method)
        got = asia.copy().fit(dd.from_pandas(data, npartitions=3), method=method)
        assert_same_tables(ref.spec, got.spec)
        assert got.history.log_likelihood[0] == pytest.approx(ref.history.log_likelihood[0],
                                                               rel=1e-12)
    holes = data.drop(columns=["either"]).copy()
    holes.loc[holes.index % 4 == 0, "xray"] = None
    ref = asia.copy().fit(holes, method="em", seed=2, max_iter=6, tol=FIXED, restarts=2)
    got = asia.copy().fit(dd.from_pandas(holes, npartitions=4), method="em", seed=2, max_iter=6,
                          tol=FIXED, restarts=2)
    assert_same_tables(ref.spec, got.spec)
    np.testing.assert_allclose(got.history.log_likelihood, ref.history.log_likelihood,
                               rtol=1e-12)


def test_mixture_fit_with_random_restarts_equals_pandas(client):
    import pgmkit

    gmm = pgmkit.example("gmm")
    x = gmm.sample(900, seed=4).drop(columns=["z"])
    ref = gmm.copy().fit(x, restarts=2, seed=5, max_iter=12, tol=FIXED, progress=False)
    got = gmm.copy().fit(dd.from_pandas(x, npartitions=4), restarts=2, seed=5, max_iter=12,
                         tol=FIXED, progress=False)
    np.testing.assert_allclose(got.spec["x"].cpd.loc, ref.spec["x"].cpd.loc, atol=1e-9)
    np.testing.assert_allclose(got.spec["x"].cpd.scale, ref.spec["x"].cpd.scale, atol=1e-9)
    np.testing.assert_allclose(got.spec["z"].cpd.table, ref.spec["z"].cpd.table, atol=1e-9)


class _KillAt(logging.Handler):
    """Kills one worker process when EM reports the given iteration."""

    def __init__(self, pid: int, iteration: int):
        super().__init__(logging.DEBUG)
        self.pid, self.iteration, self.killed = pid, iteration, False

    def emit(self, record):
        if not self.killed and record.getMessage().startswith(f"EM iteration {self.iteration}:"):
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True


def test_a_worker_killed_mid_fit_changes_nothing(client, bkt, plain_logs):
    ref = bkt.copy().fit(plain_logs, seed=0, progress=False)
    victim = next(iter(client.run(os.getpid).values()))
    handler = _KillAt(victim, iteration=2)
    logger = logging.getLogger("pgmkit.distributed")
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        got = bkt.copy().fit(dd.from_pandas(plain_logs.sort_values("sequence"), npartitions=4),
                      seed=0, progress=False)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
    assert handler.killed
    assert victim not in client.run(os.getpid).values()
    assert_same_tables(ref.spec, got.spec)
    np.testing.assert_allclose(got.history.log_likelihood, ref.history.log_likelihood,
                               rtol=1e-12)


def test_bad_data_in_one_partition_names_sequence_row_and_partition(client, bkt):
    from pgmkit.errors import DataError

    logs = bkt.sample_sequences(40, 5, seed=0).drop(columns=["mastery"])
    logs["correct"] = logs["correct"].astype(object)
    logs.loc[logs.index[-3], "correct"] = "maybe"           # in the last partition
    frame = dd.from_pandas(logs, npartitions=4)             # sorted by sequence: whole
    with pytest.raises(DataError) as err:
        bkt.copy().fit(frame, seed=0, progress=False)
    text = str(err.value)
    assert "partition 3" in text and "sequence '39'" in text and "row 47" in text
    assert "maybe" in text


def test_parquet_folder_is_fitted_out_of_core_from_python_and_cli(tmp_path, bkt, skill_logs,
                                                                  caplog):
    from tests.conftest import run_cli

    folder = tmp_path / "logs"
    folder.mkdir()
    ordered = skill_logs.sort_values(["sequence", "step"]).reset_index(drop=True)
    for i, chunk in enumerate(np.array_split(np.arange(len(ordered)), 3)):
        ordered.iloc[chunk].to_parquet(folder / f"part-{i}.parquet")
    ref = bkt.copy().fit(ordered, groupby="skill", seed=0, progress=False)
    with caplog.at_level(logging.INFO, logger="pgmkit"):
        got = bkt.copy().fit(str(folder), groupby="skill", seed=0, progress=False)
    assert any("spilled" in r.getMessage() for r in caplog.records)  # no client: out-of-core
    for skill in ref:
        assert_same_tables(ref[skill].spec, got[skill].spec)
    out = tmp_path / "fitted"
    done = run_cli("fit", "models/bkt.yaml", folder, "--groupby", "skill", "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    from pgmkit.temporal.groups import GroupedDynamicBayesNet

    reloaded = GroupedDynamicBayesNet.load(out)
    for skill in ref:
        assert_same_tables(ref[skill].spec, reloaded[skill].spec, tol=1e-6)   # YAML rounding


def test_without_dask_a_parquet_folder_gets_the_install_hint(tmp_path):
    code = ("import sys; sys.modules['dask'] = None; sys.modules['dask.dataframe'] = None\n"
            "import pandas as pd, pgmkit\n"
            f"pd.DataFrame({{'sequence': [0], 'step': [0], 'correct': [1]}}).to_parquet("
            f"r'{tmp_path}/a.parquet')\n"
            "try:\n    pgmkit.example('bkt').fit(r'" + str(tmp_path) + "', progress=False)\n"
            "except pgmkit.errors.PgmkitError as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "UnsupportedError" in out.stdout and "pip install 'pgmkit[dask]'" in out.stdout, \
        out.stderr[-2000:]
