"""Where EM starts: the cells it may move, random CPDs, and what they read of the data.

Random starts put each Gaussian mean at an observed row and each scale at the observed
spread. What they read of the data is a :class:`RealSample`: a :class:`RealSummary` per
real variable (counts and moments, which add over partitions) and the rows at given
ranks in input order. :class:`BatchReals` answers from an in-memory batch; the Dask
path answers from the partitions without gathering them
(:mod:`pgmkit.distributed.reals`), and both draw the same start for the same seed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pgmkit.backends.forward_backward.compile import Layout, Params

log = logging.getLogger(__name__)
#: The least starting scale of a Gaussian (a constant column would give 0).
MIN_SCALE = 1e-3


@dataclass(frozen=True, eq=False)
class RealSummary:
    """Counts and moments of one real variable's values, mergeable over partitions.

    ``rows`` counts every row, ``complete`` the rows finite in every dimension; per
    column, ``count`` the finite values, ``mean`` their mean and ``m2`` the sum of
    squared deviations from it. ``a + b`` is the summary of both (Chan et al.'s update).
    """

    rows: int
    complete: int
    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> "RealSummary":
        """The summary of ``(rows, size)`` values, NaN where missing."""
        seen = np.isfinite(values)
        count = seen.sum(0)
        filled = np.where(seen, values, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, filled.sum(0) / count, 0.0)
        m2 = np.where(seen, (filled - mean) ** 2, 0.0).sum(0)
        return cls(len(values), int(seen.all(1).sum()), count, mean, m2)

    def __add__(self, other: "RealSummary") -> "RealSummary":
        n = self.count + other.count
        delta = other.mean - self.mean
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, other.count / n, 0.0)
            cross = np.where(n > 0, delta * delta * self.count * other.count / n, 0.0)
        return RealSummary(self.rows + other.rows, self.complete + other.complete, n,
                           self.mean + delta * share, self.m2 + other.m2 + cross)

    def spread(self) -> np.ndarray:
        """Per column the standard deviation (1 where fewer than two values), at least
        :data:`MIN_SCALE`."""
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.where(self.count > 1, np.sqrt(self.m2 / np.maximum(self.count, 1)), 1.0)
        return np.maximum(sd, MIN_SCALE)


class RealSample(Protocol):
    """What random starts read of the real observations."""

    def summary(self, name: str) -> RealSummary | None:
        """The variable's summary, None without a column for it."""

    def rows(self, name: str, ranks: np.ndarray, complete: bool) -> np.ndarray:
        """``(len(ranks), size)`` values of the rows at ``ranks`` in input order, counting
        only complete rows (``complete``) or every row with its holes read as 0."""


class BatchReals:
    """A :class:`RealSample` of an in-memory packed batch (its events back in input order)."""

    def __init__(self, batch):
        self.batch = batch
        self._values: dict[str, np.ndarray] = {}      # filled on first use: most fits never ask
        self._summaries: dict[str, RealSummary] = {}

    def _in_input_order(self, name: str) -> np.ndarray:
        if name not in self._values:
            order = np.argsort(self.batch.rows, kind="stable")
            self._values[name] = self.batch.reals[name][order]
        return self._values[name]

    def summary(self, name: str) -> RealSummary | None:
        if name not in self.batch.reals:
            return None
        if name not in self._summaries:
            self._summaries[name] = RealSummary.of(self._in_input_order(name))
        return self._summaries[name]

    def rows(self, name: str, ranks: np.ndarray, complete: bool) -> np.ndarray:
        return pick_rows(self._in_input_order(name), ranks, complete)


def pick_rows(values: np.ndarray, ranks: np.ndarray, complete: bool) -> np.ndarray:
    """Rows of ``values`` at ``ranks`` among its complete rows (or all rows, holes as 0)."""
    if complete:
        return values[np.isfinite(values).all(1)][ranks]
    return np.nan_to_num(values[ranks], nan=0.0)


def as_sample(sample) -> "RealSample | None":
    """A packed batch becomes its :class:`BatchReals`; a sample or None is kept."""
    if sample is None or hasattr(sample, "summary"):
        return sample
    return BatchReals(sample)


def table_shapes(layout: Layout) -> dict[str, tuple[tuple[int, ...], tuple[int, ...] | None]]:
    """Shapes of each discrete variable's table and (for lagged state variables) initial table."""
    spec, out = layout.spec, {}
    for v in spec.variables:
        if not v.is_discrete:
            continue
        shape = tuple(spec[p.name].card for p in v.parents) + (v.card,)
        init = (tuple(spec[p].card for p in v.parent_names) + (v.card,)
                if v.name in layout.state and v.lagged_parents else None)
        out[v.name] = (shape, init)
    return out


def free_cells(layout: Layout, start: Params, g_count: int) -> Params:
    """Which cells EM may move: all, except the zeros of a given starting CPD."""
    free = Params()
    for name, (shape, init) in table_shapes(layout).items():
        for target, src, shp in ((free.tables, start.tables, shape), (free.initial, start.initial, init)):
            if shp is None:
                continue
            base = (src[name] > 0).astype(float) if name in src else np.ones((1,) + shp)
            target[name] = np.broadcast_to(base, (g_count,) + shp).copy()
    return free


def random_params(layout: Layout, free: Params, g_count: int, sample: "RealSample | None",
                  rng) -> Params:
    """Random CPDs: Dirichlet(1) rows over the free cells; each Gaussian mean at an
    observed row drawn uniformly (rows complete in every dimension, counted in input
    order), each scale the observed spread of its column (see :class:`RealSummary`).

    Only :class:`RealSummary` and ``sample.rows`` reach the data, so a log split into
    partitions (Dask) draws the very same start as the whole log in memory.
    """
    out = Params()
    for src, target in ((free.tables, out.tables), (free.initial, out.initial)):
        for name, mask in src.items():
            x = rng.gamma(1.0, size=mask.shape) * mask + 1e-12 * mask
            target[name] = x / x.sum(-1, keepdims=True)
    for name in layout.gauss:
        v = layout.spec[name]
        shape = (g_count,) + tuple(layout.spec[p].card for p in v.parent_names)
        size = v.domain.size
        summary = sample.summary(name) if sample is not None else None
        if summary is None or not summary.count.any():
            rng.integers(0, 1, size=shape)          # the same draws whatever the data
            out.loc[name] = np.zeros(shape + (size,))
            out.scale[name] = np.ones(shape + (size,))
            continue
        complete = summary.complete > 0     # else rows with holes, the holes read as 0
        pick = rng.integers(0, summary.complete if complete else summary.rows, size=shape)
        out.loc[name] = sample.rows(name, pick.ravel(), complete).reshape(shape + (size,))
        out.scale[name] = np.broadcast_to(summary.spread(), shape + (size,)).copy()
    return out


def complete_start(layout: Layout, start: Params, free: Params, g_count: int,
                   sample: "RealSample | None", rng) -> Params:
    """The starting CPDs broadcast to every group, random where the spec gives none and
    where a latent variable's states are interchangeable in a child's CPD (EM could
    never separate them: identical states get identical statistics)."""
    rand = random_params(layout, free, g_count, sample, rng)
    tied = symmetric_children(layout, start)
    out = Params()
    for src, rnd, target in ((start.tables, rand.tables, out.tables),
                             (start.initial, rand.initial, out.initial),
                             (start.loc, rand.loc, out.loc), (start.scale, rand.scale, out.scale)):
        for name, arr in rnd.items():
            given = name in src and src[name].shape[0] in (1, g_count) and name not in tied
            target[name] = np.broadcast_to(src[name], arr.shape).copy() if given else arr
    if tied:
        log.info("EM: states of a latent variable are interchangeable in the CPDs of %s; "
                 "those start random", sorted(tied))
    return out


def children_of(layout: Layout, name: str) -> list[tuple[str, int]]:
    """Variables with ``name`` as a same-slice parent, and that parent's axis in their
    arrays (after the group axis)."""
    out = []
    for v in layout.spec.variables:
        same_slice = [p.name for p in v.parents if not p.lag]
        if name in same_slice:
            out.append((v.name, 1 + [p.name if not p.lag else None for p in v.parents].index(name)))
    return out


def child_arrays(params: Params, child: str) -> list[np.ndarray]:
    if child in params.tables:
        return [params.tables[child]]
    return [a[child] for a in (params.loc, params.scale) if child in a]


def symmetric_children(layout: Layout, params: Params) -> set[str]:
    """Children whose given CPD does not depend on a latent state parent."""
    out = set()
    for name in layout.state:
        if not layout.spec[name].latent or layout.spec[name].card < 2:
            continue
        for child, axis in children_of(layout, name):
            arrays = child_arrays(params, child)
            if arrays and all(np.allclose(a, np.take(a, [0], axis=axis)) for a in arrays):
                out.add(child)
    return out
