"""Structure learning: a fitted BayesNet from a table of discrete data.

Score-based search (hill climbing with BIC, BDeu or K2, a tabu list, a maximum in-degree)
and constraint-based search (PC with chi-square tests) run on pgmpy's estimators; pgmkit
checks the data first (complete rows, discrete columns, edge constraints that name real
columns) so a mistake is one clear line, and then fits the CPDs of the learned graph
with its own estimator.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pgmkit.errors import DataError, SpecError, UnsupportedError, did_you_mean, format_choices

log = logging.getLogger(__name__)

METHODS = ("hc", "pc")
SCORES = {"bic": "bic-d", "bdeu": "bdeu", "k2": "k2"}
#: A column with more distinct values than this is taken for an identifier or a real number.
MAX_STATES = 50
#: Largest CPT (cells) a learned graph may ask for.
TABLE_LIMIT = 10_000_000

Edge = tuple[str, str]


def learn_structure(data: pd.DataFrame, method: str = "hc", score: str = "bic", *,
                    tabu: int = 100, max_indegree: int | None = None,
                    required: Iterable[Edge] = (), forbidden: Iterable[Edge] = (),
                    significance: float = 0.01, max_cond_vars: int = 5,
                    equivalent_sample_size: float = 10.0,
                    states: Mapping[str, Sequence[str]] | None = None,
                    fit: str = "mle", name: str = "learned", progress: bool = False):
    """Learn a DAG from complete discrete data and return the fitted :class:`BayesNet`.

    Parameters
    ----------
    data : DataFrame
        One column per variable, one row per case; every cell observed.
    method : ``"hc"`` (hill climbing on a score) or ``"pc"`` (conditional-independence
        tests, then orientation).
    score : ``"bic"``, ``"bdeu"`` (with ``equivalent_sample_size``) or ``"k2"``; hc only.
    tabu : int
        hc: the last ``tabu`` changes cannot be undone (wider search).
    max_indegree : int, optional
        hc: at most this many parents per variable.
    required, forbidden : iterables of ``(parent, child)``
        Edges the result must have / must not have.
    significance, max_cond_vars : pc's test level and largest conditioning set.
    states : mapping, optional
        State order per variable (default: the distinct values, sorted as text).
    fit : ``"mle"`` or ``"bayes"`` (BDeu, ``equivalent_sample_size``) for the CPDs.
    name, progress : the model's name; a progress bar during the search.

    Returns
    -------
    BayesNet
        Fitted; ``history.extra`` holds the method, score and number of edges.

    Examples
    --------
    >>> import pgmkit
    >>> truth = pgmkit.example("asia")
    >>> bn = pgmkit.learn_structure(truth.sample(5000, seed=0), method="hc", score="bic")
    >>> structural_hamming_distance(bn, truth) <= 4
    True
    """
    from pgmkit.backends.pgmpy import pgmpy_module, quiet
    from pgmkit.bayesnet import BayesNet
    from pgmkit.spec.build import build_spec

    if method not in METHODS:
        raise DataError(f"unknown structure-learning method '{method}'"
                        f"{did_you_mean(method, METHODS)}; expected one of {list(METHODS)}")
    frame, order = _discrete_frame(data, states)
    req, forb = _edges(required, frame.columns, "required"), _edges(forbidden, frame.columns,
                                                                     "forbidden")
    clash = set(req) & set(forb)
    if clash:
        raise DataError(f"edge(s) {sorted(clash)} are both required and forbidden")
    est = pgmpy_module("pgmpy.estimators")
    knowledge = est.ExpertKnowledge(required_edges=req or None, forbidden_edges=forb or None)
    with quiet():
        if method == "hc":
            dag = est.HillClimbSearch(frame, use_cache=True).estimate(
                scoring_method=_score(est, score, frame, equivalent_sample_size),
                tabu_length=int(tabu), max_indegree=max_indegree, expert_knowledge=knowledge,
                show_progress=progress)
        else:
            if max_indegree is not None:
                raise UnsupportedError("max_indegree applies to method='hc'; PC bounds its "
                                       "tests with max_cond_vars")
            dag = est.PC(frame).estimate(
                variant="stable", ci_test="chi_square", return_type="dag",
                significance_level=significance, max_cond_vars=max_cond_vars,
                expert_knowledge=knowledge, enforce_expert_knowledge=bool(req or forb),
                n_jobs=1, show_progress=progress)
    parents = {v: [p for p in frame.columns if dag.has_edge(p, v)] for v in frame.columns}
    _check_table_sizes(parents, order)
    spec = build_spec({"name": name, "variables": {
        v: {"states": list(order[v]), "parents": parents[v]} for v in frame.columns}})
    bn = BayesNet(spec)
    bn.fit(frame.astype(object), method=fit, prior="BDeu", pseudo_count=equivalent_sample_size)
    edges = sum(len(p) for p in parents.values())
    bn.history = dataclasses.replace(bn.history, extra={
        **bn.history.extra, "structure": method, "score": score if method == "hc" else None,
        "edges": edges})
    log.info("learned %d edges over %d variables by %s", edges, len(parents), method)
    return bn


def _check_table_sizes(parents: Mapping[str, list[str]], order: Mapping[str, list[str]]) -> None:
    """CostError before allocating a CPT too large to count (a search gone dense)."""
    from pgmkit.errors import CostError

    for v, ps in parents.items():
        cells = len(order[v]) * int(np.prod([len(order[p]) for p in ps], dtype=float))
        if cells > TABLE_LIMIT:
            raise CostError(f"the learned graph gives '{v}' {len(ps)} parents: its table would "
                            f"have {cells:.3g} cells (limit {TABLE_LIMIT:.0e}); pass "
                            "max_indegree= (e.g. 3) or use score='bic'")


def _score(est, score: str, frame: pd.DataFrame, ess: float):
    if score not in SCORES:
        raise DataError(f"unknown score '{score}'{did_you_mean(score, SCORES)}; expected one of "
                        f"{list(SCORES)}")
    if score == "bdeu":
        return est.BDeu(frame, equivalent_sample_size=ess)
    return SCORES[score]


def _discrete_frame(data, states: Mapping[str, Sequence[str]] | None
                    ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The data as text categories, and each column's states; DataError for bad input."""
    from pgmkit.data.states import state_text
    from pgmkit.data.tables import check_frame

    check_frame(data)
    if data.shape[1] < 2:
        raise DataError(f"structure learning needs at least two columns; the data has "
                        f"{data.shape[1]}")
    columns = [str(c) for c in data.columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DataError(f"column(s) {format_choices(repeated)} appear more than once")
    for name in (states or {}):
        if name not in columns:
            raise DataError(f"states= names '{name}', which is not a column"
                            f"{did_you_mean(name, columns)}")
    out, order = {}, {}
    for col, name in zip(data.columns, columns):
        values = data[col]
        if values.isna().any():
            row = values.index[int(np.flatnonzero(values.isna().to_numpy())[0])]
            raise DataError(f"column '{name}' has a missing cell (row {row}): structure learning "
                            "needs complete rows; drop them (data.dropna()) or fill them")
        codes, uniques = pd.factorize(values)
        text = [state_text(u) for u in uniques]
        if any(t is None for t in text):
            raise DataError(f"column '{name}' holds booleans; write states as text ('yes'/'no')")
        if len(text) > MAX_STATES:
            raise DataError(f"column '{name}' has {len(text)} distinct values (more than "
                            f"{MAX_STATES}): structure learning takes discrete columns; drop "
                            "identifier columns and discretize real-valued ones")
        wanted = list(states[name]) if states and name in states else sorted(set(text))
        unknown = sorted(set(text) - set(wanted))
        if unknown:
            raise DataError(f"column '{name}' has value(s) {format_choices(unknown)} that are not "
                            f"among its states {wanted}")
        order[name] = wanted
        out[name] = pd.Categorical(np.asarray(text, dtype=object)[codes], categories=wanted)
    return pd.DataFrame(out, index=data.index), order


def _edges(edges: Iterable[Edge], columns, what: str) -> list[Edge]:
    out = []
    for edge in edges or ():
        if isinstance(edge, str) or len(edge) != 2:
            raise DataError(f"{what} edges are (parent, child) pairs; received {edge!r}")
        for end in edge:
            if end not in columns:
                raise DataError(f"{what} edge {tuple(edge)} names '{end}', which is not a column"
                                f"{did_you_mean(str(end), columns)}")
        out.append((str(edge[0]), str(edge[1])))
    return out


def edges_of(model) -> set[Edge]:
    """The directed edges ``(parent, child)`` of a model or spec (static networks)."""
    spec = getattr(model, "spec", model)
    return {(p.name, v.name) for v in spec.variables for p in v.parents}


def structural_hamming_distance(learned, truth) -> int:
    """Edge additions, deletions and reversals that turn ``learned`` into ``truth``.

    Both must have the same variables. A reversed edge counts once.

    Examples
    --------
    >>> import pgmkit
    >>> structural_hamming_distance(pgmkit.example("asia"), pgmkit.example("asia"))
    0
    """
    a, b = edges_of(learned), edges_of(truth)
    names_a = set(getattr(learned, "spec", learned).names)
    names_b = set(getattr(truth, "spec", truth).names)
    if names_a != names_b:
        raise SpecError(f"the two models have different variables: "
                        f"{format_choices(sorted(names_a ^ names_b))}")
    pairs = {frozenset(e) for e in a | b}
    return sum(1 for pair in pairs
               if {e for e in a if frozenset(e) == pair} != {e for e in b if frozenset(e) == pair})
