"""EM for discrete Bayesian networks that keeps every row.

Missing cells and latent variables (columns absent from the data) are summed out by
the batched engine. The E-step needs, for every family, the posterior of the family
given each row, summed over rows. All of them come from one contraction per row group
and its gradient: for a table ``theta`` that enters the joint once,
``theta * d(sum_rows log P(row))/d(theta)`` is exactly that sum of family posteriors
(the expected counts). The M-step normalises the counts (plus ``pseudo_count``).
:class:`TableEM` is this engine's side of the one EM driver (:mod:`pgmkit.learn.em`):
its statistics add across partitions of the rows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgmkit.backends.contraction.compile import CompiledNet
from pgmkit.backends.contraction.evaluate import chunks, operands, row_groups_for
from pgmkit.data.tables import check_frame, encode_frame
from pgmkit.errors import DataError, UnsupportedError, format_choices
from pgmkit.backends.numpy.estimate import normalize_rows
from pgmkit.learn import em
from pgmkit.results import FitHistory
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import ModelSpec

log = logging.getLogger(__name__)

#: Rows per E-step contraction; bounds memory without many small torch calls.
EM_CHUNK = 4096


def fit_em(spec: ModelSpec, df: pd.DataFrame, *, latent: list[str] | None = None,
           max_iter: int = em.MAX_ITER, tol: float = em.TOL, restarts: int | None = None,
           seed: int | None = 0, pseudo_count: float = em.PSEUDO_COUNT,
           progress: bool = False) -> tuple[ModelSpec, FitHistory]:
    """Fit every table CPD of a discrete network by EM, keeping rows with missing cells.

    The loop, its defaults and its warnings are :func:`pgmkit.learn.em.run`'s.

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
        Stop after ``max_iter`` E-steps or when the log-likelihood per row rises by less
        than ``tol``.
    restarts : int, optional
        Independent runs; the first starts from the spec's CPDs (random where absent or
        where a hidden variable's states are interchangeable), the others from random
        Dirichlet draws. The run with the highest log-likelihood is kept. Default: one
        run when the spec gives every CPD, else three.
    seed : int, optional
        Seeds the random starts.
    pseudo_count : float
        Dirichlet prior added to every expected count a starting CPD allows (default 0:
        maximum likelihood, and the log-likelihood history never decreases).

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
    em.check_settings(max_iter, tol, pseudo_count)
    problem = TableEM(spec, list(df.columns), _hidden(spec, df, latent), pseudo_count)
    part = problem.partition(df)
    res = em.run(problem, em.LocalRunner([part]), max_iter=max_iter, tol=tol,
                 restarts=restarts, seed=seed, progress=progress, desc="EM")
    fitted = problem.to_spec(res.params)
    history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                         {"rows": len(df), "missing_cells": int((part.codes < 0).sum()),
                          "hidden": tuple(problem.hidden), "patterns": len(part.groups),
                          "best_restart": int(res.chosen[0]), "pseudo_count": pseudo_count})
    return fitted, history


@dataclass(frozen=True, eq=False)
class TableStats:
    """Expected family counts (one array per variable, in spec order) and the total
    log-likelihood of the rows summarized; they add across partitions of the rows."""

    loglik: np.ndarray          # (1,): one group
    counts: tuple[np.ndarray, ...]
    n: int

    def __add__(self, other: "TableStats") -> "TableStats":
        return TableStats(self.loglik + other.loglik,
                          tuple(a + b for a, b in zip(self.counts, other.counts)), self.n + other.n)


@dataclass(frozen=True, eq=False)
class TablePartition:
    """Encoded rows of one partition and their row groups; ``first_row`` numbers them in
    error messages."""

    codes: np.ndarray
    groups: list
    first_row: int = 0


class TableEM:
    """EM for a discrete static network on the contraction engine (see :mod:`pgmkit.learn.em`).

    Parameters are a tuple of tables, one per variable in spec order.
    """

    def __init__(self, spec: ModelSpec, columns: list[str], hidden: list[str],
                 pseudo_count: float = em.PSEUDO_COUNT):
        self.spec, self.hidden, self.pseudo = spec, hidden, float(pseudo_count)
        self.net = CompiledNet(spec.with_cpds({v.name: TableCPD(_uniform(spec, v))
                                               for v in spec.variables
                                               if not isinstance(v.cpd, TableCPD)}))
        self.column_names = list(columns)
        self.columns = [self.net.index[c] for c in columns]
        # a symmetric start is partly random too, so it gets the random-start default
        self.fully_given = all(isinstance(v.cpd, TableCPD) and not _symmetric(
            spec, v, v.cpd.table, hidden) for v in spec.variables)
        # a zero in a given CPD is structural: no start and no prior moves it
        self.free = tuple((v.cpd.table > 0).astype(float) if isinstance(v.cpd, TableCPD)
                          else np.ones(_shape(spec, v)) for v in spec.variables)

    def partition(self, df: pd.DataFrame, first_row: int = 0) -> TablePartition:
        """Encode ``df`` (its columns must be those the problem was built for)."""
        codes = encode_frame(self.spec, df, self.column_names)
        groups = row_groups_for(self.net, codes, self.columns, (), prune=False, grad=True)
        return TablePartition(codes, groups, first_row)

    def start(self, restart: int, rng) -> tuple[np.ndarray, ...]:
        """Initial tables: the spec's (first run only, unless symmetric) or Dirichlet draws."""
        out = []
        for v, free in zip(self.spec.variables, self.free):
            shape = _shape(self.spec, v)
            given = v.cpd.table if restart == 0 and isinstance(v.cpd, TableCPD) else None
            if given is None or _symmetric(self.spec, v, given, self.hidden):
                given = rng.dirichlet(np.ones(v.card), size=int(np.prod(shape[:-1]))).reshape(shape)
                if not free.all():
                    given = given * free
                    given = given / given.sum(-1, keepdims=True)
            out.append(np.array(given, dtype=np.float64))
        return tuple(out)

    def summarize(self, params, part: TablePartition) -> TableStats:
        ll, counts = e_step(self.net, part.codes, self.columns, part.groups, params,
                            part.first_row)
        return TableStats(np.array([ll]), tuple(counts), int(part.codes.shape[0]))

    def maximize(self, stats: TableStats, params) -> tuple[np.ndarray, ...]:
        return tuple(m_step(params, stats.counts, self.pseudo, self.free))

    def select(self, candidates, choice: np.ndarray):
        return candidates[int(choice[0])]

    def collapsed(self, params, stats: TableStats, groups) -> list[str]:
        out = []
        for name in self.hidden:
            v = self.spec[name]
            i = self.net.index[name]
            occupancy = stats.counts[i].reshape(-1, v.card).sum(axis=0)
            children = []
            for c in self.spec.variables:
                axes = [p.name for p in c.parents]
                if name in axes:
                    children.append(np.moveaxis(params[self.net.index[c.name]], axes.index(name), 0))
            out += em.collapse_messages(name, v.states, occupancy, children)
        return out

    def to_spec(self, params) -> ModelSpec:
        return self.spec.with_cpds({v.name: TableCPD(t) for v, t in zip(self.spec.variables, params)})


def _shape(spec: ModelSpec, v) -> tuple[int, ...]:
    return tuple(spec[p.name].card for p in v.parents) + (v.card,)


def _uniform(spec: ModelSpec, v) -> np.ndarray:
    return np.full(_shape(spec, v), 1.0 / v.card)


def _hidden(spec: ModelSpec, df: pd.DataFrame, latent) -> list[str]:
    if spec.temporal or not spec.is_discrete:
        raise UnsupportedError(f"EM on the batched engine fits discrete static networks; model "
                               f"'{spec.name}' is not one")
    check_frame(df)
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


def e_step(net: CompiledNet, codes: np.ndarray, columns, groups, tables, first_row: int = 0):
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
            loglik = _chunk_loglik(net, plan, sub, rows, table, first_row)
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


def _chunk_loglik(net: CompiledNet, plan, sub: dict, rows: np.ndarray, table, first_row: int = 0):
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
        row = first_row + int(rows[np.flatnonzero(~ok.numpy())[0]])
        raise DataError(f"row {row} of the data (counting from 0) has probability zero under "
                        f"the current CPDs, and {int((~ok).sum()) - 1} more in its batch: a zero "
                        "in a given CPD contradicts them; give CPDs without zeros there, or "
                        "leave them out to start from random tables (pseudo_count acts only "
                        "after the first E-step)")
    return per_row.sum() + const


def m_step(tables, counts, pseudo: float, free) -> list[np.ndarray]:
    """Normalised expected counts plus the prior on the free cells; a parent row with no
    counts keeps its old values."""
    return [normalize_rows(c + pseudo * f, fallback=t)[0] for t, c, f in zip(tables, counts, free)]


def fit_em_rows(model, df: pd.DataFrame, **options) -> tuple[ModelSpec, FitHistory]:
    """The contract's ``fit_em``: :func:`fit_em` on the model's spec."""
    return fit_em(model.spec, df, **options)
