"""Whole-spec validation: every problem found at once, each with where it is."""
from __future__ import annotations

import itertools
from typing import Iterable

import numpy as np

from pgmkit.errors import Problem, SpecError, did_you_mean
from pgmkit.spec.cpd import (ACTIVATIONS, FAMILIES, LinearGaussianCPD, NeuralCPD, NormalCPD,
                             TableCPD)
from pgmkit.spec.model import Discrete, ModelSpec, Real, Variable

TOLERANCE = 1e-6
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
    _check_guide(spec, add)
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
        dup = sorted({s for s in states if states.count(s) > 1})
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
    if not parents_ok:
        return
    if v.cpd is not None:
        _check_cpd(spec, v, v.cpd, v.parents, add, "cpd")
    if v.initial is not None:
        if not v.lagged_parents:
            add("has an 'initial' CPD but no lagged parent: its 'cpd' already covers the first slice",
                name, f"{name}.initial")
        else:
            _check_cpd(spec, v, v.initial, tuple(p for p in v.parents if p.lag == 0), add, "initial")


def _row_label(parent_states: tuple[str, ...]) -> str:
    return "row (" + ", ".join(parent_states) + ")" if parent_states else "prior"


def _check_cpd(spec, v: Variable, cpd, parents, add, what: str) -> None:
    name, key = v.name, f"{v.name}.{what}"
    pvars = [spec[p.name] for p in parents]
    label = "" if what == "cpd" else "initial "
    if isinstance(cpd, TableCPD):
        if not v.is_discrete:
            add(f"a {label}table CPD needs a discrete child; '{name}' is real: use 'normal', "
                "'linear_gaussian' or 'neural'", name, key)
            return
        real_parents = [str(p) for p, pv in zip(parents, pvars) if not pv.is_discrete]
        if real_parents:
            add(f"a {label}table CPD needs discrete parents; {real_parents} are real: use a "
                "'neural' CPD with family 'categorical'", name, key)
            return
        expected = tuple(pv.card for pv in pvars) + (v.card,)
        if cpd.table.shape != expected:
            rows = int(np.prod(expected[:-1])) if expected[:-1] else 1
            got_rows = int(np.prod(cpd.table.shape[:-1])) if cpd.table.ndim > 1 else 1
            got_cols = cpd.table.shape[-1] if cpd.table.ndim else 0
            add(f"{label}table has {got_rows} row(s) of {got_cols}; expected {rows} row(s) "
                f"(one per assignment of {[str(p) for p in parents] or 'no parents'}) of "
                f"{v.card} (one per state of '{name}')", name, key)
            return
        _check_rows(cpd.table.reshape(-1, v.card), [pv.states for pv in pvars], name, key, add, label)
    elif isinstance(cpd, NormalCPD):
        if v.is_discrete:
            add(f"a normal CPD needs a real child; '{name}' has states: use a table", name, key)
            return
        disc = [pv for pv in pvars if pv.is_discrete]
        if len(disc) != len(pvars):
            add("a normal CPD conditions on discrete parents only; for real parents use "
                "'linear_gaussian' or 'neural'", name, key)
            return
        expected = tuple(pv.card for pv in pvars) + tuple(v.domain.shape)
        for field_name, arr in (("loc", cpd.loc), ("scale", cpd.scale)):
            if arr.shape != expected:
                add(f"normal {field_name} has shape {list(arr.shape)}; expected {list(expected)} "
                    "(parent states, then the variable's shape)", name, key)
            elif not np.all(np.isfinite(arr)):
                add(f"normal {field_name} has NaN or infinite values", name, key)
        if cpd.scale.shape == expected and np.any(cpd.scale <= 0):
            add(f"normal scale must be > 0; received min {float(np.min(cpd.scale))}", name, key)
    elif isinstance(cpd, LinearGaussianCPD):
        if v.is_discrete:
            add(f"a linear_gaussian CPD needs a real child; '{name}' has states", name, key)
            return
        if any(pv.is_discrete for pv in pvars):
            add("linear_gaussian takes real parents only; for discrete parents use 'normal' "
                "(one loc/scale per parent state)", name, key)
            return
        size = v.domain.size
        if len(cpd.weights) != len(pvars):
            add(f"linear_gaussian has {len(cpd.weights)} weight matrices; expected one per parent "
                f"({len(pvars)})", name, key)
            return
        for p, pv, w in zip(parents, pvars, cpd.weights):
            if w.shape != (size, pv.domain.size):
                add(f"linear_gaussian weights for '{p}' have shape {list(w.shape)}; expected "
                    f"[{size}, {pv.domain.size}]", name, key)
        for field_name, arr in (("bias", cpd.bias), ("scale", cpd.scale)):
            if arr.shape != (size,):
                add(f"linear_gaussian {field_name} has shape {list(arr.shape)}; expected [{size}]",
                    name, key)
        if cpd.scale.shape == (size,) and np.any(~(cpd.scale > 0)):
            add("linear_gaussian scale must be > 0", name, key)
    elif isinstance(cpd, NeuralCPD):
        _check_neural(v, cpd, add, key, guide=False)
    else:
        add(f"unknown CPD object {type(cpd).__name__}", name, key)


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


def _check_neural(v: Variable, cpd: NeuralCPD, add, key: str, guide: bool) -> None:
    name = v.name
    where = "guide" if guide else "neural CPD"
    if cpd.family not in FAMILIES:
        add(f"{where} family '{cpd.family}' is unknown{did_you_mean(cpd.family, FAMILIES)}; "
            f"expected one of {list(FAMILIES)}", name, key)
    elif cpd.family == "categorical" and not v.is_discrete:
        add(f"{where} family 'categorical' needs a variable with states; '{name}' is real", name, key)
    elif cpd.family in ("normal", "bernoulli") and v.is_discrete:
        add(f"{where} family '{cpd.family}' needs a real variable; '{name}' has states: use "
            "'categorical'", name, key)
    if cpd.activation not in ACTIVATIONS:
        add(f"{where} activation '{cpd.activation}' is unknown"
            f"{did_you_mean(cpd.activation, ACTIVATIONS)}; expected one of {list(ACTIVATIONS)}",
            name, key)
    if any((not isinstance(h, int)) or h <= 0 for h in cpd.hidden):
        add(f"{where} hidden sizes must be positive integers; received {list(cpd.hidden)}", name, key)
    if cpd.scale is not None and (cpd.family != "normal" or not cpd.scale > 0):
        add(f"{where} 'scale' is a fixed standard deviation > 0 for family 'normal'; received "
            f"{cpd.scale} with family '{cpd.family}'", name, key)
    if cpd.given and not guide:
        add("'given' belongs in the guide section; a model CPD conditions on its parents", name, key)


def _check_guide(spec: ModelSpec, add) -> None:
    known = set(spec.names)
    for target, q in spec.guide.items():
        key = f"guide.{target}"
        if target not in known:
            add(f"guide for unknown variable '{target}'{did_you_mean(target, known)}", target, key)
            continue
        var = spec[target]
        if not var.latent:
            add("has a guide but is observed: guides are for latent variables "
                "(add 'latent: true' or remove the guide)", target, key)
        if not isinstance(q, NeuralCPD):
            add("a guide entry must be a 'neural' network", target, key)
            continue
        if not q.given:
            add("guide needs 'given': the variables q conditions on, e.g. [x]", target, key)
        for g in q.given:
            if g not in known:
                add(f"guide given '{g}' is not a variable of the model{did_you_mean(g, known)}",
                    target, key)
            elif g == target:
                add("guide cannot condition on the variable it infers", target, key)
        _check_neural(var, q, add, key, guide=True)


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
