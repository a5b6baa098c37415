"""The ``normal`` kind (alias ``gaussian``): a Gaussian real child whose mean and standard
deviation are looked up by its discrete parents (one per parent assignment)."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from pgmkit.spec.kinds.base import CPD, CPDKind, arrays_equal, frozen_array, key_parts, plain
from pgmkit.spec.reading import Collector, boolean, numbers, unknown_keys
from pgmkit.spec.yaml_io import line_of

KEYS = ("loc", "scale", "learn")


@dataclass(frozen=True, eq=False)
class NormalCPD(CPD):
    """A Gaussian whose mean and standard deviation are looked up by the discrete parents.

    ``loc`` and ``scale`` have shape ``(*parent_cards, *shape)`` where ``shape`` is the
    child's. With no parents that is just the child's shape. ``learn`` says whether
    stochastic variational inference treats them as parameters (EM always re-estimates
    them; a fixed ``N(0, I)`` prior keeps ``learn=False``).
    """

    loc: np.ndarray
    scale: np.ndarray
    learn: bool = False

    kind = "normal"

    def __post_init__(self):
        object.__setattr__(self, "loc", frozen_array(self.loc))
        object.__setattr__(self, "scale", frozen_array(self.scale))

    def __eq__(self, other):
        return (isinstance(other, NormalCPD) and self.learn == other.learn
                and arrays_equal(self.loc, other.loc) and arrays_equal(self.scale, other.scale))

    def __hash__(self):
        return hash((self.loc.tobytes(), self.scale.tobytes(), self.learn))

    def num_parameters(self) -> int:
        return int(self.loc.size + self.scale.size)


# -- parsing ---------------------------------------------------------------------------

def parse(var, body: Mapping, parents, col: Collector, line=None) -> NormalCPD | None:
    from pgmkit.spec.model import Discrete, Real

    unknown_keys(body, KEYS, "normal CPD", col, var.name)
    if not isinstance(var.domain, Real):
        col.add("a normal CPD needs a real variable ('real: [n]'); this one has states",
                var.name, line_of(body))
        return None
    if any(not isinstance(d, Discrete) for _, d in parents):
        col.add("a normal CPD conditions on discrete parents only; with real parents use "
                "linear_gaussian or neural", var.name, line_of(body))
        return None
    tail = var.domain.shape
    loc = _by_parents(var, body.get("loc", 0.0), parents, "loc", tail, col)
    scale = _by_parents(var, body.get("scale", 1.0), parents, "scale", tail, col)
    learn = boolean(body, "learn", False, col, var.name)
    return NormalCPD(loc, scale, learn)


def _by_parents(var, raw, parents, what: str, tail: tuple[int, ...], col: Collector) -> np.ndarray:
    """Values laid out as ``(*parent_cards, *tail)``: a map keyed by parent states, an array
    of that shape, a list with one entry per parent row, or one value broadcast."""
    pstates = [d.states for _, d in parents]
    pshape = tuple(len(s) for s in pstates)
    full = pshape + tail
    if isinstance(raw, Mapping) and parents:
        out = np.full(full, math.nan)
        by_parts = {key_parts(k): v for k, v in raw.items()}
        for i, assign in enumerate(itertools.product(*pstates)):
            if assign not in by_parts:
                col.add(f"normal {what} has no entry for parents ({', '.join(assign)})", var.name,
                        line_of(raw))
                continue
            value = by_parts[assign]
            out[np.unravel_index(i, pshape)] = _broadcast(numbers(value, what, col, var.name),
                                                          tail, what, var, col)
        for k in raw:
            if key_parts(k) not in set(itertools.product(*pstates)):
                col.add(f"normal {what} key '{k}' is not an assignment of parents "
                        f"{[str(p) for p, _ in parents]}", var.name, line_of(raw, k))
        return out
    arr = numbers(raw, what, col, var.name)
    if arr.shape == full:
        return arr
    n_rows = int(np.prod(pshape)) if pshape else 1
    if parents and arr.ndim >= 1 and arr.shape[0] == n_rows and n_rows > 1:
        return np.stack([_broadcast(a, tail, what, var, col) for a in arr]).reshape(full)
    return np.broadcast_to(_broadcast(arr, tail, what, var, col), full).copy()


def _broadcast(arr: np.ndarray, tail, what, var, col) -> np.ndarray:
    try:
        return np.broadcast_to(arr, tail).astype(float)
    except ValueError:
        col.add(f"normal {what} has shape {list(arr.shape)}; expected {list(tail)} or a single "
                "number", var.name)
        return np.full(tail, math.nan)


# -- checks ----------------------------------------------------------------------------

def check(cpd: NormalCPD, var, parents, add, key: str, label: str) -> None:
    name = var.name
    if var.is_discrete:
        add(f"a normal CPD needs a real child; '{name}' has states: use a table", name, key)
        return
    pvars = [pv for _, pv in parents]
    if any(not pv.is_discrete for pv in pvars):
        add("a normal CPD conditions on discrete parents only; for real parents use "
            "'linear_gaussian' or 'neural'", name, key)
        return
    expected = tuple(pv.card for pv in pvars) + tuple(var.domain.shape)
    for field_name, arr in (("loc", cpd.loc), ("scale", cpd.scale)):
        if arr.shape != expected:
            add(f"normal {field_name} has shape {list(arr.shape)}; expected {list(expected)} "
                "(parent states, then the variable's shape)", name, key)
        elif not np.all(np.isfinite(arr)):
            add(f"normal {field_name} has NaN or infinite values", name, key)
    if cpd.scale.shape == expected and np.any(cpd.scale <= 0):
        add(f"normal scale must be > 0; received min {float(np.min(cpd.scale))}", name, key)


# -- serialization ---------------------------------------------------------------------

def _uniform(value: np.ndarray):
    """One number instead of an array whose entries are all equal."""
    if value.size and np.all(value == value.flat[0]):
        return float(value.flat[0])
    return None


def _write_by_parents(spec, arr: np.ndarray, parents, tail_ndim: int):
    if not parents:
        return plain(arr) if tail_ndim else float(arr)
    pstates = [spec[p.name].states for p in parents]
    flat = arr.reshape((-1,) + arr.shape[arr.ndim - tail_ndim:])
    return {", ".join(a): plain(v) if tail_ndim else float(v)
            for a, v in zip(itertools.product(*pstates), flat)}


def to_dict(cpd: NormalCPD, spec, var, parents) -> dict:
    tail = len(var.domain.shape)
    body = {}
    for key, arr in (("loc", cpd.loc), ("scale", cpd.scale)):
        u = _uniform(arr)
        body[key] = u if u is not None else _write_by_parents(spec, arr, parents, tail)
    if cpd.learn:
        body["learn"] = True
    return {"normal": body}


KIND = CPDKind(
    name="normal", cls=NormalCPD, parse=parse, check=check, to_dict=to_dict,
    keys=("normal", "gaussian"),
    example={"name": "normal_example", "variables": {
        "z": {"states": ["a", "b"], "latent": True, "cpd": [0.4, 0.6]},
        "x": {"real": [2], "parents": ["z"],
              "cpd": {"normal": {"loc": {"a": [-1.0, 0.5], "b": [2.0, 1.0]},
                                 "scale": {"a": [1.0, 0.5], "b": [0.7, 2.0]}}}}}})
