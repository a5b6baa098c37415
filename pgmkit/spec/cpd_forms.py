"""The CPD forms of the language: tables (rows keyed by parent states, compact lists,
priors as lists or maps), normal, linear_gaussian and neural blocks."""
from __future__ import annotations

import itertools
import math
from typing import Any, Mapping, Sequence

import numpy as np

from pgmkit.errors import did_you_mean
from pgmkit.spec.cpd import LinearGaussianCPD, NeuralCPD, NormalCPD, TableCPD
from pgmkit.spec.model import Discrete, ParentRef, Real, Variable
from pgmkit.spec.reading import Collector, boolean, number, numbers, unknown_keys, whole_numbers
from pgmkit.spec.yaml_io import line_of

CPD_KINDS = ("normal", "gaussian", "linear_gaussian", "neural")
NORMAL_KEYS = ("loc", "scale", "learn")
LG_KEYS = ("bias", "weights", "scale")
NEURAL_KEYS = ("family", "hidden", "activation", "scale")
GUIDE_KEYS = NEURAL_KEYS + ("given",)


def key_parts(key) -> tuple[str, ...]:
    """The parent states a row key names: ``"no, yes"`` from YAML, or ``("no", "yes")``
    from Python (a one-parent key may be a bare state, ``0`` included)."""
    parts = key if isinstance(key, tuple) else str(key).split(",")
    return tuple(str(p).strip() for p in parts)


def row_lines(raw, parent_domains) -> list[int | None]:
    """The line of each table row in C order, so a bad row is reported where it is written."""
    if not all(isinstance(d, Discrete) for d in parent_domains) or not parent_domains:
        return []
    if isinstance(raw, Mapping):
        index = {assign: i for i, assign in
                 enumerate(itertools.product(*(d.states for d in parent_domains)))}
        lines: list[int | None] = [None] * len(index)
        for key in raw:
            i = index.get(key_parts(key))
            if i is not None:
                lines[i] = line_of(raw, key)
        return lines
    if isinstance(raw, (list, tuple)) and all(isinstance(r, (list, tuple)) for r in raw):
        return [line_of(r) for r in _leaf_rows(raw)]
    return []


def _leaf_rows(raw) -> list:
    """The rows of a compact table, flat (a list of rows) or nested one level per parent."""
    if raw and all(isinstance(r, (list, tuple)) for r in raw):
        return [row for r in raw for row in _leaf_rows(r)]
    return [raw]


# -- CPDs ----------------------------------------------------------------------------

def parse_cpd(var: Variable, raw, parents: list[tuple[ParentRef, Any]], col: Collector,
              line: int | None = None):
    """Parse one CPD in any of the language's forms; ``parents`` pairs refs with domains."""
    if isinstance(raw, (TableCPD, NormalCPD, LinearGaussianCPD, NeuralCPD)):
        return raw
    if isinstance(raw, Mapping) and len(raw) == 1:
        (kind, body), = raw.items()
        if str(kind) in CPD_KINDS and (isinstance(body, Mapping) or body is None):
            body = body or {}
            if kind in ("normal", "gaussian"):
                return _normal(var, body, parents, col)
            if kind == "linear_gaussian":
                return _linear_gaussian(var, body, parents, col)
            return neural(var.name, body, NEURAL_KEYS, col)
    if not isinstance(var.domain, Discrete):
        col.add("a real variable's CPD must be one of {normal: ...}, {linear_gaussian: ...}, "
                f"{{neural: ...}}; received {_short(raw)}", var.name, line)
        return None
    if any(not isinstance(d, Discrete) for _, d in parents):
        col.add("a table CPD needs discrete parents; with real parents use {neural: {family: "
                "categorical, ...}}", var.name, line)
        return None
    return _table(var, raw, parents, col, line)


def _short(raw) -> str:
    text = repr(raw if not isinstance(raw, Mapping) else dict(raw))
    return text if len(text) < 60 else text[:57] + "..."


def _row(var: Variable, raw, label: str, col: Collector) -> np.ndarray:
    """One distribution over the child's states: a list, or a {state: p} map."""
    states = var.domain.states
    if isinstance(raw, Mapping):
        unknown = [k for k in raw if str(k) not in states]
        for k in unknown:
            col.add(f"{label} names state '{k}' which '{var.name}' does not have"
                    f"{did_you_mean(str(k), states)}; states are {list(states)}", var.name,
                    line_of(raw, k))
        missing = [s for s in states if s not in {str(k) for k in raw}]
        if missing and not unknown:
            col.add(f"{label} gives no probability for state(s) {missing}", var.name, line_of(raw))
        vals = {str(k): v for k, v in raw.items()}
        return np.array([number(vals.get(s, math.nan), f"{label}, state '{s}'", col, var.name,
                                line_of(raw, s)) if s in vals else math.nan for s in states])
    arr = numbers(raw, label, col, var.name)
    if arr.ndim != 1:
        col.add(f"{label} must be a list of {len(states)} probabilities; received {_short(raw)}",
                var.name, line_of(raw))
        return np.full(len(states), math.nan)
    if arr.shape[0] != len(states):
        col.add(f"{label} has {arr.shape[0]} probabilities; expected {len(states)} (one per "
                f"state {list(states)})", var.name, line_of(raw))
        return np.full(len(states), math.nan)
    return arr


def _table(var: Variable, raw, parents, col: Collector, line) -> TableCPD | None:
    card = var.card
    pstates = [d.states for _, d in parents]
    shape = tuple(len(s) for s in pstates) + (card,)
    if not parents:
        return TableCPD(_row(var, raw, "prior", col).reshape(shape))
    if isinstance(raw, Mapping):
        rows = {}
        names = [str(p) for p, _ in parents]
        for key, value in raw.items():
            parts = list(key_parts(key))
            kline = line_of(raw, key)
            if len(parts) != len(parents):
                col.add(f"row key '{key}' names {len(parts)} state(s); expected one per parent "
                        f"{names}, e.g. '{', '.join(s[0] for s in pstates)}'", var.name, kline)
                continue
            bad = False
            for part, states, pname in zip(parts, pstates, names):
                if part not in states:
                    col.add(f"row key '{key}': '{part}' is not a state of parent '{pname}'"
                            f"{did_you_mean(part, states)}; states are {list(states)}",
                            var.name, kline)
                    bad = True
            if bad:
                continue
            rows[tuple(parts)] = _row(var, value, f"row ({key})", col)
        missing = [a for a in itertools.product(*pstates) if a not in rows]
        for a in missing[:5]:
            col.add(f"table has no row for parents ({', '.join(a)}); expected one row per "
                    f"assignment of {names}", var.name, line)
        if len(missing) > 5:
            col.add(f"... and {len(missing) - 5} more missing rows", var.name, line)
        if missing:
            return TableCPD(np.full(shape, math.nan))
        return TableCPD(np.array([rows[a] for a in itertools.product(*pstates)]).reshape(shape))
    arr = numbers(raw, "table", col, var.name)
    if arr.size == int(np.prod(shape)) and arr.ndim >= 2 and arr.shape[-1] == card:
        return TableCPD(arr.reshape(shape))
    n_rows = int(np.prod(shape[:-1]))
    got = f"{arr.shape[0]} row(s) of {arr.shape[-1]}" if arr.ndim >= 2 else f"shape {list(arr.shape)}"
    col.add(f"table has {got}; expected {n_rows} row(s) (one per assignment of "
            f"{[str(p) for p, _ in parents]}, last parent fastest) of {card}", var.name, line)
    return TableCPD(np.full(shape, math.nan))


def _by_parents(var: Variable, raw, parents, what: str, tail: tuple[int, ...],
                col: Collector) -> np.ndarray:
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
            parts = key_parts(k)
            if parts not in set(itertools.product(*pstates)):
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


def _normal(var: Variable, body: Mapping, parents, col: Collector) -> NormalCPD | None:
    unknown_keys(body, NORMAL_KEYS, "normal CPD", col, var.name)
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


def _linear_gaussian(var: Variable, body: Mapping, parents, col) -> LinearGaussianCPD | None:
    unknown_keys(body, LG_KEYS, "linear_gaussian CPD", col, var.name)
    if not isinstance(var.domain, Real) or any(not isinstance(d, Real) for _, d in parents):
        col.add("linear_gaussian needs a real variable with real parents", var.name, line_of(body))
        return None
    size = var.domain.size
    bias = np.broadcast_to(numbers(body.get("bias", 0.0), "bias", col, var.name), (size,)).copy()
    scale = np.broadcast_to(numbers(body.get("scale", 1.0), "scale", col, var.name), (size,)).copy()
    wraw = body.get("weights") or {}
    if not isinstance(wraw, Mapping):
        col.add("linear_gaussian 'weights' must map each parent to a matrix", var.name, line_of(body))
        return None
    names = [str(p) for p, _ in parents]
    for k in wraw:
        if str(k) not in names:
            col.add(f"linear_gaussian weights name '{k}', which is not a parent"
                    f"{did_you_mean(str(k), names)}", var.name, line_of(wraw, k))
    weights = []
    for (p, d), pname in zip(parents, names):
        w = numbers(wraw.get(pname, 0.0), f"weights for '{pname}'", col, var.name)
        target = (size, d.size)
        if w.ndim <= 1 and w.size in (1, size) and d.size == 1:
            w = w.reshape(-1, 1)
        try:
            weights.append(np.broadcast_to(w, target).copy() if w.ndim < 2 or w.shape == target else w)
        except ValueError:
            weights.append(w)
    return LinearGaussianCPD(bias, tuple(weights), scale)


def neural(vname: str, body: Mapping, keys: Sequence[str], col: Collector) -> NeuralCPD:
    """Parse a ``neural:`` block (a model CPD, or a guide entry when ``keys`` allows 'given')."""
    unknown_keys(body, keys, "neural block", col, vname)
    family = str(body.get("family", "")) or ""
    if not family:
        col.add("neural block needs 'family' (one of normal, bernoulli, categorical)", vname,
                line_of(body))
    hidden = whole_numbers(body.get("hidden") or [], "neural 'hidden' must be a list of layer "
                           "sizes", col, vname, line_of(body, "hidden")) or ()
    scale = body.get("scale")
    if scale is not None and str(scale) != "learned":
        scale = number(scale, "neural 'scale'", col, vname, line_of(body, "scale"))
    else:
        scale = None
    given = body.get("given") or []
    if isinstance(given, str):
        given = [given]
    return NeuralCPD(family=family, hidden=tuple(hidden), activation=str(body.get("activation", "relu")),
                     scale=scale, given=tuple(str(g) for g in given))

