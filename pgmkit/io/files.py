"""``read_spec`` / ``write_spec``: one entry point per direction for every file format."""
from __future__ import annotations

import json
import os
from pathlib import Path

from pgmkit.errors import Problem, SpecError
from pgmkit.io.safe import MAX_MODEL_BYTES, check_output, read_text, write_text
from pgmkit.spec.build import build_spec
from pgmkit.spec.model import ModelSpec
from pgmkit.spec.serialize import to_dict
from pgmkit.spec.yaml_io import dump_yaml, parse_yaml

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".bif": "bif",
           ".xmlbif": "xmlbif", ".xml": "xmlbif"}


def format_of(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format named by ``fmt`` or by the file's extension (``.gz`` is looked through)."""
    if fmt:
        if fmt not in set(FORMATS.values()):
            raise SpecError(f"unknown format '{fmt}'; expected one of yaml, json, bif, xmlbif")
        return fmt
    p = Path(path)
    suffix = Path(p.stem).suffix if p.suffix == ".gz" else p.suffix
    if suffix.lower() not in FORMATS:
        raise SpecError(f"{path}: cannot tell the format from the extension '{suffix}'; "
                        "expected .yaml, .yml, .json, .bif or .xmlbif")
    return FORMATS[suffix.lower()]


def _unique_keys(pairs: list) -> dict:
    """A JSON object's pairs as a dict, refusing a key written twice (JSON keeps the last
    silently, which would drop a variable or a CPD row without a word)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise SpecError(f"duplicate key '{key}' in a JSON object: each variable, state "
                            "and row may be given once")
        out[key] = value
    return out


def parse_json(text: str, source: str | None = None):
    """JSON text to plain values, with syntax errors, duplicate keys and runaway nesting
    reported as ``SpecError``."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise SpecError(Problem(f"JSON syntax error: {exc.msg}", line=exc.lineno,
                                source=source)) from None
    except RecursionError:
        raise SpecError(Problem("the JSON is nested too deeply", source=source)) from None
    except SpecError as exc:
        raise SpecError(Problem(str(exc), source=source)) from None


def read_spec(path: str | os.PathLike, fmt: str | None = None) -> ModelSpec:
    """Read and validate a model file of any supported format."""
    path = Path(path)
    fmt = format_of(path, fmt)
    text = read_text(path, "model file", SpecError, MAX_MODEL_BYTES)
    source = str(path)
    if fmt == "yaml":
        return build_spec(parse_yaml(text, source), source)
    if fmt == "json":
        return build_spec(parse_json(text, source), source)
    from pgmkit.io import bif

    return bif.read(text, fmt, source)


def write_spec(spec: ModelSpec, path: str | os.PathLike, fmt: str | None = None,
               header: str = "", inputs=()) -> Path:
    """Write ``spec`` to ``path`` (format from the extension unless ``fmt`` is given),
    atomically, refusing to overwrite any of ``inputs`` (see :mod:`pgmkit.io.safe`)."""
    path = Path(path)
    fmt = format_of(path, fmt)
    check_output(path, inputs, what="model file")
    if fmt == "yaml":
        text = dump_yaml(to_dict(spec), header)
    elif fmt == "json":
        text = json.dumps(to_dict(spec), indent=2) + "\n"
    else:
        from pgmkit.io import bif

        text = bif.write(spec, fmt)
    return write_text(path, text, inputs, "model file")
