"""The contract's promises: backend names and aliases, precise refusals, the kernels as
registered rules, exports to the engines' own objects."""
from __future__ import annotations

import numpy as np
import pytest

import pgmkit
from pgmkit.api import PREFERENCE
from pgmkit.backends.contract import engine, public_names
from pgmkit.errors import UnsupportedError

NEURAL_NET = {"name": "neural_bn", "variables": {
    "a": {"states": ["a0", "a1"], "cpd": [0.35, 0.65]},
    "b": {"states": ["b0", "b1", "b2"], "parents": ["a"],
          "cpd": {"neural": {"family": "categorical", "hidden": [4]}}}}}


def test_names_and_aliases():
    assert public_names()[:4] == ("pgmpy", "contraction", "forward_backward", "pyro")
    assert engine("batched").name == "contraction"
    assert engine("pomegranate").name == "forward_backward"
    assert pgmkit.example("alarm", backend="batched").backend == "contraction"
    with pytest.raises(UnsupportedError, match="unknown backend 'pgmpi' .*did you mean 'pgmpy'"):
        pgmkit.example("alarm", backend="pgmpi")


def test_preference_names_only_real_engines():
    for order in PREFERENCE.values():
        assert set(order) <= set(public_names())


def test_neural_cpd_in_a_bayesnet_is_refused_by_name_never_an_attribute_error():
    from pgmkit.bayesnet import BayesNet

    spec = pgmkit.model(NEURAL_NET).spec
    with pytest.raises(UnsupportedError, match="'query'.*kind 'neural'.*runs on 'pyro'"):
        BayesNet(spec, backend="contraction")
    bn = BayesNet(spec)                        # the default engine is the one that runs it
    assert bn.backend == "pyro"
    with pytest.raises(UnsupportedError, match=r"'sample' .*variable 'b' has a CPD of kind "
                                               r"'neural'.*backends that can: 'pyro'"):
        bn.sample(5, backend="contraction")
    draws = bn.sample(5, seed=0)
    assert set(draws["b"]) <= {"b0", "b1", "b2"}
    post = bn.query("a", {"b": "b1"})
    assert abs(post.values.sum() - 1) < 1e-12


def test_backend_pyro_keeps_query_and_map():
    bn = pgmkit.example("sprinkler", backend="pyro")
    assert type(bn).__name__ == "BayesNet"
    ref = pgmkit.example("sprinkler")
    np.testing.assert_allclose(bn.query("Rain", {"WetGrass": "yes"}).values,
                               ref.query("Rain", {"WetGrass": "yes"}).values, atol=1e-9)
    assert bn.map(evidence={"WetGrass": "yes"}).states == \
        ref.map(evidence={"WetGrass": "yes"}).states


def test_single_engine_classes_refuse_other_backends_per_method():
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(2, 3, seed=0)
    with pytest.raises(UnsupportedError, match="'smooth'.*backends that can: 'forward_backward'"):
        hmm.smooth(logs, backend="pgmpy")
    vae = pgmkit.example("vae")
    with pytest.raises(UnsupportedError, match="'fit_svi'.*backends that can: 'pyro'"):
        vae.sample(2, backend="contraction")


def test_exports():
    from pgmpy.models import DiscreteBayesianNetwork
    from pomegranate.hmm import DenseHMM

    bn = pgmkit.example("asia")
    net = bn.to_pgmpy()
    assert isinstance(net, DiscreteBayesianNetwork) and set(net.nodes()) == set(bn.variables)
    assert isinstance(pgmkit.example("hmm").to_pomegranate(), DenseHMM)
    with pytest.raises(UnsupportedError, match="forward_backward"):
        bn.to_pomegranate()
    model, guide = pgmkit.example("vae").to_pyro()
    assert callable(model) and callable(guide)
