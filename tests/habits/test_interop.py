"""pgmpy and networkx in and out: the user's own objects come across with their numbers."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import pgmkit
from tests.conftest import brute_joint


def _pgmpy_student():
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    # evidence order (I, D) differs from pgmkit's parents order on purpose
    m = DiscreteBayesianNetwork([("D", "G"), ("I", "G")])
    m.add_cpds(TabularCPD("D", 2, [[0.6], [0.4]], state_names={"D": ["easy", "hard"]}),
               TabularCPD("I", 2, [[0.7], [0.3]], state_names={"I": ["low", "high"]}),
               TabularCPD("G", 3, [[0.3, 0.05, 0.9, 0.5], [0.4, 0.25, 0.08, 0.3],
                                   [0.3, 0.7, 0.02, 0.2]],
                          evidence=["I", "D"], evidence_card=[2, 2],
                          state_names={"G": ["A", "B", "C"], "I": ["low", "high"],
                                       "D": ["easy", "hard"]}))
    return m


def test_from_pgmpy_keeps_states_and_numbers():
    from pgmpy.inference import VariableElimination

    pg = _pgmpy_student()
    bn = pgmkit.model(pg)                                  # the user's habit
    assert isinstance(bn, pgmkit.BayesNet)
    assert bn.spec["G"].states == ("A", "B", "C")
    ve = VariableElimination(pg)
    for ev in ({"G": "C"}, {"G": "A", "D": "hard"}):
        theirs = ve.query(["I"], evidence=ev, show_progress=False)
        ours = bn.query("I", ev)
        for s in ("low", "high"):
            assert ours[s] == pytest.approx(theirs.get_value(I=s), abs=1e-12)
    # P(G=A | I=high, D=easy) = 0.9 from the table written with evidence order (I, D)
    assert bn.query("G", {"I": "high", "D": "easy"})["A"] == pytest.approx(0.9)


def test_from_pgmpy_refuses_what_it_cannot_read():
    with pytest.raises(pgmkit.UnsupportedError, match="received dict"):
        pgmkit.from_pgmpy({})
    from pgmpy.models import DiscreteBayesianNetwork

    bare = DiscreteBayesianNetwork([("A", "B")])
    with pytest.raises(pgmkit.SpecError, match="'A', 'B'.*states="):
        pgmkit.from_pgmpy(bare)
    fit_later = pgmkit.from_pgmpy(bare, states={"A": ["0", "1"], "B": ["x", "y"]})
    assert fit_later.spec.missing_cpds == ("A", "B")


def test_networkx_round_trip_and_fitting_a_bare_graph():
    truth = pgmkit.example("asia")
    g = truth.to_networkx()
    assert set(g.edges()) == {(p.name, v.name) for v in truth.spec.variables for p in v.parents}
    assert g.nodes["lung"]["states"] == list(truth.spec["lung"].states)
    assert pgmkit.from_networkx(g).spec == truth.spec
    bare = nx.DiGraph(g.edges())
    data = truth.sample(20000, seed=1)
    fitted = pgmkit.from_networkx(bare, data=data, name="asia")
    for v in truth.spec.variables:
        np.testing.assert_allclose(fitted.cpd(v.name).loc[truth.cpd(v.name).index,
                                                           list(truth.spec[v.name].states)],
                                   truth.cpd(v.name), atol=0.06)
    cyclic = nx.DiGraph([("a", "b"), ("b", "a")])
    with pytest.raises(pgmkit.SpecError, match="cycle"):
        pgmkit.from_networkx(cyclic, states={"a": ["0", "1"], "b": ["0", "1"]})


def test_temporal_graph_is_a_two_slice_template():
    g = pgmkit.example("factorial_hmm").to_networkx()
    assert g.nodes["h[t-1]"]["slice"] == "t-1" and g.edges["h[t-1]", "h"]["lag"] == 1
    assert g.nodes["h"]["latent"] and not g.nodes["x"]["latent"]


def test_labelled_cpd_and_dict_of_results():
    bn = pgmkit.example("alarm")
    table = bn.cpd("Alarm")
    assert table.index.names == ["Burglary", "Earthquake"]
    assert table.loc[("yes", "no"), "yes"] == pytest.approx(0.94)
    assert dict(bn.query("Burglary")) == {"no": 0.999, "yes": 0.001}
    joint = dict(bn.query(["Burglary", "Earthquake"]))
    names, brute = brute_joint(bn.spec)
    assert joint[("yes", "yes")] == pytest.approx(0.001 * 0.002)
    mpe = bn.map(evidence={"JohnCalls": "yes"})
    assert dict(mpe) == mpe.to_dict() and dict(mpe)["Alarm"] == "no"
    assert "<table" in bn.query("Burglary")._repr_html_()
    html = bn._repr_html_()
    assert "<svg" in html and "Burglary" in html


def test_soft_evidence_is_a_likelihood_on_the_states():
    bn = pgmkit.example("alarm")
    lik = {"yes": 0.8, "no": 0.3}
    got = bn.query(["Burglary"], {"MaryCalls": "yes"}, soft_evidence={"JohnCalls": lik})
    # by hand: sum_j P(B, M=yes, J=j) * lik(j), normalised
    names, joint = brute_joint(bn.spec)
    axes = {n: i for i, n in enumerate(names)}
    m = joint.take(bn.spec["MaryCalls"].index("yes"), axis=axes["MaryCalls"])
    rest = [n for n in names if n != "MaryCalls"]
    w = np.array([lik[s] for s in bn.spec["JohnCalls"].states])
    shape = [1] * m.ndim
    shape[rest.index("JohnCalls")] = -1
    weighted = (m * w.reshape(shape)).sum(axis=tuple(i for i, n in enumerate(rest)
                                                     if n != "Burglary"))
    np.testing.assert_allclose(got.values, weighted / weighted.sum(), atol=1e-12)
    hard = bn.query("Burglary", {"JohnCalls": "yes"})
    as_soft = bn.query("Burglary", soft_evidence={"JohnCalls": [0.0, 1.0]})
    np.testing.assert_allclose(as_soft.values, hard.values, atol=1e-12)
    with pytest.raises(pgmkit.EvidenceError, match="'maybe'"):
        bn.query("Burglary", soft_evidence={"JohnCalls": {"maybe": 1.0}})
    with pytest.raises(pgmkit.EvidenceError, match="one non-negative likelihood per state"):
        bn.query("Burglary", soft_evidence={"JohnCalls": [1.0]})
