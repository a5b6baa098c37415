"""Every engine on static discrete networks, through the public API, held against the
brute-force joint to 1e-9 (so against each other), or refusing with UnsupportedError."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import pgmkit
from tests.conformance.conftest import expect_support, joint_table, marginal

NETWORKS = {
    "asia": ({"xray": "yes", "dysp": "yes"}, ["lung", "tub"]),
    "alarm": ({"JohnCalls": "yes", "MaryCalls": "yes"}, ["Burglary", "Earthquake"]),
    "student": (None, None),
}
TOL = 1e-9


def _case(name):
    spec = pgmkit.example_spec(name)
    evidence, query = NETWORKS[name]
    if evidence is None:  # pick the last variable as evidence, the first two as the query
        last = spec.variables[-1]
        evidence, query = {last.name: last.states[-1]}, [spec.names[0], spec.names[1]]
    return spec, evidence, query


def _codes(spec, evidence):
    return {k: spec[k].index(s) for k, s in evidence.items()}


@pytest.fixture(params=sorted(NETWORKS))
def network(request):
    return _case(request.param)


def test_query(network, backend, request):
    spec, ev, query = network
    expect_support(request, spec, "query", backend)
    model = pgmkit.wrap(spec, backend=backend)
    got = model.query(query, ev).values
    names, joint = joint_table(spec)
    np.testing.assert_allclose(got, marginal(names, joint, query, _codes(spec, ev)), atol=TOL)


def test_query_with_backend_on_the_method(network, backend, request):
    spec, ev, query = network
    expect_support(request, spec, "query", backend)
    got = pgmkit.wrap(spec).query(query[0], ev, backend=backend).values
    names, joint = joint_table(spec)
    np.testing.assert_allclose(got, marginal(names, joint, [query[0]], _codes(spec, ev)), atol=TOL)


def test_probability(network, backend, request):
    spec, ev, _ = network
    expect_support(request, spec, "probability", backend)
    names, joint = joint_table(spec)
    index = tuple(_codes(spec, ev).get(n, slice(None)) for n in names)
    got = pgmkit.wrap(spec, backend=backend).probability(ev)
    assert abs(got - joint[index].sum()) < TOL


def test_map_subset_and_mpe(network, backend, request):
    spec, ev, query = network
    expect_support(request, spec, "map", backend)
    model = pgmkit.wrap(spec, backend=backend)
    names, joint = joint_table(spec)
    codes = _codes(spec, ev)
    post = marginal(names, joint, query, codes)
    best = model.map(query, ev)
    assert abs(best.probability - post.max()) < TOL
    full = model.map(evidence=ev)
    index = tuple(codes.get(n, slice(None)) for n in names)
    conditional = joint[index] / joint[index].sum()
    assert abs(full.probability - conditional.max()) < TOL


def test_log_likelihood_with_missing_cells(network, backend, request):
    spec, _, _ = network
    expect_support(request, spec, "log_likelihood", backend)
    data = pgmkit.wrap(spec, backend="contraction").sample(40, seed=3)
    data = data.mask(np.random.default_rng(0).random(data.shape) < 0.3)
    rows = pgmkit.wrap(spec, backend=backend).log_likelihood(data, per_row=True)
    names, joint = joint_table(spec)
    for i, (_, row) in enumerate(data.iterrows()):
        index = tuple(spec[n].index(row[n]) if isinstance(row[n], str) else slice(None)
                      for n in names)
        assert abs(rows.iloc[i] - math.log(joint[index].sum())) < TOL


def test_query_batch(network, backend, request):
    spec, ev, query = network
    expect_support(request, spec, "query_batch", backend)
    rows = pd.DataFrame([ev, {}, {k: v for k, v in list(ev.items())[:1]}])
    got = pgmkit.wrap(spec, backend=backend).query_batch(query[:1], rows)
    names, joint = joint_table(spec)
    for i, (_, row) in enumerate(rows.iterrows()):
        given = {k: spec[k].index(v) for k, v in row.items() if isinstance(v, str)}
        want = marginal(names, joint, query[:1], given)
        cols = [f"P({query[0]}={s})" for s in spec[query[0]].states]
        np.testing.assert_allclose(got.loc[i, cols].to_numpy(float), want, atol=TOL)
        p_evidence = joint[tuple(given.get(n, slice(None)) for n in names)].sum()
        assert abs(got.loc[i, "log_evidence"] - math.log(p_evidence)) < TOL


def test_query_batch_joint_matches_single_queries(backend, request):
    spec, ev, query = _case("asia")
    expect_support(request, spec, "query_batch", backend)
    got = pgmkit.wrap(spec, backend=backend).query_batch(query, pd.DataFrame([ev]), joint=True)
    names, joint = joint_table(spec)
    want = marginal(names, joint, query, _codes(spec, ev)).reshape(-1)
    np.testing.assert_allclose(got.iloc[0, :len(want)].to_numpy(float), want, atol=TOL)


@pytest.mark.parametrize("method", ["rejection", "likelihood"])
def test_sample(backend, method, request):
    spec, _, _ = _case("asia")
    expect_support(request, spec, "sample", backend)
    model = pgmkit.wrap(spec, backend=backend)
    ev = {"smoke": "yes"}
    draws = model.sample(3000, evidence=ev, seed=1, method=method)
    assert len(draws) == 3000 and (draws["smoke"] == "yes").all()
    names, joint = joint_table(spec)
    want = marginal(names, joint, ["bronc"], _codes(spec, ev))[spec["bronc"].index("yes")]
    weights = draws["weight"] if method == "likelihood" else np.ones(len(draws))
    got = float(np.sum(weights * (draws["bronc"] == "yes")) / np.sum(weights))
    assert abs(got - want) < 0.04            # ~4 standard errors at n = 3000
    again = model.sample(50, evidence=ev, seed=1, method=method)
    pd.testing.assert_frame_equal(again, model.sample(50, evidence=ev, seed=1, method=method))


def test_sample_without_evidence_matches_the_prior(backend, request):
    spec, _, _ = _case("asia")
    expect_support(request, spec, "sample", backend)
    draws = pgmkit.wrap(spec, backend=backend).sample(4000, seed=2)
    names, joint = joint_table(spec)
    want = marginal(names, joint, ["either"], {})[spec["either"].index("yes")]
    assert abs((draws["either"] == "yes").mean() - want) < 0.02


@pytest.mark.parametrize("method,prior", [("mle", "BDeu"), ("bayes", "BDeu"), ("bayes", "K2"),
                                          ("bayes", "dirichlet")])
def test_fit_by_counting_matches_the_counts(backend, method, prior, request):
    spec, _, _ = _case("asia")
    expect_support(request, spec, "fit", backend)
    data = pgmkit.wrap(spec, backend="contraction").sample(500, seed=4)
    fitted = pgmkit.wrap(spec, backend=backend).fit(data, method=method, prior=prior,
                                                    pseudo_count=2.0)
    var = spec["either"]                       # two parents: count by hand
    first, second = (p.name for p in var.parents)
    counts = pd.crosstab([data[first], data[second]], data["either"]).reindex(
        index=pd.MultiIndex.from_product([spec[first].states, spec[second].states]),
        columns=var.states, fill_value=0).to_numpy(float)
    if method == "bayes":
        counts = counts + {"BDeu": 2.0 / counts.size, "K2": 1.0, "dirichlet": 2.0}[prior]
    rows = counts.sum(axis=1, keepdims=True)
    want = np.where(rows > 0, counts / np.where(rows > 0, rows, 1), var.cpd.table.reshape(4, 2))
    np.testing.assert_allclose(fitted.spec["either"].cpd.table.reshape(4, 2), want, atol=TOL)
