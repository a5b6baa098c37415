"""Queries on Dask inputs: same partitions, same rows in input order, same answers.

These run on Dask's default (threaded) scheduler: quick, and the partition logic is the
same with a cluster.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tests.distributed.conftest import FIXED, dd


def _assert_aligned(result, frame, expected):
    """``result`` keeps ``frame``'s partitions, rows and index, and equals ``expected``."""
    assert result.npartitions == frame.npartitions
    for i in range(frame.npartitions):
        got = result.get_partition(i).compute()
        assert got.index.equals(frame.get_partition(i).compute().index)
    computed = result.compute()
    if isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(computed, expected, check_exact=False, rtol=1e-9,
                                       check_names=False)
    else:
        pd.testing.assert_frame_equal(computed, expected, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("method,options", [("filter", {}), ("smooth", {}), ("viterbi", {}),
                                            ("predict_next", {}),
                                            ("log_likelihood", {"per_row": True})])
def test_temporal_queries_keep_partitions_and_rows(bkt, plain_logs, method, options, caplog):
    fitted = bkt.copy().fit(plain_logs, seed=0, max_iter=5, tol=FIXED, progress=False)
    logs = plain_logs.set_index(plain_logs.index * 10 + 7)      # an index that is not 0..n
    frame = dd.from_pandas(logs, npartitions=3, sort=False)
    with caplog.at_level(logging.INFO, logger="pgmkit"):
        result = getattr(fitted, method)(frame, **options)
    assert any("repartition" in r.getMessage() for r in caplog.records)
    _assert_aligned(result, frame, getattr(fitted, method)(logs, **options))


def test_temporal_log_likelihood_total_is_the_sum_over_partitions(bkt, plain_logs):
    frame = dd.from_pandas(plain_logs, npartitions=3, sort=False)
    assert bkt.log_likelihood(frame) == pytest.approx(bkt.log_likelihood(plain_logs), rel=1e-12)


def test_grouped_queries_on_whole_partitions_need_no_repartition(bkt, skill_logs, caplog):
    per_skill = bkt.copy().fit(skill_logs, groupby="skill", seed=0, max_iter=5, tol=FIXED,
                               progress=False)
    logs = skill_logs.sort_values(["sequence", "step"]).reset_index(drop=True)
    frame = dd.from_pandas(logs, npartitions=4)
    with caplog.at_level(logging.INFO, logger="pgmkit"):
        result = per_skill.predict_next(frame)
    assert not any("repartition" in r.getMessage() for r in caplog.records)
    _assert_aligned(result, frame, per_skill.predict_next(logs))


def test_batched_queries_and_scores_map_over_partitions():
    import pgmkit

    alarm = pgmkit.example("alarm")
    rows = alarm.sample(600, seed=0)
    rows.loc[rows.index % 5 == 0, "Alarm"] = None
    evidence = rows.drop(columns=["Burglary"])
    frame = dd.from_pandas(evidence, npartitions=3)
    _assert_aligned(alarm.query_batch(["Burglary"], frame), frame,
                    alarm.query_batch(["Burglary"], evidence))
    full = dd.from_pandas(rows, npartitions=3)
    _assert_aligned(alarm.predict(full, "Alarm"), full, alarm.predict(rows, "Alarm"))
    assert alarm.log_likelihood(full) == pytest.approx(alarm.log_likelihood(rows), rel=1e-12)
    per_row = alarm.log_likelihood(full, per_row=True)
    np.testing.assert_allclose(per_row.compute().to_numpy(),
                               np.asarray(alarm.log_likelihood(rows, per_row=True)), rtol=1e-12)


def test_a_bad_state_in_a_query_is_the_pandas_error(bkt, plain_logs):
    from pgmkit.errors import DataError

    logs = plain_logs.sort_values(["sequence", "step"]).reset_index(drop=True)
    logs["correct"] = logs["correct"].astype(object)
    logs.loc[len(logs) - 1, "correct"] = "2"
    with pytest.raises(DataError, match="'correct' = '2' is not a state"):
        bkt.filter(dd.from_pandas(logs, npartitions=3)).compute()
