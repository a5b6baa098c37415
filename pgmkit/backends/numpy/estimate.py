"""Closed-form parameter estimates for table CPDs from complete data.

Counts are taken with one ``bincount`` per family; the result is the maximum-likelihood
table, or the posterior mean under a Dirichlet prior (``bayes``), which is what pgmpy's
``MaximumLikelihoodEstimator`` and ``BayesianEstimator`` compute (the tests check it).
"""
from __future__ import annotations

import logging

import numpy as np

from pgmkit.errors import DataError
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import ModelSpec

log = logging.getLogger(__name__)

PRIORS = ("BDeu", "K2", "dirichlet")


def family_counts(spec: ModelSpec, codes: np.ndarray, columns: list[str], name: str,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """Counts of (parents..., child) for ``name``, shape ``(*parent_cards, card)``."""
    var = spec[name]
    family = [p.name for p in var.parents] + [name]
    shape = tuple(spec[f].card for f in family)
    flat = np.ravel_multi_index(tuple(codes[:, columns.index(f)] for f in family), shape)
    return np.bincount(flat, weights=weights, minlength=int(np.prod(shape))).reshape(shape)


def pseudo_counts(spec: ModelSpec, name: str, prior: str, strength: float) -> np.ndarray | float:
    """Dirichlet pseudo-counts per cell: BDeu spreads ``strength`` (equivalent sample size)
    over the family's cells, K2 adds 1, ``dirichlet`` adds ``strength`` to every cell."""
    var = spec[name]
    cells = var.card * int(np.prod([spec[p.name].card for p in var.parents]))
    if prior == "BDeu":
        return strength / cells
    if prior == "K2":
        return 1.0
    if prior == "dirichlet":
        return strength
    raise DataError(f"unknown prior '{prior}'; expected one of {list(PRIORS)}")


def normalize_rows(counts: np.ndarray, fallback: np.ndarray | None = None
                   ) -> tuple[np.ndarray, int]:
    """Rows scaled to sum to 1. A row with no data keeps ``fallback`` (or uniform)."""
    totals = counts.sum(axis=-1, keepdims=True)
    empty = (totals[..., 0] <= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = counts / totals
    if empty.any():
        fill = fallback[empty] if fallback is not None else 1.0 / counts.shape[-1]
        table[empty] = fill
    return table, int(empty.sum())


def fit_tables(spec: ModelSpec, codes: np.ndarray, columns: list[str], method: str,
               prior: str = "BDeu", strength: float = 1.0) -> tuple[dict[str, TableCPD], dict]:
    """Learned table CPDs of every variable from complete codes."""
    cpds, unseen = {}, {}
    for var in spec.variables:
        counts = family_counts(spec, codes, columns, var.name)
        if method == "bayes":
            counts = counts + pseudo_counts(spec, var.name, prior, strength)
        old = var.cpd.table if var.cpd is not None else None
        table, empty = normalize_rows(counts, old)
        if empty:
            unseen[var.name] = empty
        cpds[var.name] = TableCPD(table)
    if unseen:
        log.warning("parent assignments never seen in the data keep their previous (or a "
                    "uniform) row: %s", unseen)
    return cpds, {"unseen_rows": unseen}


def fit(model, codes: np.ndarray, columns: list[str], method: str, prior: str = "BDeu",
        strength: float = 1.0) -> tuple[dict[str, TableCPD], dict]:
    """The contract's ``fit``: closed-form tables from complete codes."""
    return fit_tables(model.spec, codes, columns, method, prior, strength)
