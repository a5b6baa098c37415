"""BIF and XMLBIF through pgmpy's readers and writers, with pgmkit's validation.

pgmpy's readers accept a table whose rows sum to 0.9 and answer an unknown parent with
a bare ``KeyError``. Here the text is scanned for its structure first (so problems come
with line numbers), then parsed by pgmpy, then validated as any other spec.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

from pgmkit.errors import Problem, SpecError, did_you_mean
from pgmkit.spec.build import build_spec
from pgmkit.spec.model import ModelSpec

_VAR_RE = re.compile(r"^\s*variable\s+\"?([^\s{\"]+)\"?", re.MULTILINE)
_PROB_RE = re.compile(r"^\s*probability\s*\(\s*([^|)]+?)\s*(?:\|\s*([^)]*))?\)", re.MULTILINE)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _scan_bif(text: str, source: str) -> dict[str, int]:
    """Check the structure of a BIF text; return the line of each variable's probability block."""
    names = {m.group(1): _line(text, m.start()) for m in _VAR_RE.finditer(text)}
    problems, lines = [], {}
    if not names:
        problems.append(Problem("no 'variable' blocks found: is this a BIF file?", source=source))
    for m in _PROB_RE.finditer(text):
        line = _line(text, m.start())
        head = m.group(1).split()
        child, parents = head[0], head[1:]
        if m.group(2):
            parents = [p.strip().strip('"') for p in m.group(2).split(",") if p.strip()]
        lines[child] = line
        if child not in names:
            problems.append(Problem(f"probability block for undeclared variable '{child}'"
                                    f"{did_you_mean(child, names)}", child, line, source))
        for p in parents:
            if p not in names:
                problems.append(Problem(f"parent '{p}' is not a declared variable"
                                        f"{did_you_mean(p, names)}", child, line, source))
    for n, line in names.items():
        if n not in lines:
            problems.append(Problem("has no probability block (missing CPD)", n, line, source))
    if problems:
        raise SpecError(problems)
    return {**lines, **{f"{k}.cpd": v for k, v in lines.items()}}


def _scan_xmlbif(text: str, source: str) -> dict[str, int]:
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise SpecError(Problem(f"XML syntax error: {exc}", line=exc.position[0],
                                source=source)) from None
    net = root.find("NETWORK")
    if net is None:
        raise SpecError(Problem("no <NETWORK> element: is this an XMLBIF file?", source=source))
    names = [v.findtext("NAME") for v in net.findall("VARIABLE")]
    # ElementTree keeps no line numbers: find each definition's <FOR> in the text instead
    lines = {m.group(1).strip(): _line(text, m.start())
             for m in reversed(list(re.finditer(r"<FOR>([^<]*)</FOR>", text)))}
    problems, defined = [], set()
    for d in net.findall("DEFINITION"):
        child = d.findtext("FOR")
        defined.add(child)
        line = lines.get((child or "").strip())
        if child not in names:
            problems.append(Problem(f"<DEFINITION> for undeclared variable '{child}'"
                                    f"{did_you_mean(child, names)}", child, line, source))
        for g in d.findall("GIVEN"):
            if g.text not in names:
                problems.append(Problem(f"parent '{g.text}' is not a declared variable"
                                        f"{did_you_mean(g.text, names)}", child, line, source))
        if d.find("TABLE") is None:
            problems.append(Problem("<DEFINITION> has no <TABLE>", child, line, source))
    for n in names:
        if n not in defined:
            problems.append(Problem("has no <DEFINITION> (missing CPD)", n, source=source))
    if problems:
        raise SpecError(problems)
    return {**lines, **{f"{k}.cpd": v for k, v in lines.items()}}


def read(text: str, fmt: str, source: str) -> ModelSpec:
    """Parse BIF or XMLBIF text into a validated spec."""
    from pgmkit.backends.pgmpy import pgmpy_module, quiet

    readwrite = pgmpy_module("pgmpy.readwrite")
    BIFReader, XMLBIFReader = readwrite.BIFReader, readwrite.XMLBIFReader

    lines = _scan_bif(text, source) if fmt == "bif" else _scan_xmlbif(text, source)
    try:
        with quiet():
            reader = (BIFReader if fmt == "bif" else XMLBIFReader)(string=text)
        if fmt == "bif":
            states, parents, values = (reader.variable_states, reader.variable_parents,
                                       reader.variable_cpds)
            order, name = reader.variable_names, reader.network_name
        else:
            states, parents, values = (reader.variable_states, reader.variable_parents,
                                       reader.variable_CPD)
            order, name = reader.variables, reader.network_name
    except Exception as exc:  # pgmpy raises bare KeyError/ValueError/IndexError here
        raise SpecError(Problem(f"cannot parse {fmt.upper()}: {type(exc).__name__}: {exc}",
                                source=source)) from None
    problems, variables = [], {}
    for var in order:
        pstates = [states[p] for p in parents.get(var, [])]
        card = len(states[var])
        arr = np.asarray(values[var], dtype=float)
        expected = int(np.prod([len(s) for s in pstates])) if pstates else 1
        if arr.size != card * expected:
            problems.append(Problem(f"table has {arr.size} numbers; expected {card * expected} "
                                    f"({expected} parent assignment(s) x {card} states)", var,
                                    lines.get(var), source))
            continue
        table = arr.reshape(card, expected).T.reshape([len(s) for s in pstates] + [card])
        variables[var] = {"states": list(states[var]), "parents": list(parents.get(var, [])),
                          "cpd": table}
    if problems:
        raise SpecError(problems)
    if not name or name == "unknown":
        name = source.rsplit("/", 1)[-1].split(".")[0]
    spec = build_spec({"name": name,
                       "variables": {k: {**v, "cpd": v["cpd"].tolist()} for k, v in variables.items()}},
                      source, validate=False)
    spec = spec.replace(lines=lines)
    from pgmkit.spec.validate import problems as validation_problems

    found = validation_problems(spec)
    if found:
        raise SpecError(found)
    return spec


# Names the formats cannot hold as written: pgmpy's XMLBIF writer silently renames any
# state outside [A-Za-z0-9_] ('1.0' -> '1_0'), and its BIF reader cannot read back a
# variable name with spaces or a state holding one of (){}" (bnlearn's own names, such
# as '<0.5' or 'a-b', pass).
_UNSAFE = {"xmlbif": (re.compile(r"$^"), re.compile(r"[^A-Za-z0-9_]")),
           "bif": (re.compile(r"[\s(){},;|\"]"), re.compile(r"[\t\n\r(){}\"]|//"))}


def _check_names(spec: ModelSpec, fmt: str) -> None:
    from pgmkit.errors import UnsupportedError

    var_re, state_re = _UNSAFE[fmt]
    bad = [f"variable '{v.name}'" for v in spec.variables if var_re.search(v.name)]
    bad += [f"state '{s}' of '{v.name}'" for v in spec.variables for s in v.states
            if state_re.search(s)]
    if bad:
        rule = ("XMLBIF states are letters, digits and '_'" if fmt == "xmlbif" else
                "BIF names cannot hold ( ) { } \", nor variable names spaces , ; |")
        raise UnsupportedError(f"{fmt.upper()} cannot hold {', '.join(bad[:3])}"
                               f"{f' and {len(bad) - 3} more' if len(bad) > 3 else ''} as "
                               f"written ({rule}); save as .yaml or .json instead")


def write(spec: ModelSpec, fmt: str) -> str:
    """BIF or XMLBIF text for a discrete, static spec."""
    from pgmkit.backends.pgmpy import pgmpy_module

    readwrite = pgmpy_module("pgmpy.readwrite")
    BIFWriter, XMLBIFWriter = readwrite.BIFWriter, readwrite.XMLBIFWriter

    from pgmkit.backends.pgmpy.compile import compile_model

    model = compile_model(spec, as_written=True)
    _check_names(spec, fmt)
    writer = BIFWriter(model) if fmt == "bif" else XMLBIFWriter(model)
    return str(writer)
