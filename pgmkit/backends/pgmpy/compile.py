"""Spec -> pgmpy ``DiscreteBayesianNetwork``; one small rule per CPD kind."""
from __future__ import annotations

import warnings

from pgmkit.errors import SpecError, UnsupportedError
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import ModelSpec, Variable


def compile_cpd(cpd, spec: ModelSpec, var: Variable, as_written: bool = False):
    """pgmpy's CPD object for ``cpd``, by this backend's rule for its kind (``rules.py``)."""
    from pgmkit.backends.pgmpy.rules import ENGINE

    return ENGINE.rule(cpd, var)(cpd, spec, var, as_written)


def tabular_cpd(cpd: TableCPD, spec: ModelSpec, var: Variable, as_written: bool = False):
    from pgmkit.backends.pgmpy import pgmpy_module

    TabularCPD = pgmpy_module("pgmpy.factors.discrete").TabularCPD
    parents = [p.name for p in var.parents]
    state_names = {var.name: list(var.states)}
    state_names.update({p: list(spec[p].states) for p in parents})
    rows = (cpd.table if as_written else cpd.probabilities).reshape(-1, var.card)
    return TabularCPD(var.name, var.card, rows.T.copy(), evidence=parents or None,
                      evidence_card=[spec[p].card for p in parents] or None,
                      state_names=state_names)


def compile_model(spec: ModelSpec, as_written: bool = False):
    """Build a pgmpy ``DiscreteBayesianNetwork`` holding every CPD of ``spec``.

    Inference uses row-normalised tables (``TableCPD.probabilities``); writers pass
    ``as_written=True`` so a saved file holds exactly the spec's numbers.
    """
    from pgmkit.backends.pgmpy import pgmpy_module

    DiscreteBayesianNetwork = pgmpy_module("pgmpy.models").DiscreteBayesianNetwork
    if spec.temporal:
        raise UnsupportedError(f"backend 'pgmpy' compiles static networks; model '{spec.name}' is "
                               "temporal: use 'forward_backward' (DynamicBayesNet)")
    missing = spec.missing_cpds
    if missing:
        raise SpecError(f"model '{spec.name}': variable(s) {list(missing)} have no CPD; give one "
                        "or fit the model first")
    model = DiscreteBayesianNetwork()
    model.add_nodes_from(spec.names)
    model.add_edges_from((p.name, v.name) for v in spec.variables for p in v.parents)
    model.name = spec.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.add_cpds(*(compile_cpd(v.cpd, spec, v, as_written) for v in spec.variables))
    return model


def export(model):
    """The contract's ``export``: a pgmpy ``DiscreteBayesianNetwork`` with the spec's
    numbers as written (``model.to_pgmpy()``)."""
    return compile_model(model.spec, as_written=True)
