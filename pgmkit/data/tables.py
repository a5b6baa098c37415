"""Encode a DataFrame of discrete observations as integer state codes.

The one place where data meets the spec's states, so every engine reports bad data the
same way: unknown columns and states are named (with the row), and integer or integral
float columns match states written as digits (a 0/1 ``correct`` column fits states
``"0"``, ``"1"``). NaN means unobserved; whether that is allowed is the caller's policy.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from pgmkit.errors import DataError, did_you_mean, format_choices
from pgmkit.spec.model import ModelSpec

MISSING = -1


def check_frame(df) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame; received {type(df).__name__}")
    if len(df) == 0:
        raise DataError("the data has no rows")
    return df


def check_columns(spec: ModelSpec, df: pd.DataFrame, columns: Sequence[str] | None = None,
                  required: Sequence[str] = ()) -> list[str]:
    """The columns to use; DataError for columns that are not variables or missing ones."""
    columns = list(df.columns if columns is None else columns)
    repeated = [str(c) for c in df.columns[df.columns.duplicated()].unique()]
    if repeated:
        raise DataError(f"column(s) {format_choices(repeated)} appear more than once in the "
                        "data; keep one of each")
    unknown = [c for c in columns if c not in spec]
    if unknown:
        hints = "".join(did_you_mean(str(c), spec.names) for c in unknown[:1])
        raise DataError(f"column(s) {format_choices(unknown)} are not variables of model "
                        f"'{spec.name}'{hints}; drop them or rename them (queries and predictions "
                        "pass identifier columns through with keep=, on the command line "
                        "--keep)")
    missing = [r for r in required if r not in df.columns]
    if missing:
        raise DataError(f"the data has no column for variable(s) {format_choices(missing)} of "
                        f"model '{spec.name}'")
    real = [c for c in columns if not spec[c].is_discrete]
    if real:
        raise DataError(f"column(s) {real} are real-valued variables; this operation takes "
                        "discrete variables only")
    return columns


def state_text(value) -> str | None:
    """A value given in Python (evidence, a state to look up) as state text, by the one
    rule of :mod:`pgmkit.data.states`; ``None`` for booleans, which need the variable's
    states to be read (use :func:`pgmkit.data.states.state_text` with them)."""
    from pgmkit.data.states import state_text as text

    if isinstance(value, (bool, np.bool_)):
        return None
    return text(value)


def encode_column(spec: ModelSpec, col: pd.Series, name: str | None = None) -> np.ndarray:
    """Codes of one column: state index, or ``MISSING`` (-1) where the cell is missing,
    by the one rule of :mod:`pgmkit.data.states`."""
    from pgmkit.data.states import BAD, encode_values, not_a_state

    name = name or str(col.name)
    states = spec[name].states
    codes = encode_values(col, states)
    bad = codes == BAD
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        wrong = {repr(v) for v in col[bad]}     # repr: a cell may hold a list
        more = f" ({len(wrong)} distinct bad values)" if len(wrong) > 1 else ""
        raise DataError(f"column '{name}', row {col.index[first]}: "
                        f"{not_a_state(col.iloc[first], name, states)}{more}")
    return codes


def encode_frame(spec: ModelSpec, df: pd.DataFrame, columns: Sequence[str] | None = None,
                 allow_missing: bool = True, missing_hint: str = "") -> np.ndarray:
    """Integer codes, shape ``(rows, columns)``; ``-1`` marks a NaN cell.

    Examples
    --------
    >>> from pgmkit.spec.build import build_spec
    >>> spec = build_spec({"variables": {"C": {"states": ["0", "1"], "cpd": [0.5, 0.5]}}})
    >>> encode_frame(spec, pd.DataFrame({"C": [1, 0, None]})).ravel().tolist()
    [1, 0, -1]
    """
    check_frame(df)
    columns = check_columns(spec, df, columns)
    out = np.empty((len(df), len(columns)), dtype=np.int64)
    for j, c in enumerate(columns):
        out[:, j] = encode_column(spec, df[c], c)
    if not allow_missing and (out == MISSING).any():
        j = int(np.flatnonzero((out == MISSING).any(axis=0))[0])
        n = int((out == MISSING).sum())
        first = df.index[np.flatnonzero(out[:, j] == MISSING)[0]]
        raise DataError(f"the data has {n} missing cell(s) (first: column '{columns[j]}', row "
                        f"{first}){missing_hint}")
    return out


def decode(spec: ModelSpec, name: str, codes: np.ndarray) -> np.ndarray:
    """State names for codes of variable ``name`` (object array)."""
    states = np.array(spec[name].states, dtype=object)
    return states[codes]


def read_csv(path, text: bool = False) -> pd.DataFrame:
    """Read a CSV file, turning every way it can fail into one ``DataError`` line.

    With ``text=True`` every column stays text (states as written; empty cells are
    NaN); otherwise pandas infers numbers, which an order column needs to sort right.
    """
    from pathlib import Path

    from pgmkit.io.safe import MAX_DATA_BYTES, checked_file

    path = checked_file(Path(path), "data file (CSV)", DataError, MAX_DATA_BYTES)
    options = {"dtype": str, "keep_default_na": False, "na_values": [""]} if text else {}
    try:
        frame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
    _check_header(frame, path)
    return frame


def _check_header(frame: pd.DataFrame, path) -> None:
    """A CSV without a header row has its first row of numbers read as column names."""
    names = [str(c) for c in frame.columns]
    numeric = 0
    for name in names:
        try:
            float(name.split(".")[0] if name.count(".") > 1 else name)   # pandas dedups '1.1'
            numeric += 1
        except ValueError:
            pass
    if names and numeric == len(names):
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        raise DataError(f"{path}: the first row ({shown}) is numbers, not column names: the "
                        "CSV needs a header row naming the variables (a real vector x of "
                        "size d as x[0], ..., x[d-1])")
