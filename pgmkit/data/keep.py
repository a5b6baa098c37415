"""Pass-through columns: identifiers a user wants back next to every answer.

A table of rows to score often carries columns that are not variables of the model (a
patient id, a timestamp). Such a column is refused unless it is named in ``keep=``
(``--keep`` on the command line): then it is set aside before the model sees the data
and put back, unchanged and in the input's row order, at the front of the result, so
the answer joins back to the input. One rule for every table-taking call.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import pandas as pd

from pgmkit.errors import DataError, did_you_mean, format_choices


def keep_list(keep: str | Iterable[str] | None) -> list[str]:
    """``keep`` as a list of column names (a single name may be given as a string)."""
    if keep is None:
        return []
    names = [keep] if isinstance(keep, str) else list(keep)
    if len(set(names)) != len(names):
        raise DataError(f"keep= names a column twice: {names}")
    return names


def split_kept(data: pd.DataFrame, keep: str | Iterable[str] | None
               ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``data`` without the kept columns, and the kept columns (None when nothing is kept).

    Examples
    --------
    >>> import pandas as pd
    >>> rest, kept = split_kept(pd.DataFrame({"id": [7], "A": ["x"]}), ["id"])
    >>> list(rest.columns), list(kept.columns)
    (['A'], ['id'])
    """
    names = keep_list(keep)
    if not names:
        return data, None
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"keep= needs a pandas DataFrame; received {type(data).__name__}")
    columns = [str(c) for c in data.columns]
    for name in names:
        if name not in data.columns:
            raise DataError(f"keep= names column '{name}', which the data does not have"
                            f"{did_you_mean(name, columns)}; columns are "
                            f"{format_choices(columns)}")
    return data.drop(columns=names), data[names]


def attach_kept(result: pd.DataFrame, kept: pd.DataFrame | None,
                before: Sequence[str] = ()) -> pd.DataFrame:
    """``result`` with the kept columns in front (after the columns ``before``).

    ``result`` must have the input's index. A kept column whose name the result already
    uses is a ``DataError`` (the answer would be ambiguous).
    """
    if kept is None:
        return result
    clash = [c for c in kept.columns if c in result.columns and c not in before]
    if clash:
        raise DataError(f"kept column(s) {format_choices(clash)} have the name of a result "
                        "column; rename them before passing them through")
    kept = kept.drop(columns=[c for c in kept.columns if c in result.columns])
    lead = [c for c in before if c in result.columns]
    return pd.concat([result[lead], kept, result.drop(columns=lead)], axis=1)


def refuse_unknown(columns: Iterable, allowed: Iterable[str], model: str, what: str = "data"
                   ) -> None:
    """DataError naming the columns that are neither variables nor keys nor kept."""
    allowed = set(allowed)
    unknown = [str(c) for c in columns if str(c) not in allowed]
    if unknown:
        raise DataError(f"the {what} has column(s) {format_choices(unknown)} that are not "
                        f"variables of model '{model}'{did_you_mean(unknown[0], allowed)}; drop "
                        f"them, or pass them through with keep={unknown!r} (--keep on the "
                        "command line)")


def check_log_columns(spec, logs, sequence: str, order: str | None,
                      groupby: str | None) -> None:
    """Refuse columns of a log (or a mixture's table) that are neither keys nor variables.

    Skipped while a key or an observed variable's column is missing: the log reader then
    names the missing column, with a "did you mean" among the ones present.
    """
    from pgmkit.data.sequences import real_columns

    allowed = [k for k in (sequence, order, groupby) if k]
    needed = list(allowed)
    for v in spec.variables:
        names = [v.name] if v.is_discrete else real_columns(v.name, v.domain.shape)
        allowed += [v.name, *names]
        needed += [] if v.latent else names
    if any(k not in logs.columns for k in needed):
        return
    refuse_unknown(logs.columns, allowed, spec.name, "log")
