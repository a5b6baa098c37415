"""EM for discrete Bayesian networks that keeps every row.

Missing cells and latent variables (columns absent from the data) are summed out by
the batched engine. The E-step needs, for every family, the posterior of the family
given each row, summed over rows. All of them come from one contraction per row group
and its gradient: for a table ``theta`` that enters the joint once,
``theta * d(sum_rows log P(row))/d(theta)`` is exactly that sum of family posteriors
(the expected counts). The M-step normalises the counts (plus ``pseudo_count``).
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pgmkit.backends.contraction.compile import CompiledNet
from pgmkit.backends.contraction.evaluate import chunks, operands, row_groups_for
from pgmkit.data.tables import encode_frame
from pgmkit.errors import DataError, UnsupportedError, format_choices
from pgmkit.estimate import normalize_rows
from pgmkit.results import FitHistory
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import ModelSpec

log = logging.getLogger(__name__)

#: Rows per E-step contraction; bounds memory without many small torch calls.
EM_CHUNK = 4096


def fit_em(spec: ModelSpec, df: pd.DataFrame, *, latent: list[str] | None = None,
           max_iter: int = 100, tol: float = 1e-6, restarts: int = 1, seed: int | None = None,
           pseudo_count: float = 0.0, progress: bool = False) -> tuple[ModelSpec, FitHistory]:
    """Fit every table CPD of a discrete network by EM, keeping rows with missing cells.

    Parameters
    ----------
    spec : ModelSpec
        Discrete static network; CPDs may be missing (they start random).
    df : DataFrame
        Columns are variables; NaN cells are missing. Variables without a column are
        hidden.
    latent : list of str, optional
        Variables that must be hidden (default: those the spec marks latent); one with
        a column in ``df`` raises ``DataError``.
    max_iter, tol : int, float
        Stop after ``max_iter`` E-steps (``max_iter - 1`` updates) or when the mean
        log-likelihood per row rises by less than ``tol``.
    restarts : int
        Independent runs; the first starts from the spec's CPDs (random where absent or
        where a latent variable's CPDs are symmetric), the others from random Dirichlet
        draws. The run with the highest log-likelihood is kept.
    seed : int, optional
        Seeds the random starts.
    pseudo_count : float
        Added to every expected count (0 = maximum likelihood; then the log-likelihood
        history never decreases).

    Returns
    -------
    (ModelSpec, FitHistory)
        The spec with learned tables, and the log-likelihood of each iteration of the
        best run (its last entry is the log-likelihood of the returned CPDs).

    Examples
    --------
    >>> import pandas as pd
    >>> from pgmkit.api import example_spec
    >>> spec = example_spec("alarm")
    >>> rows = pd.DataFrame({"Burglary": ["no", None, "yes"], "Alarm": ["no", "yes", None]})
    >>> fitted, history = fit_em(spec, rows, max_iter=5, seed=0)
    >>> len(history.log_likelihood) <= 5
    True
    """
    hidden = _hidden(spec, df, latent)
    codes = encode_frame(spec, df)
    rng = np.random.default_rng(seed)
    starts = [_start(spec, hidden, rng, first=(r == 0)) for r in range(max(1, restarts))]
    net = CompiledNet(spec.with_cpds({v.name: TableCPD(t) for v, t in
                                      zip(spec.variables, starts[0])}))
    columns = [net.index[c] for c in df.columns]
    groups = row_groups_for(net, codes, columns, (), prune=False, grad=True)
    runs = [_run(net, codes, columns, groups, tables, max_iter, tol, pseudo_count, progress, r)
            for r, tables in enumerate(starts)]
    best = max(range(len(runs)), key=lambda r: runs[r][1][-1])
    tables, lls, converged = runs[best]
    fitted = spec.with_cpds({v.name: TableCPD(t) for v, t in zip(spec.variables, tables)})
    history = FitHistory(tuple(lls), converged, tuple(r[1][-1] for r in runs), "em",
                         {"rows": len(df), "missing_cells": int((codes < 0).sum()),
                          "hidden": tuple(hidden), "patterns": len(groups), "best_restart": best})
    return fitted, history


def _hidden(spec: ModelSpec, df: pd.DataFrame, latent) -> list[str]:
    if spec.temporal or not spec.is_discrete:
        raise UnsupportedError(f"EM on the batched engine fits discrete static networks; model "
                               f"'{spec.name}' is not one")
    latent = list(spec.latent_names if latent is None else latent)
    unknown = [v for v in latent if v not in spec]
    if unknown:
        raise DataError(f"latent variable(s) {format_choices(unknown)} are not in model "
                        f"'{spec.name}'")
    clash = [v for v in latent if v in df.columns]
    if clash:
        raise DataError(f"column(s) {format_choices(clash)} are declared latent but present in "
                        "the data; drop the column(s) or do not declare them latent")
    return [v for v in spec.names if v not in df.columns]


def _start(spec: ModelSpec, hidden: list[str], rng, first: bool) -> list[np.ndarray]:
    """Initial tables: the spec's (first run only, unless symmetric) or Dirichlet draws."""
    out = []
    for v in spec.variables:
        shape = tuple(spec[p.name].card for p in v.parents) + (v.card,)
        given = v.cpd.table if first and isinstance(v.cpd, TableCPD) else None
        if given is None or _symmetric(spec, v, given, hidden):
            given = rng.dirichlet(np.ones(v.card), size=int(np.prod(shape[:-1]))).reshape(shape)
        out.append(np.array(given, dtype=np.float64))
    return out


def _symmetric(spec: ModelSpec, var, table: np.ndarray, hidden: list[str]) -> bool:
    """True when a hidden variable's states are interchangeable in this table.

    EM cannot break such a tie (every state gets the same expected counts), so the
    table is replaced by a random start.
    """
    if var.name in hidden and np.allclose(table, table[..., :1]):
        return True
    for axis, p in enumerate(var.parents):
        if p.name in hidden and spec[p.name].card > 1 and np.allclose(
                table, np.take(table, [0], axis=axis)):
            return True
    return False


def _run(net: CompiledNet, codes, columns, groups, tables, max_iter, tol, pseudo, progress,
         restart):
    from tqdm.auto import tqdm

    n = codes.shape[0]
    lls: list[float] = []
    converged = False
    bar = tqdm(range(max_iter), disable=not progress, desc=f"EM run {restart + 1}", leave=False)
    for it in bar:
        ll, counts = e_step(net, codes, columns, groups, tables)
        lls.append(ll)
        bar.set_postfix(loglik=f"{ll:.6g}")
        if len(lls) > 1 and (lls[-1] - lls[-2]) / n < tol:
            converged = True
            break
        if it == max_iter - 1:   # return the tables lls[-1] measured (restarts compare it)
            break
        tables = m_step(tables, counts, pseudo)
    return tables, lls, converged


def e_step(net: CompiledNet, codes: np.ndarray, columns, groups, tables):
    """Total log-likelihood and expected family counts (one array per table)."""
    import torch

    params = [torch.tensor(t, dtype=torch.float64, requires_grad=True) for t in tables]
    flat_cache: dict = {}

    def table(v, axes):
        key = (v, axes)
        if key not in flat_cache:
            flat_cache[key] = _flatten(net, params[v], v, axes)
        return flat_cache[key]

    col_of = {c: j for j, c in enumerate(columns)}
    total = 0.0
    for g in groups:
        plan = net.plan(g.hard, g.soft, (), prune=False, grad=True)
        for part in chunks(len(g.rows), EM_CHUNK):
            rows = g.rows[part]
            sub = {v: codes[rows, col_of[v]] for v in plan.hard + plan.soft}
            flat_cache.clear()
            loglik = _chunk_loglik(net, plan, sub, rows, table)
            loglik.backward()
            total += float(loglik.detach())
    counts = [t * p.grad.numpy() for t, p in zip(tables, params)]
    return total, counts


def _flatten(net: CompiledNet, param, v: int, axes: tuple[int, ...]):
    """A torch table with the ``axes`` variables first and flattened (cf. gather_table)."""
    if not axes:
        return param
    scope = net.scope(v)
    lead = [i for i, u in enumerate(scope) if u in axes]
    rest = [i for i, u in enumerate(scope) if u not in axes]
    return param.permute(lead + rest).reshape([-1] + [net.cards[scope[i]] for i in rest])


def _chunk_loglik(net: CompiledNet, plan, sub: dict, rows: np.ndarray, table):
    """Sum over the chunk's rows (positions ``rows`` in the data) of log P(row), as a
    differentiable torch scalar."""
    import opt_einsum
    import torch

    from pgmkit.backends.contraction.evaluate import flat_index

    def vector(a):
        return torch.from_numpy(np.asarray(a))

    n = len(rows)
    per_row = torch.zeros(n, dtype=torch.float64)
    for v in plan.scalars:
        axes = tuple(u for u in net.scope(v) if u in plan.hard)
        per_row = per_row + torch.log(table(v, axes)[vector(flat_index(net, v, plan.hard,
                                                                            sub))])
    const = 0.0
    for piece in plan.pieces:
        ops = operands(net, plan, piece.operands, sub, table=table, vector=vector)
        z = opt_einsum.contract(piece.equation, *ops, optimize=list(piece.path))
        if piece.batched:
            per_row = per_row + torch.log(z.reshape(n, -1).sum(dim=1))
        else:                             # the same for every row
            const = const + n * torch.log(z.sum())
    ok = torch.isfinite(per_row.detach())
    if not bool(ok.all()):
        row = int(rows[np.flatnonzero(~ok.numpy())[0]])
        raise DataError(f"row {row} of the data (counting from 0) has probability zero under "
                        f"the current CPDs, and {int((~ok).sum()) - 1} more in its batch: a zero "
                        "in a given CPD contradicts them; give CPDs without zeros there, or "
                        "leave them out to start from random tables (pseudo_count acts only "
                        "after the first E-step)")
    return per_row.sum() + const


def m_step(tables, counts, pseudo: float) -> list[np.ndarray]:
    """Normalised expected counts; a parent row with no counts keeps its old values."""
    return [normalize_rows(c + pseudo, fallback=t)[0] for t, c in zip(tables, counts)]
