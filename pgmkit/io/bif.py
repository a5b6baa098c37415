"""BIF and XMLBIF: read by pgmkit's own parsers, written by pgmpy's writers.

pgmpy's readers accept a table whose rows sum to 0.9 and answer an unknown parent or a
truncated file with a bare ``KeyError``; :mod:`pgmkit.io.bif_parse` reads the text with
a line for every problem, and the result is validated as any other spec.
"""
from __future__ import annotations

import re

from pgmkit.errors import SpecError
from pgmkit.spec.build import build_spec
from pgmkit.spec.model import ModelSpec


def read(text: str, fmt: str, source: str) -> ModelSpec:
    """Parse BIF or XMLBIF text into a validated spec (see :mod:`pgmkit.io.bif_parse`)."""
    from pgmkit.io.bif_parse import parse_bif, parse_xmlbif

    raw, lines = (parse_bif if fmt == "bif" else parse_xmlbif)(text, source)
    spec = build_spec(raw, source, validate=False).replace(lines=lines)
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
