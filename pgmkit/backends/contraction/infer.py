"""Exact queries over a table of evidence rows, all rows at once.

Each row is its own evidence (NaN cells are unobserved). Rows that observe the same
variables share one pruned contraction plan; rows of rare patterns share one plan with
per-row likelihood vectors. Everything is float64 and exact.
"""
from __future__ import annotations

import itertools
import logging
from typing import Sequence

import numpy as np
import pandas as pd

from pgmkit.backends.contraction.compile import check_cost, compile_net
from pgmkit.backends.contraction.evaluate import (MERGE_FLOPS, MIN_PATTERN_ROWS, RowGroup, chunks,
                                              evaluate, group_rows, row_groups_for)
from pgmkit.backends.contraction.lookup import MAX_JOINT, joint_size, lookup_batch
from pgmkit.data.columns import posterior_column, posterior_columns
from pgmkit.data.tables import encode_frame
from pgmkit.errors import CostError, DataError, EvidenceError, did_you_mean, format_choices
from pgmkit.spec.model import ModelSpec

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "lookup", "jtree", "merged", "patterns")


def query_batch(spec: ModelSpec, variables: Sequence[str] | str, evidence: pd.DataFrame, *,
                joint: bool = False, chunk_size: int | None = None,
                max_cost: float | None = None, progress: bool = False,
                min_pattern_rows: int = MIN_PATTERN_ROWS, strategy: str = "auto"
                ) -> pd.DataFrame:
    """Posterior marginals (or the joint) of ``variables`` given each row of ``evidence``.

    Parameters
    ----------
    spec : ModelSpec
        A discrete static network with every CPD given.
    variables : list of str
        Variables to query; a variable observed in a row gets a one-hot answer there.
    evidence : DataFrame
        One row per query; columns are variables, NaN cells are unobserved.
    joint : bool
        One column per joint state ``"A=a,B=b"`` instead of one marginal per variable.
    chunk_size : int, optional
        Upper bound on rows contracted at once (the default keeps every intermediate
        under about 64 MiB).
    max_cost : float, optional
        Budget in estimated floating-point operations per row; past it ``CostError``.
    progress : bool
        Show a progress bar over row groups.
    strategy : {"auto", "lookup", "merged", "patterns"}
        How rows are answered (all exact): ``lookup`` gathers from the joint table of
        the evidence columns and queries (``auto`` picks it when that table is small);
        ``jtree`` runs one batched message pass over a junction tree compiled once
        for the table's columns, at the same cost for every row whatever it observes
        (``auto`` picks it next, for marginals, when it is within the budget);
        ``merged`` contracts all rows in one plan with per-row likelihood vectors;
        ``patterns`` contracts rows grouped by the variables they observe (patterns
        with fewer than ``min_pattern_rows`` rows are merged). Past the
        junction tree's budget (or for ``joint=True``) ``auto`` takes ``merged`` when
        it is cheap per row, else ``patterns``.

    Returns
    -------
    DataFrame
        Aligned with ``evidence.index``: columns ``"P(Var=state)"`` (``"P(A=a,B=b)"`` with
        ``joint=True``; see :mod:`pgmkit.data.columns`), then ``log_evidence``
        (log P(row's evidence)) and ``impossible`` (probability columns are NaN there
        and only there).

    Examples
    --------
    >>> import pandas as pd
    >>> from pgmkit.api import example_spec
    >>> spec = example_spec("alarm")
    >>> rows = pd.DataFrame({"JohnCalls": ["yes", "no"], "MaryCalls": ["yes", None]})
    >>> out = query_batch(spec, ["Burglary"], rows)
    >>> round(float(out.loc[0, "P(Burglary=yes)"]), 4)
    0.2842
    """
    if strategy not in STRATEGIES:
        raise EvidenceError(f"unknown strategy {strategy!r}"
                            f"{did_you_mean(str(strategy), STRATEGIES)}; expected one of "
                            f"{list(STRATEGIES)}")
    variables = [variables] if isinstance(variables, str) else list(variables)
    net = compile_net(spec)
    query = _query_ids(net, variables)
    codes = encode_frame(spec, evidence)
    columns = [net.index[c] for c in evidence.columns]
    groups = [tuple(query)] if joint else [(v,) for v in query]
    log_ev, results = _run(net, codes, columns, groups, chunk_size, max_cost, progress,
                           min_pattern_rows, strategy=strategy)
    return _frame(net, groups, results, log_ev, evidence.index)


def _query_ids(net, variables: list[str]) -> list[int]:
    unknown = [v for v in variables if v not in net.index]
    if unknown:
        raise EvidenceError(f"model '{net.spec.name}' has no variable(s) "
                            f"{format_choices(unknown)}{did_you_mean(unknown[0], net.names)}")
    if len(set(variables)) != len(variables):
        raise EvidenceError(f"variables to query are repeated: {variables}")
    return [net.index[v] for v in variables]


def _run(net, codes: np.ndarray, columns: list[int], groups, chunk_size, max_cost, progress,
         min_pattern_rows=MIN_PATTERN_ROWS, strategy: str = "auto"):
    """Evaluate every row; returns log evidence (n,) and one array per query group.

    Rows whose float64 products underflowed (evidence below ~1e-300, or called
    impossible) are answered again in log space (:mod:`pgmkit.backends.logspace`), so a
    tiny probability is never reported as zero.
    """
    log_ev, results = _run_scaled(net, codes, columns, groups, chunk_size, max_cost, progress,
                                  min_pattern_rows, strategy)
    return _rescue(net, codes, columns, groups, log_ev, results)


def _rescue(net, codes, columns, groups, log_ev, results):
    from pgmkit.backends.logspace import UNDERFLOW_LOG, log_query

    suspect = ~(log_ev > UNDERFLOW_LOG)
    for r in results:
        suspect |= ~np.isfinite(r.reshape(len(log_ev), -1)).all(axis=1)
    if not suspect.any():
        return log_ev, results
    rows = np.flatnonzero(suspect)
    names = [[net.names[v] for v in g] for g in groups]
    le, res = log_query(net.spec, codes[rows], [net.names[c] for c in columns], names)
    log_ev = log_ev.copy()
    log_ev[rows] = le
    for out, r in zip(results, res):
        out[rows] = r
    return log_ev, results


def _run_scaled(net, codes: np.ndarray, columns: list[int], groups, chunk_size, max_cost,
                progress, min_pattern_rows=MIN_PATTERN_ROWS, strategy: str = "auto"):
    """Evaluate every row in float64 products (see :func:`_run`).

    Few evidence columns: a lookup in their joint table (see ``lookup``); otherwise
    per-row contractions, one plan per pattern or one merged plan.
    """
    for g in groups:                   # the answer itself must fit before anything runs
        entries = float(np.prod([net.cards[v] for v in g], dtype=float))
        check_cost(net, g, entries, entries, max_cost)
    if strategy == "lookup":
        return lookup_batch(net, codes, columns, groups, max_cost)
    if strategy == "auto" and joint_size(net, columns, groups) <= MAX_JOINT:
        try:
            return lookup_batch(net, codes, columns, groups, max_cost)
        except CostError:  # the joint is small but costly to build (large tables): slice
            log.debug("joint table too costly; contracting rows with their evidence")
    if strategy in ("auto", "jtree") and all(len(g) == 1 for g in groups):
        from pgmkit.backends.contraction.propagate import tree_batch

        try:
            return tree_batch(net, codes, columns, [g[0] for g in groups], chunk_size, max_cost)
        except CostError:
            if strategy == "jtree":
                raise
            log.debug("junction tree over budget; contracting rows by evidence pattern")
    n = codes.shape[0]
    log_ev = np.empty(n)
    results = [np.empty((n,) + tuple(net.cards[v] for v in g)) for g in groups]
    row_groups = row_groups_for(net, codes, columns, groups, max_cost=max_cost,
                                min_rows=min_pattern_rows,
                                merge_flops={"patterns": -1, "merged": np.inf}.get(strategy,
                                                                                   MERGE_FLOPS))
    log.debug("%d rows in %d evidence pattern(s)", n, len(row_groups))
    col_of = {c: j for j, c in enumerate(columns)}
    planned = _planned(net, codes, columns, row_groups, groups, max_cost)
    if progress:                       # tqdm (and asyncio under it) only when asked for
        from tqdm.auto import tqdm

        planned = tqdm(planned, desc="patterns", leave=False)
    for rg, plan in planned:
        size = min(plan.rows_per_chunk, chunk_size or plan.rows_per_chunk)
        for part in chunks(len(rg.rows), size):
            rows = rg.rows[part]
            sub = {v: codes[rows, col_of[v]] for v in plan.hard + plan.soft}
            le, res = evaluate(net, plan, sub, len(rows))
            log_ev[rows] = le
            for out, r in zip(results, res):
                out[rows] = r
    return log_ev, results


def _planned(net, codes, columns, row_groups, groups, max_cost):
    """Each row group with its plan. A merged group whose likelihood vectors make it too
    costly (they cannot slice tables as observed values do) is split into its exact
    patterns instead."""
    for rg in row_groups:
        try:
            yield rg, net.plan(rg.hard, rg.soft, groups, max_cost=max_cost)
        except CostError:
            if not rg.soft:
                raise
            for exact in group_rows(codes[rg.rows], columns, min_rows=1):
                rows = rg.rows[exact.rows]
                yield (RowGroup(rows, exact.hard, ()),
                       net.plan(exact.hard, (), groups, max_cost=max_cost))


def _frame(net, groups, results, log_ev: np.ndarray, index) -> pd.DataFrame:
    data = {}
    for g, r in zip(groups, results):
        pairs = [[(net.names[v], s) for s in net.spec[net.names[v]].states] for v in g]
        flat = r.reshape(len(log_ev), -1)
        for j, combo in enumerate(itertools.product(*pairs)):
            data[posterior_column(combo)] = flat[:, j]
    data["log_evidence"] = log_ev
    data["impossible"] = ~np.isfinite(log_ev)
    return pd.DataFrame(data, index=index)


def log_likelihood_rows(spec: ModelSpec, df: pd.DataFrame, *, chunk_size: int | None = None,
                        max_cost: float | None = None, codes: np.ndarray | None = None
                        ) -> np.ndarray:
    """Per-row log P(observed cells); missing cells are summed out, ``-inf`` if impossible.

    ``codes`` is ``encode_frame(spec, df)`` when the caller has it already.

    Examples
    --------
    >>> import pandas as pd
    >>> from pgmkit.api import example_spec
    >>> spec = example_spec("alarm")
    >>> float(np.exp(log_likelihood_rows(spec, pd.DataFrame({"Burglary": ["yes"]}))[0]))
    0.001
    """
    net = compile_net(spec)
    codes = encode_frame(spec, df) if codes is None else codes
    if codes.shape[1] == 0:       # nothing observed: log P(nothing) = 0 per row
        return np.zeros(codes.shape[0])
    log_ev, _ = _run(net, codes, [net.index[c] for c in df.columns], [], chunk_size,
                     max_cost, False)
    return log_ev


def predict(spec: ModelSpec, df: pd.DataFrame, target: str, *, chunk_size: int | None = None,
            max_cost: float | None = None) -> pd.DataFrame:
    """Classify ``target`` from the other columns of each row (a ``target`` column is ignored).

    Returns columns ``target`` (the most probable state), ``probability`` (of it) and
    ``"P(target=state)"`` per state; rows whose evidence is impossible get no prediction.

    Examples
    --------
    >>> import pandas as pd
    >>> from pgmkit.api import example_spec
    >>> spec = example_spec("alarm")
    >>> predict(spec, pd.DataFrame({"JohnCalls": ["no"]}), "Burglary").loc[0, "Burglary"]
    'no'
    """
    if target not in spec:
        raise DataError(f"model '{spec.name}' has no variable '{target}' to predict"
                        f"{did_you_mean(target, spec.names)}")
    evidence = df.drop(columns=[target]) if target in df.columns else df
    post = query_batch(spec, [target], evidence, chunk_size=chunk_size, max_cost=max_cost)
    cols = posterior_columns(target, spec[target].states)
    probs = post[cols].to_numpy()
    ok = ~post["impossible"].to_numpy()
    best = np.zeros(len(post), dtype=np.int64)
    best[ok] = probs[ok].argmax(axis=1)
    labels = np.array(spec[target].states, dtype=object)[best]
    labels[~ok] = None
    out = pd.DataFrame({target: pd.array(labels, dtype="string"),
                        "probability": np.where(ok, probs[np.arange(len(post)), best], np.nan)},
                       index=df.index)
    return pd.concat([out, post[cols]], axis=1)


# -- the contract's operations (pgmkit.backends.contract.OPERATIONS) --------------------

def _one_row(spec: ModelSpec, evidence: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({k: [v] for k, v in evidence.items()}, index=[0]) if evidence \
        else pd.DataFrame(index=[0])


def query(model, names: list[str], evidence: dict[str, str]) -> np.ndarray:
    """P(names | evidence) as an array with one axis per name, in ``names`` order."""
    spec = model.spec
    out = query_batch(spec, names, _one_row(spec, evidence), joint=True)
    if bool(out["impossible"].iloc[0]):
        raise EvidenceError(f"the evidence {evidence} is impossible (probability 0 under the "
                            "model)")
    shape = [spec[v].card for v in names]
    return out.iloc[0, :int(np.prod(shape))].to_numpy(dtype=float).reshape(shape)


def probability(model, evidence: dict[str, str]) -> float:
    """log P(evidence) (``-inf`` when impossible)."""
    if not evidence:
        return 0.0
    spec = model.spec
    return float(log_likelihood_rows(spec, _one_row(spec, evidence))[0])


def map_assignment(model, names: list[str], evidence: dict[str, str]
                   ) -> tuple[dict[str, str], float]:
    """Most probable joint states of ``names`` (others summed out), or with ``names``
    empty the most probable explanation (max-product, numpy kernel); and log P(states, ev)."""
    from pgmkit.backends.numpy.maxproduct import map_assignment as mpe

    if not names:
        return mpe(model, names, evidence)
    spec = model.spec
    values = query(model, names, evidence)
    idx = np.unravel_index(int(np.argmax(values)), values.shape)
    states = {v: spec[v].states[i] for v, i in zip(names, idx)}
    return states, probability(model, {**states, **evidence})


def log_likelihood(model, data: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """log P(observed cells) per row: complete rows by the numpy kernel, others contracted."""
    spec = model.spec
    if codes.shape[1] == len(spec) and (codes >= 0).all():
        from pgmkit.backends.numpy.ancestral import log_prob

        return log_prob(spec, codes, list(data.columns))
    return np.asarray(log_likelihood_rows(spec, data, codes=codes))


def query_rows(model, names: list[str], evidence: pd.DataFrame, joint: bool = False,
               **options) -> pd.DataFrame:
    return query_batch(model.spec, names, evidence, joint=joint, **options)


def predict_rows(model, data: pd.DataFrame, target: str) -> pd.DataFrame:
    return predict(model.spec, data, target)
