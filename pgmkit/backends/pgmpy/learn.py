"""Table CPDs from complete data by pgmpy's estimators."""
from __future__ import annotations

import warnings

import numpy as np


def fit(model, codes: np.ndarray, columns: list[str], method: str, prior: str = "BDeu",
        strength: float = 1.0) -> tuple[dict, dict]:
    """The contract's ``fit``: ``MaximumLikelihoodEstimator`` or ``BayesianEstimator``
    (``prior`` BDeu with equivalent sample size ``strength``, K2, or ``dirichlet``)."""
    import pandas as pd

    from pgmkit.backends.pgmpy import pgmpy_module
    from pgmkit.backends.pgmpy.compile import compile_model
    from pgmkit.spec.cpd import TableCPD

    estimators = pgmpy_module("pgmpy.estimators")
    BayesianEstimator = estimators.BayesianEstimator
    MaximumLikelihoodEstimator = estimators.MaximumLikelihoodEstimator
    spec = model.spec
    net = compile_model(spec.with_cpds({v.name: TableCPD(np.full(
        tuple(spec[p.name].card for p in v.parents) + (v.card,), 1.0 / v.card))
        for v in spec.variables}))
    frame = pd.DataFrame({c: np.array(spec[c].states, dtype=object)[codes[:, j]]
                          for j, c in enumerate(columns)})
    states = {v.name: list(v.states) for v in spec.variables}
    cpds = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "bayes":
            est = BayesianEstimator(net, frame, state_names=states)
        else:
            est = MaximumLikelihoodEstimator(net, frame, state_names=states)
        for v in spec.variables:
            if method == "bayes":
                kwargs = ({"equivalent_sample_size": strength} if prior == "BDeu" else
                          {"pseudo_counts": np.full((v.card, int(np.prod(
                              [spec[p.name].card for p in v.parents] or [1]))), strength)}
                          if prior == "dirichlet" else {})
                cpd = est.estimate_cpd(v.name, prior_type=prior, **kwargs)
            else:
                cpd = est.estimate_cpd(v.name)
            table = _spec_order(cpd, spec, v)
            if method != "bayes":     # a parent row never seen keeps its previous values,
                table = _keep_unseen(spec, v, codes, columns, table)  # as every engine does
            cpds[v.name] = TableCPD(table)
    return cpds, {}


def _keep_unseen(spec, var, codes, columns, table: np.ndarray) -> np.ndarray:
    from pgmkit.backends.numpy.estimate import family_counts

    empty = family_counts(spec, codes, columns, var.name).sum(axis=-1) == 0
    if not empty.any():
        return table
    table = table.copy()
    table[empty] = var.cpd.table[empty] if var.cpd is not None else 1.0 / var.card
    return table


def _spec_order(cpd, spec, var) -> np.ndarray:
    """pgmpy's CPD values (child first, its own evidence order) in pgmkit's layout."""
    values = np.asarray(cpd.get_values(), dtype=float)
    names = list(cpd.variables)  # the child first, then its evidence
    cards = [len(cpd.state_names[n]) for n in names]
    arr = values.reshape(cards)
    index = tuple(np.array([cpd.state_names[n].index(s) for s in spec[n].states]) for n in names)
    arr = arr[np.ix_(*index)]
    order = [names.index(p.name) for p in var.parents] + [0]
    return np.transpose(arr, order)
