"""scikit-learn habit: ``fit`` fits in place and returns the same object; ``copy()`` is
the functional form; engine caches built before a fit never answer after it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit


def test_a_spec_without_cpds_fitted_then_queried():
    bn = pgmkit.model({"name": "rain", "variables": {
        "Rain": {"states": ["no", "yes"]},
        "Wet": {"states": ["no", "yes"], "parents": ["Rain"]}}})
    data = pd.DataFrame({"Rain": ["no", "yes", "yes", "no"], "Wet": ["no", "yes", "yes", "yes"]})
    assert bn.fit(data) is bn
    # counted by hand: P(Wet=yes | Rain=no) = 1/2, P(Rain=yes) = 1/2
    assert bn.query("Wet", {"Rain": "no"})["yes"] == pytest.approx(0.5)
    assert bn.query("Rain", {"Wet": "no"})["yes"] == pytest.approx(0.0)
    assert bn.history.method == "mle"


def test_refit_replaces_the_numbers_every_engine_answers_with():
    truth = pgmkit.example("asia")
    bn = pgmkit.example("asia")
    before = bn.query("lung", {"smoke": "yes"})["yes"]                 # compiles pgmpy
    bn.query_batch("lung", pd.DataFrame({"smoke": ["yes"]}))            # and the batched one
    skewed = truth.sample(4000, seed=0)
    skewed["lung"] = "yes"                       # a world where everyone has lung cancer
    bn.fit(skewed)
    assert bn.spec is not truth.spec and truth.query("lung", {"smoke": "yes"})["yes"] == before
    assert bn.query("lung", {"smoke": "yes"})["yes"] == pytest.approx(1.0)
    batch = bn.query_batch("lung", pd.DataFrame({"smoke": ["yes"]}))
    assert batch["P(lung=yes)"].iloc[0] == pytest.approx(1.0)
    assert bn.map("lung")["lung"] == "yes"


def test_copy_is_the_functional_form():
    truth = pgmkit.example("alarm")
    spec = truth.spec
    fitted = truth.copy().fit(truth.sample(500, seed=1), method="bayes")
    assert truth.spec is spec and truth.history is None
    assert fitted is not truth and fitted.spec != spec


def test_dynamic_bayes_net_fits_in_place_and_its_queries_follow():
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(30, 20, seed=2).drop(columns="weather")
    old = hmm.smooth(logs)                                      # caches the stacked params
    again = hmm.fit(logs, max_iter=5, progress=False)
    assert again is hmm and hmm.history.method == "em"
    new = hmm.smooth(logs)
    assert not np.allclose(old.filter(like="P(").to_numpy(), new.filter(like="P(").to_numpy())
    fresh = pgmkit.DynamicBayesNet(hmm.spec)                    # no cache: same answers
    pd.testing.assert_frame_equal(fresh.smooth(logs), new)


def test_grouped_family_refits_in_place():
    bkt = pgmkit.example("bkt")
    logs = bkt.sample_sequences(40, 8, seed=3).drop(columns="mastery")
    logs["skill"] = np.where(logs["sequence"] % 2 == 0, "add", "mul")
    grouped = bkt.fit(logs, groupby="skill", max_iter=3, tol=-np.inf, restarts=1,
                      progress=False)
    assert bkt.history is None                        # a per-group fit leaves bkt alone
    add_model = grouped["add"]
    add_start = add_model.copy()
    old = grouped.predict_next(logs)
    assert grouped.fit(logs, max_iter=20, tol=-np.inf, restarts=1, progress=False) is grouped
    assert grouped["add"] is add_model and add_model.history.method == "em"
    # each group continued from its own CPDs, exactly as a lone refit of that group would
    alone = add_start.fit(logs[logs["skill"] == "add"].drop(columns="skill"), max_iter=20,
                          tol=-np.inf, restarts=1, progress=False)
    np.testing.assert_allclose(add_model.spec["correct"].cpd.table,
                               alone.spec["correct"].cpd.table, atol=1e-9)
    new = grouped.predict_next(logs)
    assert not np.allclose(old["P(correct=1)"], new["P(correct=1)"])
    with pytest.raises(pgmkit.DataError, match="group 'div'"):
        grouped.fit(logs.assign(skill="div"), progress=False)


def test_mixture_model_fits_in_place():
    gmm = pgmkit.example("gmm")
    data = gmm.sample(300, seed=4).drop(columns="z")
    before = gmm.log_likelihood(data)
    assert gmm.fit(data, seed=0, progress=False) is gmm
    assert gmm.log_likelihood(data) >= before
    assert gmm.log_likelihood(data) == pytest.approx(gmm.history.log_likelihood[-1], rel=1e-6)
