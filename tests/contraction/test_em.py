"""EM on the batched engine: every row kept, known CPDs recovered, latent variables
recovered up to a relabelling of their states, log-likelihood never decreasing."""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.api import example_spec
from pgmkit.backends.contraction.learn import fit_em
from pgmkit.backends.contraction.infer import log_likelihood_rows
from pgmkit.errors import DataError
from pgmkit.spec.build import build_spec

ALARM = example_spec("alarm")


def without_cpds(spec):
    return spec.replace(variables=tuple(dataclasses.replace(v, cpd=None)
                                        for v in spec.variables))


def sample(spec, n: int, seed: int) -> pd.DataFrame:
    return pgmkit.model(spec).sample(n, seed=seed)


def hide_cells(df: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return df.astype(object).mask(rng.random(df.shape) < fraction)


def parent_weights(spec, var) -> np.ndarray:
    """P(parent configuration) under ``spec``: rows that hardly ever occur are not
    identifiable from data, so errors are weighed by how often a row is used."""
    names = [p.name for p in var.parents]
    if not names:
        return np.ones(1)
    out = pgmkit.model(spec).query(names)
    return np.asarray(out.values).reshape(-1)


def assert_non_decreasing(history):
    ll = np.asarray(history.log_likelihood)
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[:-1])), ll


def test_recovers_known_cpds_with_thirty_percent_of_cells_missing():
    df = hide_cells(sample(ALARM, 6000, seed=1), 0.3, seed=2)
    complete = int(df.notna().all(axis=1).sum())
    # pgmpy's ExpectationMaximization drops every row with a missing cell: it would keep
    # only `complete` rows, about 0.7**5 = 17% of them (1,008 of 6,000 here).
    assert complete < 0.2 * len(df)
    fitted, history = fit_em(without_cpds(ALARM), df, seed=0, tol=1e-8)
    assert history.extra["rows"] == 6000 and history.converged
    assert_non_decreasing(history)
    for v in ALARM.variables:
        err = np.abs(fitted[v.name].cpd.rows() - v.cpd.rows()).max(axis=1)
        assert float(parent_weights(ALARM, v) @ err) < 0.02, v.name


def test_complete_data_gives_the_maximum_likelihood_counts():
    df = sample(ALARM, 500, seed=3)
    fitted, history = fit_em(without_cpds(ALARM), df, seed=0)
    freq = df["Burglary"].value_counts(normalize=True)
    assert fitted["Burglary"].cpd.table[1] == pytest.approx(freq.get("yes", 0.0), abs=1e-9)
    mask = df["Burglary"] == "no"
    sub = df[mask & (df["Earthquake"] == "no")]["Alarm"].value_counts(normalize=True)
    assert fitted["Alarm"].cpd.table[0, 0, 1] == pytest.approx(sub.get("yes", 0.0), abs=1e-9)
    # The returned CPDs have exactly the last log-likelihood of the history.
    assert log_likelihood_rows(fitted, df).sum() == pytest.approx(history.log_likelihood[-1],
                                                                  rel=1e-12)


def test_stopped_by_max_iter_the_last_log_likelihood_is_still_the_returned_cpds():
    df = hide_cells(sample(ALARM, 2000, seed=1), 0.3, seed=2).drop(columns="JohnCalls")
    fitted, history = fit_em(ALARM, df, max_iter=3, restarts=2, seed=0)
    assert not history.converged and len(history.log_likelihood) == 3
    assert log_likelihood_rows(fitted, df).sum() == pytest.approx(history.log_likelihood[-1],
                                                                  rel=1e-12)
    assert max(history.restarts) == history.log_likelihood[-1]


LATENT = build_spec({"name": "latent_class", "variables": {
    "Z": {"states": ["a", "b"], "latent": True, "cpd": [0.35, 0.65]},
    "X1": {"states": ["0", "1", "2"], "parents": ["Z"],
           "cpd": {"a": [0.7, 0.2, 0.1], "b": [0.1, 0.3, 0.6]}},
    "X2": {"states": ["0", "1", "2"], "parents": ["Z"],
           "cpd": {"a": [0.6, 0.3, 0.1], "b": [0.2, 0.2, 0.6]}},
    "X3": {"states": ["0", "1"], "parents": ["Z"], "cpd": {"a": [0.8, 0.2], "b": [0.25, 0.75]}},
}})


def test_latent_class_model_recovered_up_to_label_swap():
    df = sample(LATENT, 4000, seed=4).drop(columns="Z")
    df = hide_cells(df, 0.1, seed=5)
    fitted, history = fit_em(without_cpds(LATENT), df, restarts=3, seed=6, tol=1e-8)
    assert_non_decreasing(history)
    assert len(history.restarts) == 3
    # The first start is random (no CPDs given) and moves off uniform.
    assert not np.allclose(fitted["X1"].cpd.table[0], fitted["X1"].cpd.table[1])
    best = min(
        max(np.abs(fitted["Z"].cpd.table[list(perm)] - LATENT["Z"].cpd.table).max(),
            *(np.abs(fitted[x].cpd.table[list(perm)] - LATENT[x].cpd.table).max()
              for x in ("X1", "X2", "X3")))
        for perm in itertools.permutations(range(2)))
    assert best < 0.05


def test_symmetric_latent_start_is_randomised():
    uniform = LATENT.with_cpds({"X1": LATENT["X1"].cpd.__class__(np.full((2, 3), 1 / 3)),
                                "X2": LATENT["X2"].cpd.__class__(np.full((2, 3), 1 / 3)),
                                "X3": LATENT["X3"].cpd.__class__(np.full((2, 2), 0.5))})
    df = sample(LATENT, 1500, seed=7).drop(columns="Z")
    fitted, _ = fit_em(uniform, df, seed=8, max_iter=50)
    assert np.abs(fitted["X1"].cpd.table[0] - fitted["X1"].cpd.table[1]).max() > 0.2


def test_seeded_restarts_are_reproducible():
    df = sample(LATENT, 800, seed=9).drop(columns="Z")
    a, ha = fit_em(without_cpds(LATENT), df, restarts=2, seed=10, max_iter=15)
    b, hb = fit_em(without_cpds(LATENT), df, restarts=2, seed=10, max_iter=15)
    assert a == b and ha.log_likelihood == hb.log_likelihood


def test_unobserved_variable_without_observed_descendants_keeps_its_cpd():
    # JohnCalls is never observed and nothing below it is: the data say nothing about it,
    # and EM's fixed point is its starting CPD. Alarm is hidden but has data below it.
    df = sample(ALARM, 800, seed=11)[["Burglary", "Earthquake", "MaryCalls"]]
    fitted, history = fit_em(ALARM, df, max_iter=30)
    np.testing.assert_allclose(fitted["JohnCalls"].cpd.table, ALARM["JohnCalls"].cpd.table,
                               atol=1e-12)
    assert history.extra["hidden"] == ("Alarm", "JohnCalls")
    assert_non_decreasing(history)


def test_pseudo_counts_pull_unseen_rows_to_uniform():
    df = pd.DataFrame({"Burglary": ["no"] * 20, "Earthquake": ["no"] * 20,
                       "Alarm": ["no"] * 20})
    fitted, _ = fit_em(without_cpds(ALARM), df, pseudo_count=1.0, seed=0, max_iter=20)
    # Parent row (yes, yes) is never seen in the data: with pseudo counts it is uniform.
    np.testing.assert_allclose(fitted["Alarm"].cpd.table[1, 1], [0.5, 0.5], atol=1e-12)


def test_latent_column_in_data_is_an_error():
    df = sample(LATENT, 10, seed=0)
    with pytest.raises(DataError, match="'Z'.*latent"):
        fit_em(LATENT, df)
    with pytest.raises(DataError, match="not in model"):
        fit_em(LATENT, df.drop(columns="Z"), latent=["Q"])


def test_a_row_the_starting_cpds_rule_out_is_named():
    spec = build_spec({"name": "sure", "variables": {
        "Fire": {"states": ["no", "yes"], "cpd": [0.9, 0.1]},
        "Smoke": {"states": ["no", "yes"], "parents": ["Fire"],
                  "cpd": {"no": [1.0, 0.0], "yes": [0.2, 0.8]}}}})
    df = pd.DataFrame({"Fire": ["yes", "no", "no", None], "Smoke": ["yes", "no", "yes", "no"]})
    with pytest.raises(DataError, match=r"row 2 of the data .* probability zero"):
        fit_em(spec, df, max_iter=3, pseudo_count=1.0)
