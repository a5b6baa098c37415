"""The one EM driver: statistics that add across partitions, one prior default, symmetry
broken by default, warnings on non-convergence and collapse."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.api import example_spec
from pgmkit.backends.contraction.learn import TableEM, fit_em
from pgmkit.backends.forward_backward.compile import params_from_specs
from pgmkit.backends.forward_backward.learn import ChainEM
from pgmkit.data.sequences import group_labels, pack_logs
from pgmkit.errors import CollapseWarning, ConvergenceWarning, DataError
from pgmkit.learn import em
from pgmkit.spec.build import build_spec

LATENT = build_spec({"name": "latent_class", "variables": {
    "Z": {"states": ["a", "b"], "latent": True, "cpd": [0.35, 0.65]},
    "X1": {"states": ["0", "1", "2"], "parents": ["Z"],
           "cpd": {"a": [0.7, 0.2, 0.1], "b": [0.1, 0.3, 0.6]}},
    "X2": {"states": ["0", "1"], "parents": ["Z"], "cpd": {"a": [0.8, 0.2], "b": [0.25, 0.75]}},
}})


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_table_statistics_of_two_halves_add_to_those_of_the_whole():
    alarm = example_spec("alarm")
    rng = np.random.default_rng(0)
    df = pgmkit.model(alarm).sample(600, seed=1).drop(columns="Alarm")
    df = df.astype(object).mask(rng.random(df.shape) < 0.3)
    problem = TableEM(alarm, list(df.columns), ["Alarm"])
    params = problem.start(1, np.random.default_rng(2))        # a random point
    whole = problem.summarize(params, problem.partition(df))
    halves = (problem.summarize(params, problem.partition(df.iloc[:250]))
              + problem.summarize(params, problem.partition(df.iloc[250:], first_row=250)))
    assert halves.n == whole.n == 600
    _close(halves.loglik, whole.loglik)
    for a, b in zip(halves.counts, whole.counts):
        _close(a, b)


def test_chain_statistics_of_two_halves_add_with_global_group_codes():
    bkt = pgmkit.example("bkt")
    logs = bkt.sample_sequences(40, 9, seed=3).drop(columns="mastery")
    logs["skill"] = np.where(logs["sequence"] % 3 == 0, "add", np.where(
        logs["sequence"] % 3 == 1, "mul", "sub"))
    # the first half lacks 'sub' entirely: only global codes line its statistics up
    first = logs[logs["skill"] != "sub"]
    second = logs[logs["skill"] == "sub"]
    labels = group_labels(logs["skill"])
    assert labels == ("add", "mul", "sub")
    layout = bkt.layout
    whole_batch = pack_logs(bkt.spec, logs, "sequence", "step", "skill", groups=labels)
    problem = ChainEM(layout, params_from_specs(layout, [bkt.spec]), len(labels), whole_batch)
    params = problem.start(1, np.random.default_rng(4))       # different per group
    whole = problem.summarize(params, problem.partition(whole_batch))
    parts = [problem.partition(pack_logs(bkt.spec, part, "sequence", "step", "skill",
                                         groups=labels)) for part in (first, second)]
    halves = problem.summarize(params, parts[0]) + problem.summarize(params, parts[1])
    assert halves.n == whole.n == len(logs)
    for field in ("loglik", "gamma0", "gamma", "xi"):
        _close(getattr(halves, field), getattr(whole, field))
    _close(halves.emit["correct"], whole.emit["correct"])
    with pytest.raises(DataError, match="group 'div'"):
        pack_logs(bkt.spec, logs.assign(skill="div"), "sequence", "step", "skill", groups=labels)


def test_gaussian_statistics_add():
    g = pgmkit.example("gaussian_hmm")
    logs = g.sample_sequences(12, 15, seed=5).drop(columns="regime")
    logs.loc[logs.index % 7 == 0, "x"] = np.nan
    whole_batch = pack_logs(g.spec, logs, "sequence", "step")
    problem = ChainEM(g.layout, params_from_specs(g.layout, [g.spec]), 1, whole_batch)
    params = problem.start(0, np.random.default_rng(0))
    whole = problem.summarize(params, problem.partition(whole_batch))
    cut = logs["sequence"] < 5
    halves = [problem.summarize(params, problem.partition(
        pack_logs(g.spec, logs[m], "sequence", "step"))) for m in (cut, ~cut)]
    halves = halves[0] + halves[1]
    for a, b in zip(halves.gauss["x"], whole.gauss["x"]):
        _close(a, b)
    _close(halves.xi, whole.xi)


def test_one_prior_default_for_every_em_fit():
    assert em.PSEUDO_COUNT == 0.0
    df = pgmkit.model(LATENT).sample(300, seed=0).drop(columns="Z")
    bn = pgmkit.model(LATENT).fit(df, method="em", seed=0, progress=False)
    _, direct = fit_em(LATENT, df, seed=0)
    assert bn.history.extra["pseudo_count"] == 0.0
    assert bn.history.log_likelihood == direct.log_likelihood
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(10, 10, seed=0).drop(columns="weather")
    assert hmm.fit(logs, progress=False).history.extra["pseudo_count"] == 0.0
    gmm = pgmkit.example("gmm")
    assert gmm.fit(gmm.sample(100, seed=0).drop(columns="z"), progress=False
                   ).history.extra["pseudo_count"] == 0.0


def test_default_restarts_one_from_a_given_start_three_from_a_blank_one():
    df = pgmkit.model(LATENT).sample(200, seed=1).drop(columns="Z")
    _, given = fit_em(LATENT, df, seed=0)
    blank = LATENT.replace(variables=tuple(dataclasses.replace(v, cpd=None) for v in LATENT))
    _, random = fit_em(blank, df, seed=0)
    assert len(given.restarts) == 1 and len(random.restarts) == em.RANDOM_RESTARTS
    with pytest.raises(DataError, match="restarts"):
        fit_em(LATENT, df, restarts=0)


def test_symmetric_gaussian_hmm_separates():
    truth = pgmkit.example("gaussian_hmm")
    logs = truth.sample_sequences(30, 60, seed=2).drop(columns="regime")
    spec = truth.spec
    x = spec["x"]
    same = dataclasses.replace(x.cpd, loc=np.zeros_like(x.cpd.loc), scale=np.ones_like(x.cpd.scale))
    symmetric = pgmkit.DynamicBayesNet(spec.with_cpds({"x": same}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        # fit works in place: each fit starts from its own copy of the symmetric model
        one = symmetric.copy().fit(logs, restarts=1, seed=0, max_iter=300, progress=False)
        fitted = symmetric.copy().fit(logs, seed=0, max_iter=300, progress=False)
    assert np.diff(np.sort(one.spec["x"].cpd.loc)).min() > 0.05     # no longer identical
    # a symmetric start counts as a random one: the default then runs several starts
    assert len(fitted.history.restarts) == em.RANDOM_RESTARTS
    np.testing.assert_allclose(np.sort(fitted.spec["x"].cpd.loc), [-2.0, 0.0, 3.0], atol=0.2)


def test_non_convergence_warns_unless_a_fixed_number_of_steps_was_asked():
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(20, 20, seed=0).drop(columns="weather")
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        hmm.fit(logs, max_iter=2, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        hmm.fit(logs, max_iter=2, tol=-np.inf, progress=False)
    df = pgmkit.model(LATENT).sample(200, seed=1).drop(columns="Z")
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        pgmkit.model(LATENT).fit(df, method="em", max_iter=2)


def test_collapsed_states_warn():
    # every row the same: whatever the start, both states of Z explain it alike
    df = pd.DataFrame({"X1": ["0"] * 50, "X2": ["1"] * 50})
    with pytest.warns(CollapseWarning, match="states 'a' and 'b' of 'Z'"):
        fit_em(LATENT, df, seed=0)
    gmm = pgmkit.example("gmm")
    with pytest.warns(CollapseWarning, match="of 'z'"):
        gmm.fit(pd.DataFrame({"x": np.full(40, 1.5)}), progress=False)


def test_healthy_fit_gives_no_warning():
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(30, 30, seed=1).drop(columns="weather")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hmm.fit(logs, max_iter=500, progress=False)


def test_sequence_codes_are_global():
    from pgmkit.data.sequences import sequence_keys

    bkt = pgmkit.example("bkt")
    logs = bkt.sample_sequences(6, 3, seed=0).drop(columns="mastery")
    logs["skill"] = np.where(logs["sequence"] < 3, "a", "b")
    keys = sequence_keys(logs, "sequence", "skill")
    whole = pack_logs(bkt.spec, logs, "sequence", "step", "skill")
    part = pack_logs(bkt.spec, logs[logs["sequence"] >= 4], "sequence", "step", "skill",
                     groups=group_labels(logs["skill"]), sequences=keys)
    assert sorted(part.sequence_codes.tolist()) == [4, 5]
    assert [keys[c] for c in whole.sequence_codes] == list(zip(
        np.asarray(whole.groups, dtype=object)[whole.group_codes], whole.sequence_ids))
    with pytest.raises(DataError, match="not one of the sequences"):
        pack_logs(bkt.spec, logs.assign(sequence=logs["sequence"] + 100), "sequence", "step",
                  "skill", sequences=keys)
