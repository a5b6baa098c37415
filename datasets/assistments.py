"""ASSISTments 2009-2010 skill-builder logs (the knowledge-tracing train/test split).

The data is not shipped with pgmkit: it lives in ``../shared/datasets/assistments2009``
next to the project (``train.csv``, ``test.csv``: student, step, skill, correct). Pass
``path=`` to read it from elsewhere. :func:`available` says whether it is there, so
tests and benchmarks can skip with a clear message.

Examples
--------
>>> from pgmkit.datasets import assistments
>>> if assistments.available():
...     train = assistments.load("train")
...     print(list(train.columns))
... else:
...     print(['student', 'step', 'skill', 'correct'])
['student', 'step', 'skill', 'correct']
"""
from __future__ import annotations

import os
from pathlib import Path

from pgmkit.errors import DataError

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "assistments2009"
SPLITS = ("train", "test")
COLUMNS = ("student", "step", "skill", "correct")


def data_dir(path: str | os.PathLike | None = None) -> Path:
    return Path(path) if path is not None else DEFAULT_DIR


def available(path: str | os.PathLike | None = None) -> bool:
    """Whether both split files are present."""
    folder = data_dir(path)
    return all((folder / f"{s}.csv").is_file() for s in SPLITS)


def missing_message(path: str | os.PathLike | None = None) -> str:
    return (f"ASSISTments 2009 logs not found in '{data_dir(path)}' (expected train.csv and "
            "test.csv); they are not part of the package")


def load(split: str = "train", path: str | os.PathLike | None = None):
    """One split as a DataFrame: ``student`` (text), ``step``, ``skill``, ``correct`` (0/1).

    Raises ``DataError`` when the files are absent or the split is unknown.
    """
    import pandas as pd

    if split not in SPLITS:
        raise DataError(f"unknown split '{split}'; expected one of {list(SPLITS)}")
    if not available(path):
        raise DataError(missing_message(path))
    frame = pd.read_csv(data_dir(path) / f"{split}.csv",
                        dtype={"student": str, "step": "int64", "skill": "int64", "correct": "int64"})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{split}.csv lacks column(s) {missing}")
    return frame[list(COLUMNS)]
