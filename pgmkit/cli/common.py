"""Helpers every CLI command uses: loading models, parsing evidence, printing results."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pgmkit.errors import EvidenceError, SpecError


def load_model(ref: str, backend: str | None = None):
    """A model from a file or directory path, or a bundled example's name."""
    import pgmkit
    from pgmkit.api import example

    path = Path(ref)
    if path.exists():
        return pgmkit.load(path, backend=backend)
    if path.suffix or "/" in ref:
        raise SpecError(f"{ref}: no such file")
    return example(ref, backend=backend)


def parse_given(items: list[str] | None) -> dict[str, str]:
    """``["Var=state", ...]`` -> ``{"Var": "state"}``."""
    out: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise EvidenceError(f"cannot read evidence '{part}': expected Var=state")
            var, state = (x.strip() for x in part.split("=", 1))
            if var in out and out[var] != state:
                raise EvidenceError(f"evidence gives '{var}' twice ({out[var]} and {state})")
            out[var] = state
    return out


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV file as a DataFrame; text columns stay text, empty cells are NaN. A Parquet
    file or folder becomes a Dask DataFrame, streamed partition by partition."""
    from pgmkit.distributed.frames import is_parquet, read_parquet

    if is_parquet(path):
        return read_parquet(path)
    from pgmkit.data.tables import read_csv

    return read_csv(path, text=True)


def to_jsonable(obj: Any) -> Any:
    """Results -> plain JSON values (NaN and infinities become null, times ISO-8601 text).

    The one conversion every command's ``--json`` output goes through.
    """
    import datetime

    from pgmkit.results import Assignment, Distribution

    if isinstance(obj, Distribution):
        if len(obj.variables) == 1:
            probs = obj.to_dict()
        else:
            probs = [{**dict(zip(obj.variables, k)), "probability": p} for k, p in obj.items()]
        return {"variables": list(obj.variables), "evidence": dict(obj.evidence),
                "probabilities": probs}
    if isinstance(obj, Assignment):
        return {"assignment": obj.to_dict(), "probability": obj.probability,
                "evidence": dict(obj.evidence)}
    if isinstance(obj, pd.DataFrame):
        # ISO-8601 text, not epoch milliseconds: a timestamp must join back to its input row
        return json.loads(obj.to_json(orient="records", date_format="iso", date_unit="us"))
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (datetime.date, datetime.datetime, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def json_text(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), indent=2)


def emit(obj: Any, args) -> None:
    """Print ``obj``: JSON with ``--json``, else its readable form."""
    if getattr(args, "json", False):
        print(json_text(obj))
    elif isinstance(obj, pd.DataFrame):
        print(obj.to_string(index=False))
    else:
        print(obj)


def write_table(frame: pd.DataFrame, path: str | Path, inputs=()) -> Path:
    """Write ``frame`` as CSV, atomically (see :func:`pgmkit.io.safe.atomic_write`). A Dask
    frame to a ``.parquet`` path is written as a Parquet folder, partition by partition."""
    from pgmkit.distributed.frames import is_dask
    from pgmkit.io.safe import atomic_write

    if is_dask(frame):
        if Path(path).suffix == ".parquet":
            frame.to_parquet(str(path), write_index=False)
            return Path(path)
        frame = frame.compute()
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False), inputs)


def wants_json_file(args) -> bool:
    """``-o`` writes JSON with ``--json`` or a ``.json`` name; CSV otherwise."""
    out = getattr(args, "output", None)
    return bool(out) and (getattr(args, "json", False) or Path(out).suffix.lower() == ".json")


def write_json(obj: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(obj) + "\n")
    return path


def output_table(frame: pd.DataFrame, args, noun: str = "rows") -> int:
    """Write ``frame`` to ``args.output`` (JSON records with ``--json`` or a ``.json`` name,
    else CSV) and say so, or print it (JSON records with ``--json``)."""
    from pgmkit.distributed.frames import is_dask

    out = getattr(args, "output", None)
    if is_dask(frame) and not str(out or "").endswith(".parquet"):
        frame = frame.compute()          # a Dask answer is gathered unless written as Parquet
    if out:
        if wants_json_file(args):
            write_json(frame, out)
        else:
            write_table(frame, out)
        done = {"output": str(out), noun: len(frame),
                "format": "json" if wants_json_file(args) else "csv"}
        emit(done if getattr(args, "json", False) else f"wrote {len(frame)} {noun} to {out}",
             args)
    else:
        emit(frame, args)
    return 0


def show_progress(args) -> bool:
    """A progress bar on an interactive terminal, unless ``--no-progress`` or ``--json``."""
    import sys

    if getattr(args, "no_progress", False) or getattr(args, "json", False):
        return False
    return sys.stderr.isatty()


def keep_option(p) -> None:
    p.add_argument("--keep", nargs="+", metavar="COL", default=None,
                   help="input columns to copy to the output unchanged (identifiers): the "
                   "answers join back to the input")
