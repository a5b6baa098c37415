"""The ``table`` kind: a conditional probability table for a discrete child of discrete
parents. Written bare (no block key): rows keyed by parent states, compact lists (flat
or nested one level per parent), or a prior as a list or a ``{state: p}`` map."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

import numpy as np

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.base import CPD, CPDKind, arrays_equal, frozen_array, key_parts, plain, short
from pgmkit.spec.reading import Collector, number, numbers
from pgmkit.spec.yaml_io import line_of

#: Largest deviation from 1 a row may sum to (bnlearn files round to about 3e-7).
TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class TableCPD(CPD):
    """A conditional probability table for a discrete child of discrete parents.

    ``table`` has shape ``(*parent_cards, child_card)``: one axis per parent in the
    order the parents are listed (lagged parents included), the child's states last.
    Row ``table[i, j, :]`` is the distribution of the child when the first parent is
    in its ``i``-th state and the second in its ``j``-th.
    """

    table: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "table", frozen_array(self.table))

    kind = "table"

    def __eq__(self, other):
        return isinstance(other, TableCPD) and arrays_equal(self.table, other.table)

    def __hash__(self):
        return hash((self.table.shape, self.table.tobytes()))

    def rows(self) -> np.ndarray:
        """The table as a 2-D array: one row per parent assignment, C order."""
        return self.table.reshape(-1, self.table.shape[-1])

    @cached_property
    def probabilities(self) -> np.ndarray:
        """The table with each row divided by its sum: what every engine computes with.

        Files round their numbers (bnlearn's rows sum to 1 +- 3e-7, within validation's
        tolerance); engines that prune or sum out variables differently agree to
        rounding error only on rows that sum to exactly 1. The spec keeps the numbers
        as written, so saving round-trips them.
        """
        table = self.table / self.table.sum(axis=-1, keepdims=True)
        table.setflags(write=False)
        return table

    def num_parameters(self) -> int:
        return int(self.rows().shape[0] * (self.table.shape[-1] - 1))


# -- parsing ---------------------------------------------------------------------------

def parse(var, raw, parents, col: Collector, line=None) -> TableCPD | None:
    from pgmkit.spec.kinds import block_keys
    from pgmkit.spec.model import Discrete

    if not isinstance(var.domain, Discrete):
        forms = ", ".join(f"{{{k}: ...}}" for k in block_keys())
        col.add(f"a real variable's CPD must be one of {forms}; received {short(raw)}",
                var.name, line)
        return None
    if any(not isinstance(d, Discrete) for _, d in parents):
        col.add("a table CPD needs discrete parents; with real parents use {neural: {family: "
                "categorical, ...}}", var.name, line)
        return None
    card = var.card
    pstates = [d.states for _, d in parents]
    shape = tuple(len(s) for s in pstates) + (card,)
    if not parents:
        return TableCPD(_row(var, raw, "prior", col).reshape(shape))
    if isinstance(raw, Mapping):
        return _keyed_rows(var, raw, parents, pstates, shape, col, line)
    arr = numbers(raw, "table", col, var.name)
    if arr.size == int(np.prod(shape)) and arr.ndim >= 2 and arr.shape[-1] == card:
        return TableCPD(arr.reshape(shape))
    n_rows = int(np.prod(shape[:-1]))
    got = f"{arr.shape[0]} row(s) of {arr.shape[-1]}" if arr.ndim >= 2 else f"shape {list(arr.shape)}"
    col.add(f"table has {got}; expected {n_rows} row(s) (one per assignment of "
            f"{[str(p) for p, _ in parents]}, last parent fastest) of {card}", var.name, line)
    return TableCPD(np.full(shape, math.nan))


def _keyed_rows(var, raw: Mapping, parents, pstates, shape, col: Collector, line) -> TableCPD:
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
        if not bad:
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


def _row(var, raw, label: str, col: Collector) -> np.ndarray:
    """One distribution over the child's states: a list, or a {state: p} map."""
    states = var.domain.states
    if isinstance(raw, Mapping):
        known = set(states)   # sets: a variable may have 10^5 states
        unknown = [k for k in raw if str(k) not in known]
        for k in unknown:
            col.add(f"{label} names state '{k}' which '{var.name}' does not have"
                    f"{did_you_mean(str(k), states)}; states are {list(states)}", var.name,
                    line_of(raw, k))
        given = {str(k) for k in raw}
        missing = [s for s in states if s not in given]
        if missing and not unknown:
            col.add(f"{label} gives no probability for state(s) {missing}", var.name, line_of(raw))
        vals = {str(k): v for k, v in raw.items()}
        return np.array([number(vals.get(s, math.nan), f"{label}, state '{s}'", col, var.name,
                                line_of(raw, s)) if s in vals else math.nan for s in states])
    arr = numbers(raw, label, col, var.name)
    if arr.ndim != 1:
        col.add(f"{label} must be a list of {len(states)} probabilities; received {short(raw)}",
                var.name, line_of(raw))
        return np.full(len(states), math.nan)
    if arr.shape[0] != len(states):
        col.add(f"{label} has {arr.shape[0]} probabilities; expected {len(states)} (one per "
                f"state {list(states)})", var.name, line_of(raw))
        return np.full(len(states), math.nan)
    return arr


def row_lines(raw, parent_domains) -> list[int | None]:
    """The line of each table row in C order, so a bad row is reported where it is written."""
    from pgmkit.spec.model import Discrete

    if not all(isinstance(d, Discrete) for d in parent_domains) or not parent_domains:
        return []
    if isinstance(raw, Mapping):
        index = {assign: i for i, assign in
                 enumerate(itertools.product(*(d.states for d in parent_domains)))}
        # sized by the product, not the dict: a parent listing a state twice (reported by
        # validation) makes two assignments one key
        lines: list[int | None] = [None] * math.prod(len(d.states) for d in parent_domains)
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


# -- checks ----------------------------------------------------------------------------

def check(cpd: TableCPD, var, parents, add, key: str, label: str) -> None:
    name = var.name
    pvars = [pv for _, pv in parents]
    if not var.is_discrete:
        add(f"a {label}table CPD needs a discrete child; '{name}' is real: use 'normal', "
            "'linear_gaussian' or 'neural'", name, key)
        return
    real_parents = [str(p) for p, pv in parents if not pv.is_discrete]
    if real_parents:
        add(f"a {label}table CPD needs discrete parents; {real_parents} are real: use a "
            "'neural' CPD with family 'categorical'", name, key)
        return
    expected = tuple(pv.card for pv in pvars) + (var.card,)
    if cpd.table.shape != expected:
        rows = int(np.prod(expected[:-1])) if expected[:-1] else 1
        got_rows = int(np.prod(cpd.table.shape[:-1])) if cpd.table.ndim > 1 else 1
        got_cols = cpd.table.shape[-1] if cpd.table.ndim else 0
        add(f"{label}table has {got_rows} row(s) of {got_cols}; expected {rows} row(s) "
            f"(one per assignment of {[str(p) for p, _ in parents] or 'no parents'}) of "
            f"{var.card} (one per state of '{name}')", name, key)
        return
    _check_rows(cpd.table.reshape(-1, var.card), [pv.states for pv in pvars], name, key, add,
                label)


def _row_label(parent_states: tuple[str, ...]) -> str:
    return "row (" + ", ".join(parent_states) + ")" if parent_states else "prior"


def _check_rows(rows: np.ndarray, parent_states, name, key, add, label="") -> None:
    assignments = list(itertools.product(*parent_states)) if parent_states else [()]
    bad_value, bad_sum = [], []
    for i, (assignment, row) in enumerate(zip(assignments, rows)):
        if np.any(np.isnan(row)) or np.any(row < 0) or np.any(~np.isfinite(row)):
            bad_value.append((i, f"{_row_label(assignment)} has {row.tolist()}"))
        elif abs(row.sum() - 1.0) > TOLERANCE:
            bad_sum.append((i, f"{_row_label(assignment)} sums to {row.sum():.10g}"))
    for i, msg in bad_value[:5]:
        add(f"{label}{msg}: probabilities must be finite and >= 0", name, f"{key}#{i}")
    if len(bad_value) > 5:
        add(f"... and {len(bad_value) - 5} more {label}rows with negative or NaN values", name, key)
    for i, msg in bad_sum[:5]:
        add(f"{label}{msg}, expected 1 (tolerance {TOLERANCE:g})", name, f"{key}#{i}")
    if len(bad_sum) > 5:
        add(f"... and {len(bad_sum) - 5} more {label}rows that do not sum to 1", name, key)


# -- serialization ---------------------------------------------------------------------

def to_dict(cpd: TableCPD, spec, var, parents):
    if not parents:
        return plain(cpd.table)
    pstates = [spec[p.name].states for p in parents]
    return {", ".join(a): plain(row) for a, row in zip(itertools.product(*pstates), cpd.rows())}


KIND = CPDKind(
    name="table", cls=TableCPD, parse=parse, check=check, to_dict=to_dict, keys=(),
    example={"name": "table_example", "variables": {
        "A": {"states": ["a0", "a1"], "cpd": [0.3, 0.7]},
        "B": {"states": ["b0", "b1", "b2"], "parents": ["A"],
              "cpd": {"a0": [0.2, 0.3, 0.5], "a1": [0.6, 0.3, 0.1]}}}})
