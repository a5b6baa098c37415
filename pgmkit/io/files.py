"""``read_spec`` / ``write_spec``: one entry point per direction for every file format."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from pgmkit.errors import Problem, SpecError
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


def _read_text(path: Path) -> str:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, expected a model file") from None


def read_spec(path: str | os.PathLike, fmt: str | None = None) -> ModelSpec:
    """Read and validate a model file of any supported format."""
    path = Path(path)
    fmt = format_of(path, fmt)
    text = _read_text(path)
    source = str(path)
    if fmt == "yaml":
        return build_spec(parse_yaml(text, source), source)
    if fmt == "json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(Problem(f"JSON syntax error: {exc.msg}", line=exc.lineno,
                                    source=source)) from None
        return build_spec(raw, source)
    from pgmkit.io import bif

    return bif.read(text, fmt, source)


def write_spec(spec: ModelSpec, path: str | os.PathLike, fmt: str | None = None,
               header: str = "") -> Path:
    """Write ``spec`` to ``path`` (format from the extension unless ``fmt`` is given)."""
    path = Path(path)
    fmt = format_of(path, fmt)
    if fmt == "yaml":
        text = dump_yaml(to_dict(spec), header)
    elif fmt == "json":
        text = json.dumps(to_dict(spec), indent=2) + "\n"
    else:
        from pgmkit.io import bif

        text = bif.write(spec, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
