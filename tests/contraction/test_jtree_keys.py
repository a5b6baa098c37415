"""Key columns in the junction tree: hard evidence that leaves the graph, and rows that
miss a key answered by conditioning on its states. Forced on small networks (where the
engine would not choose keys) so brute-force enumeration can check every number."""
from __future__ import annotations

import numpy as np
import pytest

from pgmkit.api import example_spec
from pgmkit.backends.contraction import propagate
from pgmkit.backends.contraction.compile import compile_net
from pgmkit.backends.contraction.infer import query_batch
from pgmkit.backends.contraction.jtree import build_tree
from pgmkit.data.tables import encode_frame
from tests.contraction.test_jtree import assert_every_marginal_is_brute_force
from tests.crosscheck.test_batched_vs_pgmpy import (EXACT, VS_PGMPY, brute_posterior,
                                                     pgmpy_check, random_evidence,
                                                     random_network)


@pytest.fixture
def forced_keys(monkeypatch):
    """Make every network take up to three keys, whatever the gain."""
    monkeypatch.setattr(propagate, "KEY_CLIQUE", 0)
    monkeypatch.setattr(propagate, "KEY_GAIN", np.inf)
    monkeypatch.setattr(propagate, "MAX_KEYS", 3)


def keys_used(spec) -> tuple:
    found = [v for k, v in compile_net(spec).plans.items() if k[0] == "jtree-keys"]
    assert found, "the junction tree was not used"
    return found[-1]


@pytest.mark.parametrize("seed", range(8))
def test_keys_and_conditioning_match_brute_force(seed, forced_keys):
    spec = random_network(100 + seed, 7, zeros=seed % 2 == 1)
    compile_net(spec).plans.clear()
    rows = random_evidence(spec, np.random.default_rng(seed), 40, 0.6)
    out = query_batch(spec, list(spec.names), rows, strategy="jtree")
    assert keys_used(spec)
    assert_every_marginal_is_brute_force(spec, rows, out)


@pytest.mark.parametrize("seed", range(4))
def test_one_query_with_keys_matches_brute_force(seed, forced_keys):
    spec = random_network(200 + seed, 8, zeros=False)
    compile_net(spec).plans.clear()
    rows = random_evidence(spec, np.random.default_rng(seed), 30, 0.5)
    query = spec.names[seed]
    out = query_batch(spec, [query], rows, strategy="jtree")
    assert keys_used(spec)
    for i in range(len(rows)):
        row = {k: v for k, v in rows.iloc[i].items() if isinstance(v, str)}
        (marg, axes), p_e = brute_posterior(spec, row, [query])
        got = out.loc[out.index[i], [f"P({query}={s})" for s in spec[query].states]]
        want = marg if axes else np.eye(spec[query].card)[spec[query].states.index(row[query])]
        np.testing.assert_allclose(got.to_numpy(dtype=float), want, rtol=0, atol=EXACT)


def test_every_column_hard_leaves_only_scalars_and_small_cliques():
    """All evidence hard on a row observing everything: the tree is empty and the
    log evidence is the sum of the sliced CPD entries."""
    spec = random_network(7, 6, zeros=False)
    net = compile_net(spec)
    rows = random_evidence(spec, np.random.default_rng(0), 5, 1.0)
    codes = encode_frame(spec, rows, list(spec.names))
    everything = tuple(range(len(spec)))
    plan = build_tree(net, everything, (), hard=everything)
    assert not plan.cliques and len(plan.scalars) == len(spec)
    log_ev, _ = propagate.run(plan, {v: codes[:, v] for v in everything}, len(rows))
    for i in range(len(rows)):
        _, p_e = brute_posterior(spec, dict(rows.iloc[i]), [])
        assert log_ev[i] == pytest.approx(np.log(p_e), abs=1e-12)


def test_keys_shrink_the_tree_on_andes_and_agree_with_pgmpy():
    """andes with half of it observed: the engine picks keys by itself (its all-soft
    tree holds a 2**18-entry clique) and still agrees with pgmpy."""
    spec = example_spec("bnlearn:andes")
    assert pgmpy_check("bnlearn:andes", rows=4, n_evidence=len(spec) // 2,
                       strategy="jtree") <= VS_PGMPY
    keys = keys_used(spec)
    assert 1 <= len(keys) <= propagate.MAX_KEYS
    plans = [p for k, p in compile_net(spec).plans.items() if k[0] == "jtree" and k[-1] == keys]
    assert plans and plans[0].elements_per_row < 200_000


def test_a_row_missing_every_key_is_bounded_and_exact(forced_keys, monkeypatch):
    """Keys stop at MAX_COPIES joint states; a row missing all of them is still exact."""
    monkeypatch.setattr(propagate, "MAX_KEYS", 8)
    monkeypatch.setattr(propagate, "MAX_COPIES", 8)
    spec = random_network(300, 8, zeros=False)
    compile_net(spec).plans.clear()
    rows = random_evidence(spec, np.random.default_rng(3), 12, 0.9)
    rows.iloc[0] = None
    rows.iloc[0, 0] = spec.variables[0].states[0]
    out = query_batch(spec, list(spec.names), rows, strategy="jtree")
    keys = keys_used(spec)
    assert np.prod([spec.variables[k].card for k in keys]) <= 8
    row = {spec.names[0]: spec.variables[0].states[0]}
    (marg, axes), p_e = brute_posterior(spec, row, list(spec.names))
    assert out["log_evidence"].iloc[0] == pytest.approx(np.log(p_e), abs=1e-12)
    last = spec.names[-1]
    k = axes.index(last)
    want = marg.sum(axis=tuple(j for j in range(marg.ndim) if j != k))
    got = out.loc[out.index[0], [f"P({last}={s})" for s in spec[last].states]]
    np.testing.assert_allclose(got.to_numpy(dtype=float), want, rtol=0, atol=EXACT)


@pytest.fixture
def tabled(monkeypatch):
    """Tabulate every small-evidence subtree, whatever the number of rows."""
    monkeypatch.setattr(propagate, "TABLE_ROWS", 0)
    monkeypatch.setattr(propagate, "TABLE_CODES", 10 ** 6)


def tables_built(spec) -> int:
    plans = [p for k, p in compile_net(spec).plans.items() if k[0] == "jtree"]
    return sum(len(p.subtrees or {}) for p in plans)


@pytest.mark.parametrize("seed", range(8))
def test_tabulated_subtrees_match_brute_force(seed, tabled):
    """One query, rooted away from most of the tree: the subtrees below are answered by
    gathers from their tables (zeros and impossible rows included)."""
    spec = random_network(400 + seed, 8, zeros=seed % 2 == 1)
    compile_net(spec).plans.clear()
    rows = random_evidence(spec, np.random.default_rng(seed), 40, 0.6)
    query = spec.names[seed % 3]
    out = query_batch(spec, [query], rows, strategy="jtree")
    assert tables_built(spec) >= 1
    for i in range(len(rows)):
        row = {k: v for k, v in rows.iloc[i].items() if isinstance(v, str)}
        post, p_e = brute_posterior(spec, row, [query])
        assert bool(out["impossible"].iloc[i]) == (p_e == 0)
        if p_e == 0:
            continue
        assert out["log_evidence"].iloc[i] == pytest.approx(np.log(p_e), abs=EXACT * 10)
        marg, axes = post
        want = marg if axes else np.eye(spec[query].card)[spec[query].states.index(row[query])]
        got = out.loc[out.index[i], [f"P({query}={s})" for s in spec[query].states]]
        np.testing.assert_allclose(got.to_numpy(dtype=float), want, rtol=0, atol=EXACT)


def test_tabulated_subtrees_with_keys_agree_with_pgmpy(tabled, forced_keys):
    """Tables over hard keys and the copies of rows missing them, on alarm."""
    assert pgmpy_check("bnlearn:alarm", rows=8, n_evidence=18, strategy="jtree") <= VS_PGMPY
    assert tables_built(example_spec("bnlearn:alarm")) >= 1
