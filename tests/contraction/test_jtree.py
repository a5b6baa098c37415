"""The junction-tree engine: wide evidence tables, all marginals, imputation, tiny
evidence, exact conditional sampling, and the facade's own engine against pgmpy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.api import example_spec
from pgmkit.backends.contraction.compile import compile_net, normalized
from pgmkit.backends.contraction.infer import query_batch
from pgmkit.backends.contraction.jtree import build_tree
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import Discrete, ModelSpec, ParentRef, Variable
from pgmkit.spec.validate import check
from tests.crosscheck.test_batched_vs_pgmpy import (EXACT, VS_PGMPY, brute_posterior,
                                                     pgmpy_check, random_evidence,
                                                     random_network)


@pytest.mark.parametrize("seed", range(6))
def test_wide_tables_every_marginal_matches_brute_force(seed):
    spec = random_network(seed, 7, zeros=seed % 2 == 1)
    rows = random_evidence(spec, np.random.default_rng(seed), 40, 0.6)
    out = query_batch(spec, list(spec.names), rows, strategy="jtree")
    assert_every_marginal_is_brute_force(spec, rows, out)


def assert_every_marginal_is_brute_force(spec, rows, out) -> None:
    """Each row's log evidence and every variable's posterior against enumeration."""
    for i in range(len(rows)):
        row = {k: v for k, v in rows.iloc[i].items() if isinstance(v, str)}
        post, p_e = brute_posterior(spec, row, list(spec.names))
        assert bool(out["impossible"].iloc[i]) == (p_e == 0)
        if p_e == 0:
            continue
        assert out["log_evidence"].iloc[i] == pytest.approx(np.log(p_e), abs=EXACT * 10)
        marg, axes = post
        for name in spec.names:
            cols = [f"P({name}={s})" for s in spec[name].states]
            got = out.loc[out.index[i], cols].to_numpy(dtype=float)
            if name in row:
                want = np.eye(spec[name].card)[spec[name].states.index(row[name])]
            else:
                k = axes.index(name)
                want = marg.sum(axis=tuple(j for j in range(marg.ndim) if j != k))
            np.testing.assert_allclose(got, want, rtol=0, atol=EXACT)


@pytest.mark.parametrize("name", ["bnlearn:alarm", "insurance", "hailfinder"])
def test_wide_tables_match_pgmpy(name):
    """Half the network observed, 30% of those cells missing: every row its own pattern."""
    assert pgmpy_check(name, rows=6, n_evidence=len(example_spec(name)) // 2,
                       strategy="jtree") <= VS_PGMPY


def test_the_tree_is_compiled_once_per_table_not_per_pattern():
    spec = example_spec("bnlearn:alarm")
    rows = random_evidence(spec, np.random.default_rng(1), 300, 0.5)
    net = compile_net(spec)
    net.plans.clear()
    query_batch(spec, ["HR", "BP"], rows, strategy="jtree")
    assert sum(1 for k in net.plans if k[0] == "jtree") == 1


def naive_bayes(features: int, seed: int = 0) -> ModelSpec:
    rng = np.random.default_rng(seed)
    variables = [Variable("C", Discrete(("a", "b", "c")), (), TableCPD(np.array([.5, .3, .2])))]
    for i in range(features):
        table = rng.dirichlet(np.ones(16), size=3)
        variables.append(Variable(f"F{i}", Discrete(tuple(str(k) for k in range(16))),
                                  (ParentRef("C"),), TableCPD(table)))
    return check(ModelSpec("nb", tuple(variables)))


def test_evidence_of_probability_1e_minus_680_is_not_impossible():
    spec = naive_bayes(400)
    bn = pgmkit.model(spec)
    row = bn.sample(1, seed=4).drop(columns=["C"])
    out = bn.query_batch("C", row)
    logs = [np.log(spec["C"].cpd.table[c]) + sum(
        np.log(spec[f"F{i}"].cpd.table[c, int(row.iloc[0][f"F{i}"])]) for i in range(400))
        for c in range(3)]
    want = np.logaddexp.reduce(logs)
    assert want < np.log(1e-300)                   # far below float64's range
    assert not out["impossible"].iloc[0]
    assert out["log_evidence"].iloc[0] == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(out[["P(C=a)", "P(C=b)", "P(C=c)"]].to_numpy()[0],
                               np.exp(np.array(logs) - want), atol=1e-12)
    assert bn.log_likelihood(row) == pytest.approx(want, rel=1e-12)


def test_impute_fills_each_gap_with_its_most_probable_state():
    spec = example_spec("asia")
    bn = pgmkit.model(spec)
    rows = random_evidence(spec, np.random.default_rng(3), 30, 0.5)
    rows.iloc[0] = None                            # a row with nothing observed
    out = bn.impute(rows)
    for i in range(len(rows)):
        row = {k: v for k, v in rows.iloc[i].items() if isinstance(v, str)}
        post, p_e = brute_posterior(spec, row, list(spec.names))
        if p_e == 0:
            continue
        marg, axes = post
        for name in spec.names:
            if name in row:
                assert out[name].iloc[i] == row[name]
                assert np.isnan(out[f"{name}.probability"].iloc[i]) or name not in \
                    rows.columns[rows.isna().any()]
                continue
            k = axes.index(name)
            want = marg.sum(axis=tuple(j for j in range(marg.ndim) if j != k))
            assert out[f"{name}.probability"].iloc[i] == pytest.approx(want.max(), abs=1e-12)
            assert want[spec[name].states.index(out[name].iloc[i])] == pytest.approx(want.max())


def test_exact_conditional_sampling_targets_the_posterior():
    spec = random_network(11, 6, zeros=False)
    bn = pgmkit.model(spec)
    evidence = {"X5": "s0", "X3": "s1"}
    rows = bn.sample(40_000, evidence=evidence, seed=2)
    assert (rows.X5 == "s0").all() and (rows.X3 == "s1").all()
    free = [n for n in spec.names if n not in evidence]
    post = bn.query(free, evidence)
    counts = rows.groupby(free).size() / len(rows)
    tv = 0.5 * sum(abs(counts.get(k, 0.0) - p) for k, p in post.items())
    assert tv < 0.03


def test_exact_sampling_does_not_depend_on_the_evidence_probability():
    bn = pgmkit.example("bnlearn:alarm")
    evidence = {"HR": "LOW", "BP": "HIGH", "CVP": "HIGH", "PRESS": "ZERO", "EXPCO2": "LOW",
                "HRSAT": "HIGH"}
    p = bn.probability(evidence)
    assert 0 < p < 1e-5
    rows = bn.sample(10_000, evidence=evidence, seed=0)
    assert all((rows[k] == v).all() for k, v in evidence.items())
    freq = (rows.INTUBATION == "NORMAL").mean()
    assert abs(freq - bn.query("INTUBATION", evidence)["NORMAL"]) < 0.02


def test_impossible_evidence_is_refused_by_exact_sampling():
    bn = pgmkit.example("asia")
    with pytest.raises(pgmkit.EvidenceError, match="impossible"):
        bn.sample(5, evidence={"tub": "yes", "either": "no"})


@pytest.mark.parametrize("name", ["asia", "alarm", "bnlearn:alarm"])
def test_own_engine_and_pgmpy_agree_through_the_facade(name):
    ours = pgmkit.model(normalized(example_spec(name)))
    theirs = pgmkit.model(ours.spec, backend="pgmpy")
    assert ours.backend == "contraction" and theirs.backend == "pgmpy"
    rng = np.random.default_rng(0)
    sample = ours.sample(3, seed=1)
    for i in range(3):
        names = list(rng.choice(ours.variables, size=4, replace=False))
        evidence = {k: sample[k].iloc[i] for k in names[2:]}
        a, b = ours.query(names[:2], evidence), theirs.query(names[:2], evidence)
        np.testing.assert_allclose(a.values, b.values, atol=VS_PGMPY)
        assert ours.probability(evidence) == pytest.approx(theirs.probability(evidence),
                                                           rel=1e-8)
        assert ours.map(names[:1], evidence).states == theirs.map(names[:1], evidence).states


def test_tree_cost_guard_refuses_before_building_tables():
    spec = example_spec("munin")
    net = compile_net(spec)
    with pytest.raises(pgmkit.CostError, match="too costly"):
        build_tree(net, range(len(spec)), (), max_cost=1e3)


def test_impute_on_a_wide_table_warns_nothing_and_keeps_the_column_order():
    """120 columns with gaps: the result is built at once (no pandas fragmentation
    warning), columns first, then one probability column per gap column."""
    import warnings

    spec = naive_bayes(120, seed=2)
    rows = random_evidence(spec, np.random.default_rng(5), 20, 0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pgmkit.model(spec).impute(rows)
    gaps = [c for c in rows.columns if rows[c].isna().any()]
    assert len(gaps) > 100
    assert list(out.columns) == list(rows.columns) + [f"{c}.probability" for c in gaps]
    assert not out[list(rows.columns)].isna().any().any()
