"""User data (an array, a dict of arrays, or a DataFrame) -> tensors keyed by variable.

A model with one observed variable takes a bare array; otherwise data is keyed by
variable name. In a DataFrame a real vector ``x`` of size d is either one column of
array-like cells or the columns ``x[0] .. x[d-1]`` (the naming of every class, see
:mod:`pgmkit.data.columns`); discrete values follow :mod:`pgmkit.data.states`. Every mistake is a ``DataError``
naming the variable (and row) with what was expected and received.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from pgmkit.data.columns import check_real_columns, real_columns
from pgmkit.errors import DataError, did_you_mean, format_choices
from pgmkit.spec.cpd import NeuralCPD
from pgmkit.spec.model import ModelSpec, Variable


def to_tensors(spec: ModelSpec, data: Any, dtype: torch.dtype = torch.float32,
               allow_latent: bool = True) -> tuple[dict[str, torch.Tensor], int]:
    """Tensors for the variables in ``data`` and the number of rows."""
    raw = _as_mapping(spec, data)
    if not raw:
        raise DataError(f"the data gives no variable of model '{spec.name}'; expected "
                        f"{format_choices(spec.observed_names)}")
    out, n = {}, None
    for name, values in raw.items():
        var = spec[name]
        if var.latent and not allow_latent:
            raise DataError(f"'{name}' is latent in model '{spec.name}'; pass observed variables "
                            f"only: {format_choices(spec.observed_names)}")
        t = _discrete(var, values) if var.is_discrete else _real(var, values, dtype)
        if n is not None and t.shape[0] != n:
            raise DataError(f"variable '{name}' has {t.shape[0]} rows; the other variables have "
                            f"{n}")
        n = t.shape[0]
        out[name] = t
    if n == 0:
        raise DataError("the data has no rows")
    return out, int(n)


def _as_mapping(spec: ModelSpec, data) -> dict[str, Any]:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return _from_frame(spec, data)
    if isinstance(data, Mapping):
        unknown = [str(k) for k in data if str(k) not in spec]
        if unknown:
            raise DataError(f"data key(s) {unknown} are not variables of model '{spec.name}'"
                            f"{did_you_mean(unknown[0], spec.names)}; variables are "
                            f"{format_choices(spec.names)}")
        return {str(k): v for k, v in data.items()}
    observed = spec.observed_names
    if len(observed) != 1:
        raise DataError(f"model '{spec.name}' has {len(observed)} observed variables "
                        f"{list(observed)}: pass a dict or DataFrame keyed by variable name; "
                        f"received {type(data).__name__}")
    return {observed[0]: data}


def _from_frame(spec: ModelSpec, df) -> dict[str, Any]:
    out: dict[str, Any] = {}
    used = set()
    for v in spec.variables:
        if v.name in df.columns:
            col = df[v.name]
            out[v.name] = (np.stack([np.asarray(c, dtype=float) for c in col])
                           if not v.is_discrete and len(col) and np.ndim(col.iloc[0]) > 0
                           else col.to_numpy())
            used.add(v.name)
        elif not v.is_discrete:
            check_real_columns(v.name, v.domain.shape, df.columns)
            cols = real_columns(v.name, v.domain.shape)
            if all(c in df.columns for c in cols):
                out[v.name] = df[cols].to_numpy(dtype=float).reshape((len(df),) + v.domain.shape)
                used.update(cols)
    extra = [str(c) for c in df.columns if c not in used]
    if extra:
        raise DataError(f"column(s) {format_choices(extra)} are not variables of model "
                        f"'{spec.name}'{did_you_mean(extra[0], spec.names)}; variables are "
                        f"{format_choices(spec.names)}")
    return out


def _real(var: Variable, values, dtype: torch.dtype) -> torch.Tensor:
    try:
        arr = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else \
            np.asarray(values, dtype=float)
        arr = arr.astype(float, copy=False)
    except (TypeError, ValueError):
        raise DataError(f"variable '{var.name}' is real-valued; received non-numeric values") \
            from None
    shape = tuple(var.domain.shape)
    if arr.ndim == len(shape) and shape and arr.shape == shape:
        arr = arr[None]  # one row
    if arr.shape[1:] != shape:
        raise DataError(f"variable '{var.name}' has shape {list(shape)}, so the data should have "
                        f"shape {['rows', *shape]}; received {list(arr.shape)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(f"variable '{var.name}' has a NaN or infinite value in row {row}")
    if isinstance(var.cpd, NeuralCPD) and var.cpd.family == "bernoulli":
        off = (arr != 0) & (arr != 1)
        if off.any():
            row = int(np.argwhere(off)[0][0])
            raise DataError(f"variable '{var.name}' has a bernoulli CPD, so its values must be "
                            f"0 or 1; row {row} has {arr[off][0]:g} (binarize the data first)")
    return torch.tensor(arr, dtype=dtype)


def _discrete(var: Variable, values) -> torch.Tensor:
    from pgmkit.data.states import MISSING, encode_values, not_a_state

    arr = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise DataError(f"variable '{var.name}' is discrete: expected one state per row; "
                            f"received shape {list(arr.shape)}")
    codes = encode_values(arr, var.states)
    wrong = np.flatnonzero(codes < 0)
    if len(wrong):
        row = int(wrong[0])
        if codes[row] == MISSING:
            raise DataError(f"row {row}: '{var.name}' is missing; deep models need every "
                            "observed value (drop the row or leave the variable out)")
        raise DataError(f"row {row}: {not_a_state(arr[row], var.name, var.states)}")
    return torch.as_tensor(codes)
