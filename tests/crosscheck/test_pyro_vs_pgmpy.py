"""One spec, one model: discrete networks compiled to Pyro and summed by enumeration give
the same log P(evidence) and posteriors as pgmpy's variable elimination (to 1e-6)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pgmkit
from pgmkit.backends.pyro import infer as enum
from pgmkit.backends.pyro.compile import Program

TOL = 1e-6

CASES = [
    ("alarm", {"JohnCalls": "yes", "MaryCalls": "yes"}),
    ("alarm", {"JohnCalls": "yes", "MaryCalls": "no"}),
    ("alarm", {"Alarm": "yes"}),
    ("alarm", {"Earthquake": "yes", "MaryCalls": "yes"}),
    ("alarm", {}),
    ("bnlearn:asia", {"xray": "yes", "dysp": "yes"}),
    ("bnlearn:asia", {"smoke": "no", "dysp": "yes", "asia": "yes"}),
    ("bnlearn:asia", {"either": "yes"}),
    ("bnlearn:asia", {"tub": "no", "lung": "no", "xray": "yes"}),
]


def _pyro_side(spec, evidence):
    program = Program(spec, dtype=torch.float64)
    data = {k: torch.tensor([spec[k].states.index(v)]) for k, v in evidence.items()}
    hidden = [n for n in spec.names if n not in evidence]
    if not data:  # no evidence: P() = 1, and the marginals are the priors
        data = {}
    log_p = float(enum.log_evidence(program, data, 1)[0]) if data else 0.0
    post = enum.marginals(program, data, 1, hidden)
    return log_p, {v: post[v][0].numpy() for v in hidden}


@pytest.mark.parametrize("name,evidence", CASES, ids=[f"{n}-{sorted(e)}" for n, e in CASES])
def test_same_log_evidence_and_posteriors(name, evidence):
    bn = pgmkit.example(name)
    spec = bn.spec
    log_p, post = _pyro_side(spec, evidence)
    if evidence:
        assert log_p == pytest.approx(math.log(bn.probability(evidence)), abs=TOL)
    for var, probs in post.items():
        ref = bn.query(var, evidence)
        expected = np.array([ref[s] for s in spec[var].states])
        np.testing.assert_allclose(probs, expected, atol=TOL, err_msg=f"P({var} | {evidence})")


def test_textbook_numbers_through_pyro():
    """AIMA: P(Burglary=yes | JohnCalls=yes, MaryCalls=yes) = 0.2842."""
    _, post = _pyro_side(pgmkit.example("alarm").spec, {"JohnCalls": "yes", "MaryCalls": "yes"})
    assert post["Burglary"][1] == pytest.approx(0.28417, abs=5e-5)


def test_deep_facade_on_a_discrete_spec_gives_exact_log_likelihood():
    """A DeepModel of a discrete net: the IWAE bound with no continuous latent is exact.
    (``backend='pyro'`` alone keeps a discrete net a BayesNet, queried by enumeration.)"""
    bn = pgmkit.example("alarm")
    deep = pgmkit.DeepModel(bn.spec)
    rows = {"JohnCalls": ["yes", "no", "yes"], "MaryCalls": ["yes", "yes", "no"]}
    got = deep.log_likelihood(rows, num_samples=1, per_row=True)
    want = [math.log(bn.probability({"JohnCalls": j, "MaryCalls": m}))
            for j, m in zip(rows["JohnCalls"], rows["MaryCalls"])]
    np.testing.assert_allclose(got, want, atol=1e-5)  # float32 facade
