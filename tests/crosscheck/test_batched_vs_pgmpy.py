"""The batched engine against brute-force enumeration (1e-12) and pgmpy's variable
elimination (1e-8) on the bnlearn networks pgmpy ships, with random evidence patterns:
every row observes its own random subset of variables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import brute_joint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgmkit
from pgmkit.api import example_spec
from pgmkit.backends.contraction.compile import normalized
from pgmkit.backends.contraction.infer import STRATEGIES, query_batch
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import Discrete, ModelSpec, ParentRef, Variable
from pgmkit.spec.validate import check

EXACT = 1e-12
VS_PGMPY = 1e-8


# -- brute force on small random networks ------------------------------------------------
def random_network(seed: int, n_vars: int, zeros: bool) -> ModelSpec:
    """A random DAG (up to 3 parents each) with Dirichlet tables; ``zeros`` puts exact
    zeros in some rows so that impossible evidence can occur."""
    rng = np.random.default_rng(seed)
    variables = []
    for i in range(n_vars):
        card = int(rng.integers(2, 4))
        k = int(rng.integers(0, min(i, 3) + 1))
        parents = sorted(rng.choice(i, size=k, replace=False).tolist()) if k else []
        shape = [variables[p].card for p in parents] + [card]
        table = rng.dirichlet(np.ones(card), size=int(np.prod(shape[:-1]))).reshape(shape)
        if zeros:
            table = np.where(rng.random(shape) < 0.2, 0.0, table)
            table[..., 0] += (table.sum(-1) == 0)      # keep every row a distribution
            table = table / table.sum(-1, keepdims=True)
        variables.append(Variable(f"X{i}", Discrete(tuple(f"s{j}" for j in range(card))),
                                  tuple(ParentRef(f"X{p}") for p in parents), TableCPD(table)))
    return check(ModelSpec(f"random{seed}", tuple(variables)))


def random_evidence(spec: ModelSpec, rng, rows: int, p_observed: float) -> pd.DataFrame:
    data = {}
    for v in spec.variables:
        states = np.array(v.states, dtype=object)[rng.integers(0, v.card, rows)]
        states[rng.random(rows) >= p_observed] = None
        data[v.name] = states
    return pd.DataFrame(data)


def brute_posterior(spec, row: dict, query: list[str]):
    """P(query | row) by enumeration (``None`` if impossible) and P(row)."""
    names, joint = brute_joint(spec)
    idx = tuple(slice(None) if row.get(n) is None else spec[n].states.index(row[n])
                for n in names)
    sub = joint[idx]
    kept = [n for n in names if row.get(n) is None]
    p_e = sub.sum()
    if p_e == 0:
        return None, 0.0
    marg = sub.sum(axis=tuple(i for i, n in enumerate(kept) if n not in query))
    axes_now = [n for n in kept if n in query]
    return (marg / p_e, axes_now), p_e


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_vars=st.integers(2, 6), zeros=st.booleans(),
       p_obs=st.sampled_from([0.0, 0.3, 0.6, 1.0]), strategy=st.sampled_from(STRATEGIES))
def test_marginals_and_evidence_match_brute_force(seed, n_vars, zeros, p_obs, strategy):
    spec = random_network(seed, n_vars, zeros)
    rng = np.random.default_rng(seed + 1)
    rows = random_evidence(spec, rng, 12, p_obs)
    query = list(rng.choice(spec.names, size=min(2, n_vars), replace=False))
    out = query_batch(spec, query, rows, strategy=strategy, min_pattern_rows=2)
    for i in range(len(rows)):
        row = {k: v for k, v in rows.iloc[i].items() if v is not None and v == v}
        post, p_e = brute_posterior(spec, row, query)
        assert out["impossible"].iloc[i] == (p_e == 0)
        if p_e == 0:
            assert out["log_evidence"].iloc[i] == -np.inf
            assert out.filter(like="=").iloc[i].isna().all()
            continue
        assert abs(out["log_evidence"].iloc[i] - np.log(p_e)) <= EXACT * max(1, abs(np.log(p_e)))
        for q in query:
            cols = [f"P({q}={s})" for s in spec[q].states]
            got = out[cols].iloc[i].to_numpy(dtype=float)
            if q in row:
                want = np.eye(spec[q].card)[spec[q].states.index(row[q])]
            else:
                (table, axes) = post
                want = table.sum(axis=tuple(j for j, a in enumerate(axes) if a != q))
            np.testing.assert_allclose(got, want, rtol=0, atol=EXACT)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_vars=st.integers(2, 5),
       strategy=st.sampled_from(STRATEGIES))
def test_joint_matches_brute_force(seed, n_vars, strategy):
    spec = random_network(seed, n_vars, zeros=False)
    rng = np.random.default_rng(seed)
    rows = random_evidence(spec, rng, 6, 0.4)
    query = list(spec.names[-2:]) if n_vars > 2 else [spec.names[0]]
    out = query_batch(spec, query, rows, joint=True, strategy=strategy, min_pattern_rows=2)
    for i in range(len(rows)):
        row = {k: v for k, v in rows.iloc[i].items() if v is not None and v == v}
        names, joint = brute_joint(spec)
        idx = tuple(slice(None) if row.get(n) is None else spec[n].states.index(row[n])
                    for n in names)
        keep = np.zeros(joint.shape, bool)
        keep[idx] = True
        cond = np.where(keep, joint, 0.0)
        want = cond.sum(axis=tuple(j for j, n in enumerate(names) if n not in query))
        want = want / want.sum()
        order = [n for n in names if n in query]
        want = want.transpose([order.index(q) for q in query]).ravel()
        got = out.iloc[i, :len(want)].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=0, atol=EXACT)


# -- pgmpy variable elimination on the bnlearn networks ------------------------------------
def pgmpy_check(name: str, rows: int, n_evidence: int, seed: int = 0,
                strategy: str = "auto") -> float:
    """Largest |batched - pgmpy| over random evidence rows and three queried variables."""
    from pgmpy.inference import VariableElimination

    from pgmkit.backends.pgmpy.compile import compile_model

    spec = example_spec(name)
    rng = np.random.default_rng(seed)
    sample = pgmkit.example(name).sample(rows, seed=seed)
    evidence_vars = list(rng.choice(spec.names, size=min(n_evidence, len(spec) - 3),
                                    replace=False))
    evidence = sample[evidence_vars].astype(object)
    evidence = evidence.mask(rng.random(evidence.shape) < 0.3)
    others = [n for n in spec.names if n not in evidence_vars]
    query = list(rng.choice(others, size=3, replace=False))
    out = query_batch(spec, query, evidence, strategy=strategy, min_pattern_rows=2)
    assert not out["impossible"].any()            # rows were sampled from the model
    # pgmpy gets the tables the batched engine answers: bnlearn files round rows to sum
    # to 1 +- 3e-7, and the engines would otherwise answer slightly different models.
    ve = VariableElimination(compile_model(normalized(spec)))
    worst = 0.0
    for i in range(rows):
        given = {k: v for k, v in evidence.iloc[i].items() if isinstance(v, str)}
        for q in query:
            want = ve.query([q], evidence=given, show_progress=False)
            states = want.state_names[q]
            got = out.loc[out.index[i], [f"P({q}={s})" for s in states]].to_numpy(dtype=float)
            worst = max(worst, float(np.abs(got - want.values).max()))
    return worst


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", ["asia", "cancer", "earthquake", "survey", "sachs",
                                  "bnlearn:alarm", "child", "insurance", "water", "hailfinder"])
def test_matches_pgmpy_on_small_bnlearn_networks(name, strategy):
    assert pgmpy_check(name, rows=12, n_evidence=5, strategy=strategy) <= VS_PGMPY


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["auto", "patterns"])
@pytest.mark.parametrize("name", ["hepar2", "win95pts", "andes", "pathfinder", "mildew",
                                  "barley", "diabetes", "pigs", "munin1"])
def test_matches_pgmpy_on_large_bnlearn_networks(name, strategy):
    assert pgmpy_check(name, rows=6, n_evidence=6, strategy=strategy) <= VS_PGMPY


def test_log_evidence_matches_pgmpy_chain_rule():
    """log P(e) against pgmpy by the chain rule: P(e1..ek) = prod_j P(e_j | e_1..e_j-1)."""
    from pgmpy.inference import VariableElimination

    from pgmkit.backends.pgmpy.compile import compile_model

    spec = example_spec("bnlearn:alarm")
    rows = pd.DataFrame({"HRBP": ["HIGH", "LOW", None], "CVP": ["NORMAL", None, "LOW"],
                         "BP": [None, "LOW", "HIGH"], "HISTORY": ["TRUE", "FALSE", None]})
    out = query_batch(spec, [], rows)
    ve = VariableElimination(compile_model(normalized(spec)))
    for i in range(len(rows)):
        given = {k: v for k, v in rows.iloc[i].items() if isinstance(v, str)}
        log_p, seen = 0.0, {}
        for k, v in given.items():
            f = ve.query([k], evidence=dict(seen) or None, show_progress=False)
            log_p += np.log(f.values[f.state_names[k].index(v)])
            seen[k] = v
        assert abs(out["log_evidence"].iloc[i] - log_p) <= 1e-8
