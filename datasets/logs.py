"""Generic long-format event logs: one row per event, a sequence id, an order column.

The loaders here read and check such logs and split them by sequence, so a model is
evaluated on sequences (students, users, sessions) it has never seen.

Examples
--------
>>> import pandas as pd
>>> from pgmkit.datasets.logs import split_by_sequence
>>> logs = pd.DataFrame({"user": list("aabbc"), "step": [0, 1, 0, 1, 0]})
>>> train, test = split_by_sequence(logs, "user", test_fraction=0.34, seed=0)
>>> sorted(set(train.user) | set(test.user))
['a', 'b', 'c']
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from pgmkit.errors import DataError, did_you_mean, format_choices


def load_logs(path: str | os.PathLike, sequence: str, order: str,
              columns: Sequence[str] | None = None, parse_dates: bool = False):
    """Read a CSV event log, check its key columns, and sort it by sequence then order.

    ``columns`` (besides the keys) restricts what is kept; ``parse_dates`` reads the
    order column as timestamps. Text columns stay text.
    """
    import pandas as pd

    from pgmkit.data.tables import read_csv

    path = Path(path)
    logs = read_csv(path)
    wanted = [sequence, order] + list(columns or [])
    have = [str(c) for c in logs.columns]
    for c in wanted:
        if c not in have:
            raise DataError(f"{path.name} has no column '{c}'{did_you_mean(c, have)}; columns "
                            f"are {format_choices(have)}")
    if columns is not None:
        logs = logs[wanted]
    if parse_dates:
        logs[order] = pd.to_datetime(logs[order])
    return logs.sort_values([sequence, order], kind="stable").reset_index(drop=True)


def split_by_sequence(logs, sequence: str, test_fraction: float = 0.2, seed: int | None = 0):
    """Split a log into (train, test) by whole sequences, seeded."""
    if not 0 < test_fraction < 1:
        raise DataError(f"test_fraction must be between 0 and 1; received {test_fraction}")
    ids = logs[sequence].unique()
    rng = np.random.default_rng(seed)
    test_ids = set(rng.choice(ids, size=max(1, round(len(ids) * test_fraction)), replace=False))
    mask = logs[sequence].isin(test_ids).to_numpy()
    return logs[~mask].reset_index(drop=True), logs[mask].reset_index(drop=True)
