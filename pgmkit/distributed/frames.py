"""Dask inputs: detection, the scheduler, Parquet folders, whole sequences per partition."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from pgmkit.errors import DataError, UnsupportedError

log = logging.getLogger("pgmkit.distributed")

INSTALL_HINT = "install it with: pip install 'pgmkit[dask]'"
#: Helper columns pgmkit adds to a Dask frame while it works (never in a result).
POSITION = "__pgmkit_position__"


def is_dask(obj) -> bool:
    """True for a Dask DataFrame or Series, without importing Dask."""
    return type(obj).__module__.startswith("dask.") and hasattr(obj, "npartitions")


def require_dask():
    """``dask.dataframe``, or an UnsupportedError with the install hint."""
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise UnsupportedError(f"Dask inputs and Parquet folders need dask[dataframe] "
                               f"({exc.name} is missing); {INSTALL_HINT}") from None
    return dd


PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet(path) -> bool:
    """True for a path named ``*.parquet`` / ``*.pq`` (whatever is there: :func:`read_parquet`
    names what is wrong) or a folder holding Parquet files (a partitioned log)."""
    if not (isinstance(path, (str, bytes)) or hasattr(path, "__fspath__")):
        return False
    p = Path(os.fsdecode(path))
    if p.suffix in PARQUET_SUFFIXES:
        return True
    return p.is_dir() and any(p.rglob("*.parquet"))


def parquet_files(path) -> list[Path]:
    """The Parquet files at ``path`` (a file, or every ``*.parquet`` under a folder), each
    checked by the safe-file rules first: a missing path, a FIFO or device (pyarrow would
    block on it or read forever), a loop of links or a folder without Parquet files is a
    DataError naming the path. No size limit: Parquet is streamed partition by partition."""
    from pgmkit.io.safe import checked_file

    p = Path(os.fsdecode(path))
    if not p.is_dir():
        return [checked_file(p, "Parquet file", DataError, limit=2**62)]
    files = sorted(f for f in p.rglob("*") if f.suffix in PARQUET_SUFFIXES)
    if not files:
        raise DataError(f"{p}: folder holds no .parquet files; expected a Parquet file or "
                        "a folder of them")
    return [checked_file(f, "Parquet file", DataError, limit=2**62) for f in files]


def read_parquet(path):
    """A Dask DataFrame over a Parquet file or folder, one partition per file (row group)."""
    dd = require_dask()
    try:
        import pyarrow  # noqa: F401  (the engine dd.read_parquet needs)
    except ImportError:
        raise UnsupportedError(f"reading Parquet needs pyarrow; {INSTALL_HINT}") from None
    p = Path(os.fsdecode(path))
    parquet_files(p)
    try:
        frame = dd.read_parquet(str(p), split_row_groups="adaptive")
    except Exception as exc:  # pyarrow raises many types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{p}: not a readable Parquet file or folder ({first})") from None
    log.info("reading Parquet '%s' as %d partitions", p, frame.npartitions)
    return frame


def as_frame(data):
    """A Parquet path becomes a Dask DataFrame; anything else is returned unchanged."""
    return read_parquet(data) if is_parquet(data) else data


def active_client():
    """The active ``distributed.Client``, or None (then Dask's default scheduler runs)."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def check_columns(frame, needed, what: str = "the data") -> None:
    from pgmkit.errors import did_you_mean, format_choices

    cols = [str(c) for c in frame.columns]
    for c in needed:
        if c not in cols:
            raise DataError(f"{what} has no column '{c}'{did_you_mean(c, cols)}; columns are "
                            f"{format_choices(cols)}")


def whole_sequences(frame, keys: list[str]):
    """``frame`` with every sequence (rows sharing ``keys``) inside one partition.

    Already-whole partitions are kept as they are (one cheap pass over the key columns
    checks it); otherwise the frame is shuffled by the keys, and the log says so.
    """
    check_columns(frame, keys)
    if frame.npartitions == 1:
        return frame, False
    import dask

    parts = frame[keys].to_delayed()
    uniques = dask.compute(*[dask.delayed(_sequence_keys)(p, keys) for p in parts])
    seen = np.concatenate([u for u in uniques if len(u)]) if any(len(u) for u in uniques) \
        else np.zeros(0)
    if len(seen) == len(np.unique(seen)):
        return frame, False
    log.info("sequences straddle partitions: repartitioning %d partitions by %s",
             frame.npartitions, keys)
    return frame.shuffle(on=keys, npartitions=frame.npartitions), True


def _sequence_keys(part, keys: list[str]) -> np.ndarray:
    """The distinct sequence keys of one partition, as text (comparable across partitions)."""
    if len(part) == 0:
        return np.zeros(0, dtype=object)
    text = part[keys[0]].astype(str)
    for k in keys[1:]:
        text = text + "\x1f" + part[k].astype(str)
    return text.unique().astype(object)


def with_positions(frame):
    """``frame`` with a global row-position column and the partition offsets."""
    import dask

    sizes = dask.compute(*[dask.delayed(len)(p) for p in frame.to_delayed()])
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    parts = [dask.delayed(_number)(p, int(o)) for p, o in zip(frame.to_delayed(), offsets[:-1])]
    dd = require_dask()
    meta = frame._meta.assign(**{POSITION: np.zeros(0, dtype=np.int64)})
    return dd.from_delayed(parts, meta=meta, verify_meta=False), offsets


def _number(part, start: int):
    return part.assign(**{POSITION: np.arange(start, start + len(part), dtype=np.int64)})
