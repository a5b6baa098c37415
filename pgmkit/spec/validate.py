"""Whole-spec validation: every problem found at once, each with where it is."""
from __future__ import annotations

import collections
import math
from typing import Iterable

import numpy as np

from pgmkit.errors import Problem, SpecError, did_you_mean
from pgmkit.spec import game, kinds
from pgmkit.spec.guide import check_guide
from pgmkit.spec.kinds.table import TOLERANCE  # noqa: F401  (re-exported: the row-sum rule)
from pgmkit.spec.model import Discrete, ModelSpec, Real, Variable

MAX_LAG = 1
_FORBIDDEN_NAME_CHARS = "[],"


def check(spec: ModelSpec) -> ModelSpec:
    """Return ``spec`` unchanged if it is valid, else raise ``SpecError`` listing every problem."""
    found = problems(spec)
    if found:
        raise SpecError(found)
    return spec


def problems(spec: ModelSpec) -> list[Problem]:
    """Every problem in ``spec``, in variable order."""
    out: list[Problem] = []

    def add(message: str, var: str | None = None, key: str | None = None):
        line = spec.lines.get(key or var) if (key or var) else None
        if line is None and key and "#" in key:  # a row without a line of its own: its table's
            line = spec.lines.get(key.partition("#")[0])
        if line is None and var:
            line = spec.lines.get(var)
        out.append(Problem(message, var, line, spec.source))

    if not spec.variables:
        add(f"model '{spec.name}' has no variables")
    names = [v.name for v in spec.variables]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            add("is defined twice: variable names must be unique", n)
        seen.add(n)
    for v in spec.variables:
        _check_variable(spec, v, add)
    if not any(p.message.startswith("parent") for p in out):
        cycle = find_cycle(spec)
        if cycle:
            add("the graph has a cycle: " + " -> ".join(cycle) +
                ("; a dependence on the past is written 'X[t-1]'" if spec.temporal else ""),
                cycle[0])
    check_guide(spec, add)
    game.problems(spec, add)
    return out


def _check_variable(spec: ModelSpec, v: Variable, add) -> None:
    name = v.name
    # names are stripped where they are referenced (parent lists, row keys), so a name
    # with outer spaces could never be referred to; control characters (tabs, line
    # breaks) do not survive a YAML file
    if (not name or any(c in name for c in _FORBIDDEN_NAME_CHARS) or name != name.strip()
            or not name.isprintable()):
        add("a variable name must be non-empty, printable, free of '[', ']' and ',' and of "
            f"leading or trailing spaces; received {name!r}", name)
    if isinstance(v.domain, Discrete):
        states, skey = v.domain.states, f"{name}.states"
        if not states:
            add("has an empty list of states: expected at least one state", name, skey)
        counts = collections.Counter(states)  # linear: a variable may have 10^5 states
        dup = sorted(s for s, k in counts.items() if k > 1)
        if dup:
            add(f"lists state(s) {dup} more than once: states must be unique", name, skey)
        bad = [s for s in states if not s or "," in s or s != s.strip() or not s.isprintable()]
        if bad:
            add("state names must be non-empty, printable, free of ',' and of leading or "
                f"trailing spaces; received {bad}", name, skey)
    elif isinstance(v.domain, Real):
        if any((not isinstance(d, int)) or d <= 0 for d in v.domain.shape):
            add(f"a real shape must be positive integers; received {list(v.domain.shape)}", name)
    if v.beta != 1.0 and (not v.latent or v.beta <= 0 or not np.isfinite(v.beta)):
        add(f"'beta' weighs the KL term of a latent variable and must be > 0; received {v.beta}"
            + ("" if v.latent else " on an observed variable"), name)

    known = {x.name for x in spec.variables}
    parents_ok = True
    seen = set()
    for p in v.parents:
        if p.name not in known:
            add(f"parent '{p}' is not a variable of the model{did_you_mean(p.name, known)}",
                name, f"{name}.parents")
            parents_ok = False
        if (p.name, p.lag) in seen:
            add(f"lists parent '{p}' twice", name, f"{name}.parents")
            parents_ok = False
        seen.add((p.name, p.lag))
        if p.lag and not spec.temporal:
            add(f"parent '{p}' has a time lag but the model is not temporal: add 'temporal: true'",
                name, f"{name}.parents")
            parents_ok = False
        if p.lag > MAX_LAG:
            add(f"parent '{p}' has lag {p.lag}; only lag 1 ('{p.name}[t-1]') is supported: "
                "carry older values in an extra hidden variable", name, f"{name}.parents")
            parents_ok = False
    if not parents_ok or not _within_budget(spec, v, add):
        return
    if v.cpd is not None:
        _check_cpd(spec, v, v.cpd, v.parents, add, "cpd")
    if v.initial is not None:
        if not v.lagged_parents:
            add("has an 'initial' CPD but no lagged parent: its 'cpd' already covers the first slice",
                name, f"{name}.initial")
        else:
            _check_cpd(spec, v, v.initial, tuple(p for p in v.parents if p.lag == 0), add, "initial")


def _within_budget(spec: ModelSpec, v: Variable, add) -> bool:
    """Refuse, before anything allocates them, tables and networks past the budgets of
    :mod:`pgmkit.checks` (a CPD of 10^10 cells, a layer of 2*10^9 units)."""
    from pgmkit.checks import MAX_NETWORK_WEIGHTS, MAX_REAL_SIZE, MAX_TABLE_CELLS, network_weights

    pvars = [spec[p.name] for p in v.parents]
    if not v.is_discrete and v.domain.size > MAX_REAL_SIZE:
        add(f"a real shape of {v.domain.size:.3g} values exceeds the limit of "
            f"{MAX_REAL_SIZE:.3g}", v.name)
        return False
    if v.is_discrete and all(pv.is_discrete for pv in pvars):
        cells = float(v.card) * math.prod(float(pv.card) for pv in pvars)
        if cells > MAX_TABLE_CELLS:
            add(f"its table CPD needs {cells:.3g} cells ({v.card} states x "
                f"{[pv.card for pv in pvars]} parent states); the limit is "
                f"{MAX_TABLE_CELLS:.3g}: use fewer parents or states", v.name)
            return False
    hidden = getattr(v.cpd, "hidden", None)
    if hidden is not None and all(isinstance(h, int) for h in hidden):
        width = sum(pv.card if pv.is_discrete else pv.domain.size for pv in pvars)
        out = v.card if v.is_discrete else 2 * v.domain.size
        weights = network_weights(width, hidden, out)
        if weights > MAX_NETWORK_WEIGHTS:
            add(f"its neural CPD (hidden {list(hidden)}) needs {weights:.3g} weights; "
                f"the limit is {MAX_NETWORK_WEIGHTS:.3g}", v.name)
            return False
    return True


def _check_cpd(spec, v: Variable, cpd, parents, add, what: str) -> None:
    key = f"{v.name}.{what}"
    kind = kinds.kind_of(cpd)
    if kind is None:
        add(f"unknown CPD object {type(cpd).__name__}; registered kinds are {list(kinds.names())}",
            v.name, key)
        return
    kind.check(cpd, v, [(p, spec[p.name]) for p in parents], add, key,
               "" if what == "cpd" else "initial ")


def find_cycle(spec: ModelSpec) -> list[str] | None:
    """A directed cycle over the lag-0 edges, as ``[a, b, ..., a]``, or ``None``."""
    children: dict[str, list[str]] = {v.name: [] for v in spec.variables}
    for v in spec.variables:
        for p in v.parents:
            if p.lag == 0 and p.name in children:
                children[p.name].append(v.name)
    color = {n: 0 for n in children}
    for root in children:
        if color[root]:
            continue
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(children[root]))]
        path = [root]
        color[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                path.pop()
            elif color[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            elif color[nxt] == 0:
                color[nxt] = 1
                stack.append((nxt, iter(children[nxt])))
                path.append(nxt)
    return None
