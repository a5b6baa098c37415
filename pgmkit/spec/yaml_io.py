"""YAML reading that keeps line numbers and never retypes a scalar behind the user's back.

PyYAML's resolver turns ``no`` into ``False`` and ``0`` into ``0``; state names must
stay the strings written. So the document is composed into nodes and every scalar
becomes a :class:`LocStr` (the raw text plus its line); numbers are parsed only where
the language expects a number, with an error naming the line when it is not one.
"""
from __future__ import annotations

from typing import Any

import yaml

from pgmkit.errors import Problem, SpecError


class LocStr(str):
    """A scalar as written, with its 1-based line and whether it was quoted."""

    line: int | None = None
    quoted: bool = False

    def __repr__(self) -> str:
        # messages echo what was written: an unquoted 0.5 is shown as 0.5, not '0.5'
        return str.__repr__(self) if self.quoted else str(self)


class LocDict(dict):
    """A mapping with the line of each key."""

    line: int | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}


class LocList(list):
    line: int | None = None


NULLS = {"", "~", "null", "Null", "NULL"}

#: Deepest nesting of mappings and lists a model file may have (the language needs ~6).
MAX_DEPTH = 100
#: Nodes a document may expand to, past those written: aliases (``*a``) copy their
#: anchor, and a few lines of nested aliases ("billion laughs") expand to 10^9 nodes.
MAX_EXPANDED_NODES = 200_000
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in
                  ("str", "int", "float", "bool", "null", "seq", "map", "merge", "timestamp")}


class _Budget:
    """Counts nodes as the document is expanded, refusing depth and alias blow-ups."""

    def __init__(self, text: str, source: str | None):
        self.left = MAX_EXPANDED_NODES + 2 * len(text)
        self.source = source
        self.open: set[int] = set()    # collections being converted: an alias back to one loops

    def spend(self, node, depth: int) -> None:
        self.left -= 1
        line = node.start_mark.line + 1
        if self.left < 0:
            raise SpecError(Problem(
                f"the document expands to more than {MAX_EXPANDED_NODES:,} nodes beyond its "
                "own size through aliases (*name): refused as an alias bomb", line=line,
                source=self.source))
        if depth > MAX_DEPTH:
            raise SpecError(Problem(f"the document is nested more than {MAX_DEPTH} levels deep",
                                    line=line, source=self.source))


def line_of(obj, key=None) -> int | None:
    """The line of ``obj`` (or of ``key`` inside a mapping), if it was read from YAML."""
    if key is not None and isinstance(obj, LocDict):
        return obj.key_lines.get(key, obj.line)
    return getattr(obj, "line", None)


def parse_yaml(text: str, source: str | None = None) -> Any:
    """Parse YAML text into LocDict / LocList / LocStr / None, reporting bad YAML with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            # the parser fails where it gives up; the construct it was reading began earlier
            what += f" ({exc.context} that begins at line {exc.context_mark.line + 1})"
        raise SpecError(Problem(f"YAML syntax error: {what}", line=line, source=source)) from None
    except yaml.YAMLError as exc:
        raise SpecError(Problem(f"YAML syntax error: {exc}", source=source)) from None
    except RecursionError:
        raise SpecError(Problem(f"the document is nested more than {MAX_DEPTH} levels deep",
                                source=source)) from None
    if node is None:
        raise SpecError(Problem("the document is empty: expected a mapping with 'variables'",
                                source=source))
    problems: list[Problem] = []
    try:
        out = _convert(node, source, problems, _Budget(text, source))
    except yaml.MarkedYAMLError as exc:  # a merge key on something that is not a mapping
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SpecError(Problem(f"YAML error: {exc.problem}", line=line, source=source)) from None
    except RecursionError:
        raise SpecError(Problem("a YAML alias contains itself", source=source)) from None
    if problems:
        raise SpecError(problems)
    return out


_MERGE = "tag:yaml.org,2002:merge"


def _pairs(node: yaml.MappingNode) -> list[tuple[Any, Any, bool]]:
    """A mapping's (key, value, explicit) node pairs with YAML merge keys (``<<: *base``)
    expanded by the YAML 1.1 merge rule, implemented here so that it does not change with
    the parser's version: keys written in the mapping override merged ones, and in a merge
    list (``<<: [*a, *b]``) an earlier mapping wins over a later one. Merged pairs come
    first, lowest precedence first, because later pairs overwrite earlier ones."""
    if not any(k.tag == _MERGE for k, _ in node.value):
        return [(k, v, True) for k, v in node.value]
    merged: list[list[tuple[Any, Any]]] = []
    explicit: list[tuple[Any, Any, bool]] = []
    for key, value in node.value:
        if key.tag != _MERGE:
            explicit.append((key, value, True))
            continue
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "expected a mapping or list of mappings for merging",
                    source.start_mark)
            merged.append([(k, v) for k, v, _ in _pairs(source)])
    ordered = [(k, v, False) for group in reversed(merged) for k, v in group]
    return ordered + explicit


def _convert(node, source, problems, budget: _Budget, depth: int = 0):
    budget.spend(node, depth)
    if node.tag not in _STANDARD_TAGS:
        # PyYAML's safe loader would refuse these only when constructing; composing keeps
        # them, so without this check '!!python/object' values would be read as plain text
        problems.append(Problem(f"YAML tag '{node.tag}' is not allowed: a model file holds "
                                "plain mappings, lists and scalars",
                                line=node.start_mark.line + 1, source=source))
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.value in NULLS:
            return None
        s = LocStr(node.value)
        s.line = node.start_mark.line + 1
        s.quoted = node.style is not None
        return s
    if id(node) in budget.open:
        raise SpecError(Problem("a YAML alias contains itself", line=node.start_mark.line + 1,
                                source=source))
    budget.open.add(id(node))
    try:
        return _collection(node, source, problems, budget, depth)
    finally:
        budget.open.discard(id(node))


def _collection(node, source, problems, budget: _Budget, depth: int):
    if isinstance(node, yaml.SequenceNode):
        out = LocList(_convert(n, source, problems, budget, depth + 1) for n in node.value)
        out.line = node.start_mark.line + 1
        return out
    out = LocDict()
    out.line = node.start_mark.line + 1
    explicit_keys = set()
    for key_node, value_node, explicit in _pairs(node):
        key = _convert(key_node, source, problems, budget, depth + 1)
        line = key_node.start_mark.line + 1
        if isinstance(key, list):
            key = LocStr(", ".join(str(k) for k in key))
            key.line = line
        if key in out and explicit and key in explicit_keys:
            problems.append(Problem(f"duplicate key '{key}' (first at line {out.key_lines[key]})",
                                    line=line, source=source))
            continue
        if explicit:
            explicit_keys.add(key)
        out[key] = _convert(value_node, source, problems, budget, depth + 1)
        out.key_lines[key] = line
    return out


class _Dumper(yaml.SafeDumper):
    """Block style for mappings, flow style for rows of numbers."""


def _represent_list(dumper, data):
    flow = all(not isinstance(x, (list, dict)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump_yaml(raw: dict, header: str = "") -> str:
    """Dump a plain dict (as made by ``spec.io.to_dict``) to YAML text."""
    text = yaml.dump(raw, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text
