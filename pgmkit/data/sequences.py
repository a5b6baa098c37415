"""Long-format event logs -> packed sequence arrays for the temporal engines.

A log has one row per event: a sequence-id column, an order column (a step number or
a timestamp) and one column per observed variable. :func:`pack_logs` sorts the events
of each sequence, encodes the states, and lays the events out *time-major and packed*:
sequences are sorted by length (longest first) and the events at position ``t`` of all
sequences still running form one contiguous block. A forward pass then touches only
live sequences at every step, with no padding, whatever the spread of lengths.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from pgmkit.data.columns import check_real_columns, real_columns  # noqa: F401 (re-exported)
from pgmkit.data.states import not_a_state
from pgmkit.errors import DataError, did_you_mean, format_choices
from pgmkit.spec.model import ModelSpec


@dataclass(frozen=True, eq=False)
class SequenceBatch:
    """Events of many sequences, packed time-major (see the module docstring).

    Packed position of event ``t`` of the ``i``-th longest sequence is
    ``offsets[t] + i``. ``rows[p]`` is the input row (by position) of packed event ``p``.
    ``codes[var]`` holds integer state codes (-1 where missing); ``reals[var]`` holds
    floats of shape ``(events, size)`` with NaN where missing.
    """

    sequence_ids: np.ndarray          # (N,) labels, longest sequence first
    group_codes: np.ndarray           # (N,) index into ``groups``
    groups: tuple                     # group labels (``(None,)`` without groupby)
    lengths: np.ndarray               # (N,) descending
    batch_sizes: np.ndarray           # (T,) live sequences per step
    offsets: np.ndarray               # (T + 1,)
    rows: np.ndarray                  # (events,) input row position per packed event
    steps: np.ndarray                 # (events,) order value per packed event
    codes: Mapping[str, np.ndarray] = field(default_factory=dict)
    reals: Mapping[str, np.ndarray] = field(default_factory=dict)
    sequence_codes: np.ndarray | None = None   # (N,) index into the whole log's sequence keys

    @property
    def num_sequences(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def num_events(self) -> int:
        return int(self.rows.shape[0])

    @property
    def seq_of_event(self) -> np.ndarray:
        """Sequence index (into ``sequence_ids``) of each packed event."""
        return np.concatenate([np.arange(n) for n in self.batch_sizes]) if self.num_events else \
            np.zeros(0, dtype=np.int64)

    @property
    def time_of_event(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.batch_sizes)), self.batch_sizes)


def show(value) -> str:
    """A value as a user wrote it in a message (``1``, ``'x'``), not ``np.int64(1)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def encode_states(values, states: Sequence[str]):
    """Integer codes of ``values`` against ``states`` (-1 for missing) and the bad
    positions, by the one rule of :mod:`pgmkit.data.states`."""
    from pgmkit.data.states import BAD, MISSING, encode_values

    codes = encode_values(values, states)
    bad = np.flatnonzero(codes == BAD)
    codes[bad] = MISSING
    return codes, bad


def _check_columns(df, needed: Sequence[str]) -> None:
    cols = [str(c) for c in df.columns]
    for c in needed:
        if c not in cols:
            raise DataError(f"the logs have no column '{c}'{did_you_mean(c, cols)}; columns are "
                            f"{format_choices(cols)}")


def group_labels(values) -> tuple:
    """The sorted distinct labels of a ``groupby`` column: the global group codes.

    Code every partition of a log against the labels of the *whole* log (pass them as
    ``pack_logs(..., groups=...)``) and the per-group EM statistics of the partitions
    line up and add exactly.
    """
    import pandas as pd

    return tuple(pd.factorize(pd.Series(values).dropna(), sort=True)[1].tolist())


def sequence_keys(logs, sequence: str, groupby: str | None = None):
    """The distinct sequence keys of a whole log, in order of first appearance: the
    global sequence codes (pass them as ``pack_logs(..., sequences=...)``).

    With ``groupby`` a sequence is a (group, id) pair, so the keys are a MultiIndex.
    """
    import pandas as pd

    if groupby:
        return pd.MultiIndex.from_frame(logs[[groupby, sequence]].drop_duplicates())
    return pd.Index(pd.unique(logs[sequence]))


def pack_logs(spec: ModelSpec, logs, sequence: str, order: str | None,
              groupby: str | None = None, require: Sequence[str] | None = None,
              groups: Sequence | None = None, sequences=None) -> SequenceBatch:
    """Sort, encode and pack a long-format log for ``spec``.

    ``require`` lists the variables whose column must be present (default: every
    observed variable). Columns of latent variables are optional: where present their
    values act as labels. ``groups`` fixes the group labels (and so the group codes) to
    those of a larger log this one is a partition of (default: this log's own sorted
    labels, see :func:`group_labels`), and ``sequences`` the sequence keys of that log
    (:func:`sequence_keys`), which set ``SequenceBatch.sequence_codes``. Sequences are
    whole within one log. Raises
    :class:`DataError` for an empty log, a missing column, an unknown state or group or
    a repeated step, naming the sequence and the row.

    Examples
    --------
    >>> import pandas as pd, pgmkit
    >>> spec = pgmkit.example_spec("bkt")
    >>> logs = pd.DataFrame({"student": ["a", "a", "b"], "step": [0, 1, 0], "correct": [0, 1, 1]})
    >>> pack_logs(spec, logs, "student", "step").lengths.tolist()
    [2, 1]
    """
    import pandas as pd

    if not isinstance(logs, pd.DataFrame):
        raise DataError(f"logs must be a pandas DataFrame or a CSV path; received "
                        f"{type(logs).__name__}")
    if len(logs) == 0:
        raise DataError("the logs are empty: expected one row per event")
    require = spec.observed_names if require is None else tuple(require)
    keys = [sequence] + ([order] if order else []) + ([groupby] if groupby else [])
    needed = list(keys)
    for name in require:
        v = spec[name]
        if not v.is_discrete:
            check_real_columns(name, v.domain.shape, logs.columns)
        needed += [name] if v.is_discrete else real_columns(name, v.domain.shape)
    _check_columns(logs, needed)
    for key in keys:
        if logs[key].isna().any():
            pos = int(np.flatnonzero(logs[key].isna().to_numpy())[0])
            raise DataError(f"row {pos}: column '{key}' is empty; every event needs a "
                            f"{'sequence id' if key == sequence else key}")
    seq_code, seq_labels, group_codes, groups = _sequence_codes(logs, sequence, groupby, groups)
    order_vals = order_values(logs[order], order) if order else np.zeros(len(logs), np.int64)
    sort = _sort_events(seq_code, order_vals, logs, sequence, order, seq_labels)
    batch = _pack(spec, logs, sort, seq_code, seq_labels, group_codes, groups, order_vals,
                  sequence)
    return _with_sequence_codes(batch, sequences, groupby)


def _with_sequence_codes(batch: SequenceBatch, sequences, groupby: str | None) -> SequenceBatch:
    """Each packed sequence's code among ``sequences`` (default: this log's own keys)."""
    import dataclasses

    import pandas as pd

    if sequences is None:       # _pack coded them against this log's own keys
        return batch
    if groupby:
        keys = pd.MultiIndex.from_arrays([np.asarray(batch.groups, dtype=object)[batch.group_codes],
                                          batch.sequence_ids])
    else:
        keys = pd.Index(batch.sequence_ids)
    codes = pd.Index(sequences).get_indexer(keys)
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise DataError(f"sequence {show(keys[i])} is not one of the sequences this log was "
                        "declared a partition of")
    return dataclasses.replace(batch, sequence_codes=codes.astype(np.int64))


def order_values(column, order: str) -> np.ndarray:
    """The order column as values that sort in time: numbers, or timestamps.

    Text is never sorted as text: digits written as text ('0'..'11', as a CSV read with
    every column as text gives them) become numbers, else ISO dates become timestamps;
    anything else ('later') is refused, since text order would put step 10 before 2.
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        raise DataError(f"column '{order}' holds booleans; expected step numbers or timestamps")
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column.to_numpy()
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().all():
        return numbers.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = pd.to_datetime(column, errors="coerce", format="ISO8601")
    if times.notna().all():
        return times.to_numpy()
    r = int(np.flatnonzero((numbers.isna() & times.isna()).to_numpy())[0])
    raise DataError(f"row {r}: column '{order}' is '{column.iloc[r]}'; expected step numbers "
                    "or timestamps (text would sort step 10 before step 2)")


def _sequence_codes(logs, sequence: str, groupby: str | None, labels=None):
    """Code each row's sequence; with ``groupby`` a sequence is a (group, id) pair."""
    import pandas as pd

    if groupby:
        if labels is None:
            gcode, groups = pd.factorize(logs[groupby], sort=True)
        else:
            groups = pd.Index(list(labels))
            gcode = groups.get_indexer(logs[groupby])
            if (gcode < 0).any():
                r = int(np.flatnonzero(gcode < 0)[0])
                raise DataError(f"row {r}: group {show(logs[groupby].iloc[r])} of column "
                                f"'{groupby}' is not one of the groups {format_choices(map(str, groups))}")
        frame = pd.DataFrame({"g": gcode, "s": pd.factorize(logs[sequence])[0]})
        seq_code = frame.groupby(["g", "s"], sort=False).ngroup().to_numpy()
        first = np.unique(seq_code, return_index=True)[1]
        seq_labels = logs[sequence].to_numpy()[first]
        seq_group = gcode[first]
        return seq_code, seq_labels, seq_group, tuple(groups.tolist())
    seq_code, labels = pd.factorize(logs[sequence])
    return seq_code, np.asarray(labels, dtype=object), np.zeros(len(labels), np.int64), (None,)


def _sort_events(seq_code, order_vals, logs, sequence, order, seq_labels) -> np.ndarray:
    import pandas as pd

    frame = pd.DataFrame({"s": seq_code, "o": order_vals, "r": np.arange(len(seq_code))})
    try:
        frame = frame.sort_values(["s", "o"], kind="stable")
    except TypeError as exc:
        raise DataError(f"column '{order}' mixes values that cannot be ordered ({exc}); expected "
                        "step numbers or timestamps") from None
    if order:
        dup = frame.duplicated(["s", "o"], keep=False).to_numpy()
        if dup.any():
            first = frame[dup].iloc[:2]
            rows = first["r"].tolist()
            raise DataError(f"sequence '{seq_labels[first['s'].iloc[0]]}' has step "
                            f"{show(first['o'].iloc[0])} twice (rows {rows[0]} and {rows[1]}); steps "
                            f"must be unique within a sequence")
    return frame["r"].to_numpy()


def _pack(spec, logs, sort, seq_code, seq_labels, group_codes, groups, order_vals, sequence):
    n_seq = len(seq_labels)
    lengths = np.bincount(seq_code, minlength=n_seq)
    rank = np.argsort(-lengths, kind="stable")          # packed sequence index -> sequence code
    pos_of = np.empty(n_seq, np.int64)
    pos_of[rank] = np.arange(n_seq)
    sorted_seq = seq_code[sort]
    starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
    t_in_seq = np.arange(len(sort)) - starts[sorted_seq]
    lengths_sorted = lengths[rank]
    t_max = int(lengths_sorted[0])
    # live sequences at step t = how many are longer than t
    batch_sizes = np.bincount(lengths_sorted, minlength=t_max + 1)[::-1].cumsum()[::-1][1:]
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)])
    packed = offsets[t_in_seq] + pos_of[sorted_seq]
    rows = np.empty(len(sort), np.int64)
    rows[packed] = sort
    codes, reals = {}, {}
    seq_of_row = np.asarray(seq_labels, dtype=object)[seq_code]
    for v in spec.variables:
        cols = [v.name] if v.is_discrete else real_columns(v.name, v.domain.shape)
        if not all(c in logs.columns for c in cols):
            continue
        if v.is_discrete:
            c, bad = encode_states(logs[v.name].to_numpy(), v.states)
            if len(bad):
                r = int(bad[0])
                raise DataError(
                    f"row {r} (sequence '{seq_of_row[r]}', step {show(order_vals[r])}): '{v.name}' = "
                    f"{not_a_state(logs[v.name].iloc[r], v.name, v.states)}")
            codes[v.name] = c[rows]
        else:
            vals = logs[cols].apply(lambda s: _to_float(s, v.name)).to_numpy(dtype=float)
            reals[v.name] = vals[rows]
    return SequenceBatch(
        sequence_ids=np.asarray(seq_labels, dtype=object)[rank], group_codes=group_codes[rank],
        groups=groups, lengths=lengths_sorted, batch_sizes=batch_sizes, offsets=offsets,
        rows=rows, steps=np.asarray(order_vals)[rows], codes=codes, reals=reals,
        sequence_codes=rank.astype(np.int64))   # first-appearance order = sequence_keys


def _to_float(series, name: str):
    import pandas as pd

    out = pd.to_numeric(series, errors="coerce")
    bad = out.isna() & series.notna()
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"row {r}: '{name}' is real-valued; received '{series.iloc[r]}'")
    infinite = np.isinf(out.to_numpy(dtype=float))
    if infinite.any():
        r = int(np.flatnonzero(infinite)[0])
        raise DataError(f"row {r}: '{name}' is {out.iloc[r]}: real values must be finite "
                        "(leave a cell empty or NaN when it is missing)")
    return out


def read_logs(logs, order: str | None = None):
    """The one log reader: a DataFrame as it is, or a CSV file read for a temporal model.

    A CSV's cells stay text (states as written, see :mod:`pgmkit.data.states`; empty
    cells are missing), except the ``order`` column, which becomes numbers when every
    value is one, else timestamps when every value is one (ISO-8601 text), so steps sort
    as the user meant (``10`` after ``9``). Used by every temporal model, mixtures and
    the CLI.
    """
    import pandas as pd

    if isinstance(logs, pd.DataFrame):
        return logs
    if isinstance(logs, (str, bytes)) or hasattr(logs, "__fspath__"):
        from pathlib import Path

        from pgmkit.data.tables import read_csv

        path = Path(logs)
        if not path.is_file():
            raise DataError(f"no log file '{path}'")
        frame = read_csv(path, text=True)
        if order and order in frame.columns:
            frame[order] = _sortable(frame[order])
        return frame
    raise DataError(f"logs must be a DataFrame or a CSV path; received {type(logs).__name__}")


def _sortable(column):
    """Numbers if every value is one, else timestamps if every value is one, else text."""
    import pandas as pd

    as_number = pd.to_numeric(column, errors="coerce")
    if as_number.notna().all():
        return as_number
    with warnings.catch_warnings():          # pandas warns when it guesses a format
        warnings.simplefilter("ignore", UserWarning)
        as_time = pd.to_datetime(column, errors="coerce")
    return as_time if as_time.notna().all() else column
