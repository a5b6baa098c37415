"""One data boundary: one value rule, one evidence check, one column naming and one
log-likelihood convention, whichever class or engine is used."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.data.sequences import pack_logs
from pgmkit.data.states import MISSING, encode_values, state_of
from pgmkit.data.tables import encode_frame
from pgmkit.errors import DataError, EvidenceError
from pgmkit.spec.build import build_spec

COIN = build_spec({"name": "coin", "variables": {
    "C": {"states": ["0", "1"], "cpd": [0.3, 0.7]},
    "W": {"states": ["no", "yes"], "parents": ["C"], "cpd": {"0": [0.9, 0.1], "1": [0.2, 0.8]}}}})


@pytest.mark.parametrize("values, want", [
    ([True, False, None], [1, 0, MISSING]),                 # booleans on a 0/1 variable
    ([1, 0, np.nan], [1, 0, MISSING]),                      # whole numbers
    ([1.0, 0.0, float("nan")], [1, 0, MISSING]),
    (["1", " 0 ", None], [1, 0, MISSING]),                  # digit strings, spaces stripped
    (pd.Categorical(["1", "0", None]), [1, 0, MISSING]),    # categoricals
    (pd.array([1, 0, None], dtype="Int64"), [1, 0, MISSING]),
])
def test_one_value_rule(values, want):
    assert encode_values(values, ("0", "1")).tolist() == want


def test_the_rule_never_guesses():
    assert state_of("1.0", ("0", "1")) < 0          # text is matched as written
    assert state_of(True, ("no", "yes")) < 0         # True is not 'yes'
    assert state_of(True, ("False", "True")) == 1
    assert state_of(0.5, ("0.5", "1")) == 0


def test_every_entry_point_reads_booleans_the_same_way():
    frame = pd.DataFrame({"C": [True, False], "W": ["yes", "no"]})
    assert encode_frame(COIN, frame)[:, 0].tolist() == [1, 0]                  # tables
    bkt = pgmkit.example("bkt")                                                 # logs
    logs = pd.DataFrame({"sequence": [0, 0], "step": [0, 1], "correct": [True, False]})
    assert pack_logs(bkt.spec, logs, "sequence", "step").codes["correct"].tolist() == [1, 0]
    from pgmkit.backends.pyro.data import to_tensors                           # deep models

    tensors, _ = to_tensors(COIN, frame)
    assert tensors["C"].tolist() == [1, 0]
    bn = pgmkit.model(COIN)                                                     # evidence
    assert bn.query("W", {"C": True}) == bn.query("W", {"C": "1"}) == bn.query("W", {"C": 1})
    with pytest.raises(EvidenceError, match="boolean"):
        bn.query("C", {"W": True})
    with pytest.raises(DataError, match="column 'W', row 1: 'True' is not a state of 'W'"):
        encode_frame(COIN, pd.DataFrame({"W": ["no", True]}))


def test_real_vectors_are_x_bracket_i_for_every_class():
    spec = {"name": "pair", "variables": {
        "z": {"states": ["a", "b"], "latent": True, "cpd": [0.5, 0.5]},
        "x": {"real": [2], "parents": ["z"],
              "cpd": {"normal": {"loc": [[0, 0], [3, 3]], "scale": 1}}}}}
    mixture = pgmkit.model(spec)
    data = mixture.sample(30, seed=0)
    assert list(data.columns) == ["z", "x[0]", "x[1]"]
    deep = pgmkit.model(spec, backend="pyro")
    observed = data.drop(columns="z")
    # the same DataFrame goes to both classes, and they agree on log p(x) exactly
    np.testing.assert_allclose(deep.log_likelihood(observed, num_samples=1, per_row=True),
                               mixture.log_likelihood(observed, per_row=True), atol=1e-4)
    old = observed.rename(columns={"x[0]": "x_0", "x[1]": "x_1"})
    for model in (mixture, deep):
        with pytest.raises(DataError, match=r"x_0.*x\[0\]"):
            model.log_likelihood(old)


def _check_convention(total, rows, index):
    assert isinstance(total, float)
    assert isinstance(rows, pd.Series) and list(rows.index) == list(index)
    assert rows.sum() == pytest.approx(total, rel=1e-9)


def test_log_likelihood_is_a_total_and_per_row_a_series_on_every_class():
    bn = pgmkit.example("alarm")
    rows = bn.sample(6, seed=0).set_index(pd.Index(list("abcdef")))
    rows.iloc[1, 2] = None
    _check_convention(bn.log_likelihood(rows), bn.log_likelihood(rows, per_row=True), rows.index)

    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(3, 4, seed=0).drop(columns="weather")
    logs.index = logs.index + 100
    _check_convention(hmm.log_likelihood(logs), hmm.log_likelihood(logs, per_row=True),
                      logs.index)
    logs["group"] = logs["sequence"] % 2
    grouped = hmm.copy().fit(logs, groupby="group", max_iter=3, tol=-np.inf, progress=False)
    _check_convention(grouped.log_likelihood(logs), grouped.log_likelihood(logs, per_row=True),
                      logs.index)

    gmm = pgmkit.example("gmm")
    data = gmm.sample(5, seed=1).drop(columns="z").set_index(pd.Index([9, 8, 7, 6, 5]))
    _check_convention(gmm.log_likelihood(data), gmm.log_likelihood(data, per_row=True),
                      data.index)

    deep = pgmkit.DeepModel(pgmkit.example_spec("alarm"))
    frame = pd.DataFrame({"JohnCalls": ["yes", "no"], "MaryCalls": ["no", "no"]}, index=[4, 2])
    _check_convention(deep.log_likelihood(frame, num_samples=1),
                      deep.log_likelihood(frame, num_samples=1, per_row=True), frame.index)
    np.testing.assert_allclose(deep.log_likelihood(frame, num_samples=1, per_row=True),
                               bn.log_likelihood(frame, per_row=True), atol=1e-5)


def test_posterior_columns_are_named_alike_by_every_engine():
    gmm = pgmkit.example("gmm")
    data = gmm.sample(4, seed=0)
    mixture_cols = list(gmm.posterior(data.drop(columns="z")).columns)
    assert mixture_cols == [f"P(z={s})" for s in gmm.spec["z"].states]
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(2, 3, seed=0).drop(columns="weather")
    assert [c for c in hmm.smooth(logs).columns if c.startswith("P(")] == [
        f"P(weather={s})" for s in hmm.spec["weather"].states]
    bn = pgmkit.example("alarm")
    batch = bn.query_batch("Burglary", pd.DataFrame({"JohnCalls": ["yes"]}))
    assert list(batch.columns[:2]) == ["P(Burglary=no)", "P(Burglary=yes)"]
    assert batch.loc[0, "P(Burglary=yes)"] == pytest.approx(
        bn.query("Burglary", {"JohnCalls": "yes"})["yes"], abs=1e-12)
