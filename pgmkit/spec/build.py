"""Raw mappings (from YAML, JSON or Python) to a validated :class:`ModelSpec`.

The same function reads every source, so Python and YAML build the same spec. All
problems are collected and raised together as one :class:`SpecError`. CPD forms live in
:mod:`pgmkit.spec.cpd_forms`, the shared value readers in :mod:`pgmkit.spec.reading`.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from pgmkit.errors import Problem, SpecError
from pgmkit.spec.cpd_forms import parse_cpd, row_lines
from pgmkit.spec import adversarial
from pgmkit.spec.guide import parse_guide
from pgmkit.spec.objectives import parse_objective
from pgmkit.spec.model import Discrete, ModelSpec, ParentRef, Real, Variable
from pgmkit.spec.reading import (Collector, boolean, number, state_name, unknown_keys,
                                 whole_numbers)
from pgmkit.spec.validate import problems as validation_problems
from pgmkit.spec.yaml_io import line_of

MODEL_KEYS = ("name", "description", "temporal", "variables", "guide", "objective")
VARIABLE_KEYS = ("states", "real", "latent", "parents", "cpd", "initial", "beta")


def build_spec(raw: Any, source: str | None = None, validate: bool = True) -> ModelSpec:
    """Build and validate a spec from a mapping shaped like the YAML language.

    Examples
    --------
    >>> spec = build_spec({"name": "coin", "variables": {"Coin": {"states": ["h", "t"],
    ...                                                           "cpd": [0.5, 0.5]}}})
    >>> spec["Coin"].states
    ('h', 't')
    """
    col = Collector(source)
    if not isinstance(raw, Mapping):
        raise SpecError(Problem(f"a model must be a mapping with 'variables'; received "
                                f"{type(raw).__name__}", line=line_of(raw), source=source))
    unknown_keys(raw, MODEL_KEYS, "model", col, None)
    name = raw.get("name")
    if isinstance(name, (list, tuple, dict, bool)):
        col.add(f"'name' must be one text; received {name!r}", line=line_of(raw, "name"))
    name = str(name or (source or "model").rsplit("/", 1)[-1].split(".")[0])
    temporal = boolean(raw, "temporal", False, col, None)
    variables_raw = raw.get("variables")
    if not isinstance(variables_raw, Mapping) or not variables_raw:
        col.add("'variables' must be a non-empty mapping of name -> definition",
                line=line_of(raw, "variables"))
        raise SpecError(col.items)
    # Domains first: CPD parsing needs every parent's states.
    domains: dict[str, Any] = {}
    for vname, vraw in variables_raw.items():
        vname = str(vname)
        col.lines[vname] = line_of(variables_raw, vname) or 0
        domains[vname] = _domain(vname, vraw, col)
    variables = []
    for vname, vraw in variables_raw.items():
        var = _variable(str(vname), vraw, domains, temporal, col)
        if var is not None:
            variables.append(var)
    guide = parse_guide(raw.get("guide"), col, line_of(raw, "guide"))
    col.lines["objective"] = line_of(raw, "objective") or 0
    raw_objective = raw.get("objective")
    if adversarial.is_adversarial(raw_objective):  # nested options: its own reader
        objective = adversarial.parse(raw_objective, col)
    else:
        objective = parse_objective(raw_objective, col, line_of(raw, "objective"))
    spec = ModelSpec(name=name, variables=tuple(variables), temporal=temporal, guide=guide,
                     objective=objective,
                     description=str(raw.get("description") or ""), source=source,
                     lines={k: v for k, v in col.lines.items() if v})
    found = list(col.items)
    if validate and len(variables) == len(variables_raw):
        found += validation_problems(spec)
    if found:
        raise SpecError(found)
    return spec


def _domain(vname: str, vraw, col: Collector):
    if not isinstance(vraw, Mapping):
        col.add(f"definition must be a mapping with 'states' or 'real'; received {vraw!r}",
                vname, col.lines.get(vname))
        return None
    unknown_keys(vraw, VARIABLE_KEYS, f"variable '{vname}'", col, vname)
    has_states, has_real = "states" in vraw, "real" in vraw
    if has_states == has_real:
        col.add("needs exactly one of 'states' (a discrete variable) or 'real' (a real vector "
                f"shape){'; received both' if has_states else ''}", vname, col.lines.get(vname))
        return None
    if has_states:
        states = vraw["states"]
        col.lines[f"{vname}.states"] = line_of(vraw, "states") or 0
        if not isinstance(states, (list, tuple)):
            col.add(f"'states' must be a list of names; received {states!r}", vname,
                    line_of(vraw, "states"))
            return None
        return Discrete(tuple(state_name(s, "states", col, vname) for s in states))
    shape = vraw["real"]
    if shape is None:
        shape = []
    dims = whole_numbers(shape, "'real' must be a shape such as [8]", col, vname,
                         line_of(vraw, "real"))
    return None if dims is None else Real(dims)


def _parents(vname: str, vraw: Mapping, col: Collector) -> tuple[ParentRef, ...]:
    raw = vraw.get("parents") or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        col.add(f"'parents' must be a list of names; received {raw!r}", vname, line_of(vraw, "parents"))
        return ()
    col.lines[f"{vname}.parents"] = line_of(vraw, "parents") or 0
    out = []
    for text in raw:
        try:
            out.append(ParentRef.parse(str(text)))
        except SpecError as exc:
            col.add(str(exc), vname, line_of(text) or line_of(vraw, "parents"))
    return tuple(out)


def _variable(vname: str, vraw, domains, temporal: bool, col: Collector) -> Variable | None:
    domain = domains.get(vname)
    if domain is None:
        return None
    parents = _parents(vname, vraw, col)
    latent = boolean(vraw, "latent", False, col, vname)
    beta = 1.0
    if "beta" in vraw:
        beta = number(vraw["beta"], "'beta'", col, vname, line_of(vraw, "beta"))
    var = Variable(vname, domain, parents, None, latent, None, beta)
    known = all(p.name in domains and domains[p.name] is not None for p in parents)
    for key in ("cpd", "initial"):
        if vraw.get(key) is None:
            if key in vraw:
                col.add(f"'{key}' is empty: give a CPD or leave the key out to learn it", vname,
                        line_of(vraw, key))
            continue
        col.lines[f"{vname}.{key}"] = line_of(vraw, key) or 0
        if not known:
            continue  # validation reports the unknown parent
        use = parents if key == "cpd" else tuple(p for p in parents if p.lag == 0)
        before = len(col.items)
        cpd = parse_cpd(var, vraw[key], [(p, domains[p.name]) for p in use], col,
                        line_of(vraw, key))
        if len(col.items) > before:
            cpd = None  # a half-read CPD holds NaN placeholders: validating it repeats the problem
            if key == "initial":  # the CPD readers say "prior"/"table": name the key written
                col.items[before:] = [dataclasses.replace(p, message="initial " + p.message)
                                      for p in col.items[before:]]
        for i, row_line in enumerate(row_lines(vraw[key], [domains[p.name] for p in use])):
            col.lines[f"{vname}.{key}#{i}"] = row_line or 0
        var = Variable(vname, domain, parents, cpd if key == "cpd" else var.cpd, latent,
                       cpd if key == "initial" else var.initial, beta)
    return var
