"""The one EM loop behind every expectation-maximization fit in pgmkit.

An engine describes its EM as a *problem* with pomegranate v1's seam between the
E- and M-steps, keeping pgmkit's parameters immutable values:

- ``summarize(params, partition) -> Stats``: the expected sufficient statistics of one
  partition of the data under ``params``. Statistics *add*: ``Stats + Stats`` of two
  partitions equals the statistics of both at once, so the E-step can run on any split
  of the data (one in-memory batch, Parquet row groups, Dask partitions) and be reduced.
  Every ``Stats`` carries ``loglik`` (one total per group, shape ``(G,)``) and ``n`` (the
  rows or events summarized, which scales the stopping rule).
- ``maximize(stats, params) -> params``: the M-step, on the driver, from the summed
  statistics (with the prior, see :data:`PSEUDO_COUNT`).
- ``start(restart, rng) -> params``: restart 0 starts from the spec's CPDs (random where
  absent, and randomised where a latent variable's states are interchangeable, which EM
  could never separate); later restarts are random draws from ``rng``.
- ``select(candidates, choice) -> params``: per group ``g`` the parameters of restart
  ``choice[g]`` (groups are fitted jointly but chosen separately).
- ``collapsed(params, stats, groups) -> list[str]``: descriptions of latent states that
  EM emptied or merged, for the warning.
- ``fully_given -> bool``: whether the spec gives every CPD EM learns (sets the default
  number of restarts).

This module owns what the engines share: restarts and their seeds, the progress bar,
the stopping rule, the history and the defaults. A *runner* maps ``summarize`` over the
partitions and adds the results; :class:`LocalRunner` does it in memory, and a
distributed runner only needs the same ``summarize(problem, params) -> Stats`` method.

Defaults (the same for ``BayesNet.fit(method="em")``, ``DynamicBayesNet.fit`` (also
grouped), ``MixtureModel.fit`` and ``pgmkit fit``):

- ``pseudo_count`` = :data:`PSEUDO_COUNT` = 0: maximum likelihood. The history is then a
  log-likelihood that never decreases, restarts are compared on the quantity EM
  maximizes, and the fits agree with pomegranate's and hmmlearn's defaults. A positive
  value is a Dirichlet prior adding that count to every cell the starting CPD allows (a
  zero in a given CPD is structural and stays zero); rows without any expected count
  keep their previous values either way.
- ``restarts`` = ``None``: one run when the spec gives every CPD EM learns (the user chose
  the start), else :data:`RANDOM_RESTARTS` runs; the best log-likelihood wins per group.
- ``max_iter`` = 100 E-steps, ``tol`` = 1e-6 (least gain in log-likelihood per row or
  event that continues EM). The returned parameters are always the ones whose
  log-likelihood is the last entry of the history.
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Protocol, Sequence

import numpy as np

from pgmkit.errors import CollapseWarning, ConvergenceWarning, DataError

log = logging.getLogger(__name__)

#: The Dirichlet pseudo-count of every EM fit unless ``pseudo_count=`` says otherwise.
PSEUDO_COUNT = 0.0
#: Runs when the spec leaves some CPD to learn (so every start is partly random).
RANDOM_RESTARTS = 3
MAX_ITER = 100
TOL = 1e-6


class Stats(Protocol):
    """What ``summarize`` returns: additive statistics with a per-group log-likelihood."""

    loglik: np.ndarray
    n: int

    def __add__(self, other: "Stats") -> "Stats": ...


class Problem(Protocol):
    """An engine's EM (see the module docstring)."""

    fully_given: bool

    def start(self, restart: int, rng: np.random.Generator) -> Any: ...

    def summarize(self, params: Any, partition: Any) -> Stats: ...

    def maximize(self, stats: Stats, params: Any) -> Any: ...

    def select(self, candidates: Sequence[Any], choice: np.ndarray) -> Any: ...

    def collapsed(self, params: Any, stats: Stats, groups: np.ndarray) -> list[str]: ...


class LocalRunner:
    """Summarizes in-memory partitions one after the other and adds their statistics."""

    def __init__(self, partitions: Iterable[Any]):
        self.partitions = list(partitions)
        if not self.partitions:
            raise DataError("EM needs at least one partition of data")

    def summarize(self, problem: Problem, params: Any) -> Stats:
        total = None
        for part in self.partitions:
            stats = problem.summarize(params, part)
            total = stats if total is None else total + stats
        return total


@dataclass(eq=False)
class EMResult:
    """The outcome of :func:`run`.

    ``log_likelihood`` is the total per E-step of the best restart (its last entry is the
    log-likelihood of the parameters of that run); ``group_loglik`` the final value per
    group of the returned parameters; ``restarts`` the final total of every restart;
    ``chosen`` the restart picked for each group; ``stats`` the final statistics of the
    best restart.
    """

    params: Any
    log_likelihood: list[float]
    group_loglik: np.ndarray
    converged: bool
    restarts: list[float]
    chosen: np.ndarray
    stats: Any


def resolve_restarts(restarts: int | None, fully_given: bool) -> int:
    """The number of runs: ``restarts`` if given (at least 1), else the default."""
    if restarts is None:
        return 1 if fully_given else RANDOM_RESTARTS
    if not isinstance(restarts, (int, np.integer)) or isinstance(restarts, bool) or restarts < 1:
        raise DataError(f"restarts must be a whole number >= 1; received restarts={restarts!r}")
    return int(restarts)


def check_settings(max_iter: int, tol: float, pseudo_count: float) -> None:
    """Raise ``DataError`` for settings EM cannot run with."""
    if not isinstance(max_iter, (int, np.integer)) or isinstance(max_iter, bool) or max_iter < 1:
        raise DataError(f"max_iter must be a whole number >= 1; received max_iter={max_iter!r}")
    if not isinstance(tol, (int, float)) or math.isnan(tol):
        raise DataError(f"tol must be a number (-inf runs exactly max_iter E-steps); received "
                        f"tol={tol!r}")
    if not isinstance(pseudo_count, (int, float)) or not pseudo_count >= 0 or \
            math.isinf(pseudo_count):
        raise DataError(f"pseudo_count must be a finite number >= 0; received "
                        f"pseudo_count={pseudo_count!r}")


def run(problem: Problem, runner, *, max_iter: int = MAX_ITER, tol: float = TOL,
        restarts: int | None = None, seed: int | None = 0, progress: bool = True,
        desc: str = "EM") -> EMResult:
    """Fit ``problem`` by EM over the data ``runner`` holds; keep the best run per group.

    Each run alternates E-steps (``runner.summarize``) and M-steps (``problem.maximize``)
    and stops when the total log-likelihood gains less than ``tol`` per row or event, or
    after ``max_iter`` E-steps; the parameters it returns are those of its last E-step.
    Warns :class:`~pgmkit.errors.ConvergenceWarning` when a chosen run stopped at
    ``max_iter`` (unless ``tol`` is ``-inf``: a fixed number of steps was asked for) and
    :class:`~pgmkit.errors.CollapseWarning` when a latent state ended unused or merged.

    Examples
    --------
    >>> import pgmkit
    >>> hmm = pgmkit.example("hmm")
    >>> logs = hmm.sample_sequences(10, 20, seed=0).drop(columns="weather")
    >>> history = hmm.fit(logs, max_iter=1000, progress=False).history
    >>> history.converged, len(history.restarts)      # one run: the spec gives every CPD
    (True, 1)
    """
    from tqdm.auto import tqdm

    n_runs = resolve_restarts(restarts, problem.fully_given)
    rng = np.random.default_rng(seed)
    bar = tqdm(total=max_iter * n_runs, desc=desc, disable=not progress, leave=False)
    runs = []
    try:
        for r in range(n_runs):
            params = problem.start(r, rng)
            runs.append(_iterate(problem, runner, params, max_iter, tol, bar))
            log.info("EM restart %d: log-likelihood %.6g after %d E-steps%s", r,
                     runs[-1].history[-1], len(runs[-1].history),
                     "" if runs[-1].converged else " (not converged)")
    finally:
        bar.close()
    finals = np.stack([np.asarray(run_.stats.loglik, dtype=float) for run_ in runs])  # (R, G)
    choice = np.argmax(finals, axis=0)
    totals = [float(f.sum()) for f in finals]
    best = int(np.argmax(totals))
    params = (runs[best].params if n_runs == 1 else
              problem.select([run_.params for run_ in runs], choice))
    chosen = sorted(set(int(c) for c in choice))
    converged = all(runs[r].converged for r in chosen)
    _warn(problem, runs, choice, chosen, tol, max_iter)
    return EMResult(params, runs[best].history, finals[choice, np.arange(finals.shape[1])],
                    converged, totals, choice, runs[best].stats)


@dataclass(eq=False)
class _Run:
    params: Any
    history: list[float]
    stats: Any
    converged: bool


def _iterate(problem: Problem, runner, params, max_iter: int, tol: float, bar) -> _Run:
    history: list[float] = []
    converged = False
    stats = None
    for it in range(max_iter):
        stats = runner.summarize(problem, params)
        history.append(float(np.sum(stats.loglik)))
        bar.update(1)
        bar.set_postfix(loglik=f"{history[-1]:.6g}", refresh=False)
        if it and history[-1] - history[-2] < tol * stats.n:
            converged = True
            bar.update(max_iter - it - 1)
            break
        if it == max_iter - 1:      # keep the parameters the last entry measured
            break
        params = problem.maximize(stats, params)
    return _Run(params, history, stats, converged)


def _warn(problem: Problem, runs: list[_Run], choice: np.ndarray, chosen: list[int],
          tol: float, max_iter: int) -> None:
    stalled = [r for r in chosen if not runs[r].converged]
    if stalled and tol > -math.inf:
        h = runs[stalled[0]].history
        gain = f"last gain {h[-1] - h[-2]:.3g} in log-likelihood, " if len(h) > 1 else ""
        warnings.warn(f"EM stopped at max_iter={max_iter} without converging ({gain}tol={tol:g} "
                      "per row/event); raise max_iter or tol", ConvergenceWarning,
                      stacklevel=_user_level())
    problems: list[str] = []
    for r in chosen:
        problems += problem.collapsed(runs[r].params, runs[r].stats, np.flatnonzero(choice == r))
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        warnings.warn(f"EM collapsed latent states: {'; '.join(problems[:3])}{more}; try "
                      "restarts=5 or a different seed", CollapseWarning, stacklevel=_user_level())


def _user_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside pgmkit."""
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root):
        frame, level = frame.f_back, level + 1
    return level


def collapse_messages(name: str, states: Sequence[str], occupancy: np.ndarray,
                      children: Sequence[np.ndarray], label: str = "") -> list[str]:
    """What EM lost in latent variable ``name`` (one group).

    ``occupancy`` is the expected number of rows/events in each state; ``children`` are
    the CPD arrays of its children with ``name``'s axis first. A state is *unused* when
    it holds (almost) no expected mass, and two states are *merged* when every child has
    the same distribution under both (EM can then never tell them apart again).
    """
    out = []
    total = float(np.sum(occupancy))
    where = f" ({label})" if label else ""
    if total > 0:
        empty = [states[k] for k in np.flatnonzero(occupancy <= 1e-8 * total)]
        if empty:
            out.append(f"state(s) {empty} of '{name}'{where} are never used")
    if children:
        for i in range(len(states)):
            for j in range(i + 1, len(states)):
                if all(np.allclose(c[i], c[j], rtol=0, atol=1e-6) for c in children):
                    out.append(f"states '{states[i]}' and '{states[j]}' of '{name}'{where} "
                               "have the same distribution in every child")
    return out
