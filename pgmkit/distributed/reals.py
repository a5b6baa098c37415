"""What random starts read of a Dask log, without gathering its rows on the driver.

A random start puts each Gaussian mean at an observed row and each scale at the
observed spread (:mod:`pgmkit.backends.forward_backward.starts`). On Dask both come from
the partitions in input order, before any repartition by sequence: one pass over the
real columns gives a :class:`~pgmkit.backends.forward_backward.starts.RealSummary` per
partition (counts and moments, a few numbers each), and the rows a start draws are
read from the few partitions that hold them. Ranks count rows in input order, exactly
as the in-memory path counts them, so the same seed gives the same start whatever the
partitioning.
"""
from __future__ import annotations

import functools
import operator

import numpy as np


def _values(part, columns: list[str]) -> np.ndarray:
    """The columns as floats (NaN where missing), as the log packer reads them."""
    import pandas as pd

    return part[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _summaries(part, columns: dict) -> dict:
    from pgmkit.backends.forward_backward.starts import RealSummary

    return {name: RealSummary.of(_values(part, cols)) for name, cols in columns.items()}


def _rows(part, columns: list[str], ranks: np.ndarray, complete: bool) -> np.ndarray:
    from pgmkit.backends.forward_backward.starts import pick_rows

    return pick_rows(_values(part, columns), ranks, complete)


class FrameReals:
    """A :class:`~pgmkit.backends.forward_backward.starts.RealSample` of a Dask frame.

    ``names`` are the real variables of ``spec`` whose columns are read; the summaries
    are computed on first use (a fit whose start is fully given never reads them).
    """

    def __init__(self, frame, spec, names):
        from pgmkit.data.columns import real_columns

        self.frame = frame
        self.columns = {}
        for name in names:
            cols = real_columns(name, spec[name].domain.shape)
            if all(c in frame.columns for c in cols):
                self.columns[name] = cols
        self._parts: list[dict] | None = None

    def _per_partition(self) -> list[dict]:
        if self._parts is None:
            import dask

            every = sorted({c for cols in self.columns.values() for c in cols})
            parts = self.frame[every].to_delayed()
            self._parts = list(dask.compute(*[dask.delayed(_summaries)(p, self.columns)
                                              for p in parts]))
        return self._parts

    def summary(self, name: str):
        if name not in self.columns:
            return None
        return functools.reduce(operator.add, [p[name] for p in self._per_partition()])

    def rows(self, name: str, ranks: np.ndarray, complete: bool) -> np.ndarray:
        import dask

        counts = np.asarray([p[name].complete if complete else p[name].rows
                             for p in self._per_partition()], dtype=np.int64)
        ends = np.cumsum(counts)
        where = np.searchsorted(ends, ranks, side="right")      # the partition of each rank
        local = ranks - (ends - counts)[where]
        cols = self.columns[name]
        parts = self.frame[cols].to_delayed()
        need = np.unique(where)
        got = dask.compute(*[dask.delayed(_rows)(parts[j], cols, local[where == j], complete)
                             for j in need])
        out = np.empty((len(ranks), len(cols)))
        for j, values in zip(need, got):
            out[where == j] = values
        return out
