"""Queries over Dask partitions: the pandas method runs on each partition.

Row-wise queries (``query_batch``, ``predict``, ``log_likelihood`` of a BayesNet) map
straight over the partitions. Temporal queries need whole sequences: when sequences
straddle partitions the frame is shuffled by the sequence key, answered, and the answers
are put back into the input's partitions in input order (by a global row position), so
the result lines up with the input either way.
"""
from __future__ import annotations

import numpy as np

from pgmkit.distributed.frames import (POSITION, as_frame, log, require_dask, whole_sequences,
                                       with_positions)

INDEX = "__pgmkit_index__"


def _call(part, model, method: str, arg: str, kwargs: dict):
    """The pandas answer for one partition, as a pandas object aligned with ``part``."""
    import pandas as pd

    out = getattr(model, method)(**{**kwargs, arg: part})
    if isinstance(out, np.ndarray) and out.ndim == 1:
        out = pd.Series(out, index=part.index, name=method)
    return out


def _meta(model, method: str, frame, arg: str, kwargs: dict):
    """The answer for the first rows of the input: its type, columns and dtypes."""
    import warnings

    with warnings.catch_warnings():          # "insufficient elements" is fine: any rows do
        warnings.simplefilter("ignore", UserWarning)
        head = frame.head(16, npartitions=1, compute=True)   # reads the first partition only
        if len(head) == 0:
            head = frame.head(16, npartitions=-1, compute=True)
    return _call(head, model, method, arg, kwargs)


def _is_total(sample) -> bool:
    return np.isscalar(sample) or isinstance(sample, (float, int))


def _total(model, method, frame, arg, kwargs) -> float:
    import dask

    parts = [dask.delayed(_call)(p, model, method, arg, kwargs) for p in frame.to_delayed()]
    return float(sum(dask.compute(*parts)))


def map_rows(model, method: str, arg: str, kwargs: dict):
    """A row-wise query whose argument ``arg`` is a Dask DataFrame (or a Parquet path):
    a Dask result with the input's partitions and rows. A method answering with one
    number (a total) answers with the sum over partitions."""
    require_dask()
    frame = as_frame(kwargs[arg])
    kwargs = {k: v for k, v in kwargs.items() if k != arg}     # the rest goes to every task
    sample = _meta(model, method, frame, arg, kwargs)
    if _is_total(sample):
        return _total(model, method, frame, arg, kwargs)
    return frame.map_partitions(_call, model, method, arg, kwargs, meta=sample.iloc[:0],
                                align_dataframes=False)


def map_sequences(model, method: str, arg: str, kwargs: dict):
    """A temporal query on a Dask log: every sequence answered whole, rows in place."""
    require_dask()
    frame = as_frame(kwargs[arg])
    kwargs = {k: v for k, v in kwargs.items() if k != arg}     # the rest goes to every task
    group = kwargs.get("groupby") or getattr(model, "groupby", None)
    keys = ([group] if group else []) + [kwargs.get("sequence", "sequence")]
    whole, moved = whole_sequences(frame, keys)
    sample = _meta(model, method, frame, arg, kwargs)
    if _is_total(sample):
        return _total(model, method, whole, arg, kwargs)
    if not moved:
        return whole.map_partitions(_call, model, method, arg, kwargs, meta=sample.iloc[:0],
                                    align_dataframes=False)
    return _answer_shuffled(model, method, frame, keys, arg, kwargs, sample)


def _answer_shuffled(model, method, frame, keys, arg, kwargs, sample):
    """Shuffle by sequence, answer, and bring every row back to its input partition."""
    series = not hasattr(sample, "columns")
    column = (sample.name if sample.name is not None else method) if series else None
    sample = sample.to_frame(column) if series else sample
    numbered, offsets = with_positions(frame.map_partitions(_keep_index, meta=_keep_index(
        frame._meta)))
    shuffled = numbered.shuffle(on=keys, npartitions=frame.npartitions)
    meta = sample.iloc[:0].assign(**{POSITION: np.zeros(0, np.int64),
                                     INDEX: frame._meta.index[:0].to_numpy()})
    answered = shuffled.map_partitions(_answer_numbered, model, method, arg, kwargs, column,
                                       meta=meta, align_dataframes=False)
    divisions = tuple(int(o) for o in offsets[:-1]) + (int(offsets[-1]) - 1,)
    back = answered.set_index(POSITION, divisions=divisions)
    name = frame._meta.index.name
    log.info("answers of '%s' returned to the input's %d partitions after the repartition",
             method, frame.npartitions)
    out = back.map_partitions(_restore, name, meta=_restore(meta.set_index(POSITION), name))
    return out[column] if series else out


def _keep_index(part):
    return part.assign(**{INDEX: part.index.to_numpy()})


def _answer_numbered(part, model, method, arg, kwargs, column):
    inner = part.drop(columns=[POSITION, INDEX])
    out = _call(inner, model, method, arg, kwargs)
    out = out.to_frame(column) if column is not None else out
    return out.assign(**{POSITION: part[POSITION].to_numpy(), INDEX: part[INDEX].to_numpy()})


def _restore(part, index_name):
    out = part.set_index(INDEX)
    out.index.name = index_name
    return out
