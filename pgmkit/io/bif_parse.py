"""pgmkit's own readers for BIF and XMLBIF text, with a line for every problem.

pgmpy's readers answer a truncated file with a bare ``KeyError``, a table of the wrong
size or a state listed twice with numpy errors, take the last of two declarations of a
variable, and (depending on the version) keep the quotes of ``"light-on"``. These
readers tokenize the text themselves, so each of those is one located ``SpecError``.
Both return the raw model mapping that :func:`pgmkit.spec.build.build_spec` reads, plus
the line of each variable and of its probability block.

BIF as read here (the JavaBayes / bnlearn dialect pgmpy reads and writes)::

    network NAME { property ... ; }
    variable NAME { type discrete [ N ] { s1, s2, ... }; property ... ; }
    probability ( CHILD | P1, P2 ) { (p1, p2) v1, v2, ... ; default v... ; }
    probability ( CHILD P1 P2 ) { table v1 v2 ... ; }     (old form, child-state major)

Names may be quoted; lists may be separated by commas or spaces; ``//`` and ``/* */``
are comments.
"""
from __future__ import annotations

import collections
import itertools
import re
import xml.etree.ElementTree as ET

import numpy as np

from pgmkit.errors import Problem, SpecError, did_you_mean

_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|[{}()\[\];,|]|[^\s{}()\[\];,|"]+|"',
                    re.DOTALL)
_PUNCT = set("{}()[];,|")


class _Tokens:
    """The BIF text as (kind, text, line) tokens; kind is 'word', 'name' (quoted) or text."""

    def __init__(self, text: str, source: str):
        self.source = source
        self.items: list[tuple[str, str, int]] = []
        line = 1
        pos = 0
        for m in _TOKEN.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            tok = m.group(0)
            if tok.startswith("//") or tok.startswith("/*"):
                continue
            if tok == '"':
                raise SpecError(Problem("a quoted name is not closed on its line", line=line,
                                        source=source))
            if tok.startswith('"'):
                self.items.append(("word", tok[1:-1], line))
            elif tok in _PUNCT:
                self.items.append((tok, tok, line))
            else:
                self.items.append(("word", tok, line))
        self.i = 0
        self.end_line = text.count("\n") + 1

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.i] if self.i < len(self.items) else None

    def next(self, context: str) -> tuple[str, str, int]:
        if self.i >= len(self.items):
            raise SpecError(Problem(f"the file ends inside {context}: is it truncated?",
                                    line=self.end_line, source=self.source))
        tok = self.items[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, context: str) -> tuple[str, str, int]:
        tok = self.next(context)
        if tok[0] != kind:
            raise SpecError(Problem(f"expected '{kind}' in {context}; found '{tok[1]}'",
                                    line=tok[2], source=self.source))
        return tok

    def until(self, stops: str, context: str) -> list[tuple[str, str, int]]:
        """Tokens up to (not including) the first whose kind is in ``stops``."""
        out = []
        while True:
            tok = self.peek()
            if tok is None:
                self.next(context)           # raises: truncated
            if tok[0] in stops:
                return out
            out.append(self.next(context))


def _declare(vname, line, vstates, states: dict, var_lines: dict, problems: list, source) -> None:
    """Record a variable's states (BIF and XMLBIF alike); a second declaration or a
    repeated state is a problem at its line, and a repeated declaration is not kept."""
    if vname in states:
        problems.append(Problem(f"is declared twice (first at line {var_lines[vname]})",
                                vname, line, source))
        return
    dup = sorted(s for s, k in collections.Counter(vstates).items() if k > 1)
    if dup:
        problems.append(Problem(f"lists state(s) {dup} more than once: states must be "
                                "unique", vname, line, source))
    states[vname], var_lines[vname] = vstates, line

def _items(tokens: list[tuple[str, str, int]]) -> list[str]:
    """A list of names or numbers: comma-separated items (words in one item joined by a
    space), or, without commas, one item per token."""
    if any(t[0] == "," for t in tokens):
        items, current = [], []
        for kind, text, _ in tokens:
            if kind == ",":
                items.append(" ".join(current))
                current = []
            else:
                current.append(text)
        items.append(" ".join(current))
        return [s for s in items if s != ""] if items[-1] == "" else items
    return [t[1] for t in tokens]


def _skip_statement(tok: _Tokens, context: str) -> None:
    tok.until(";}", context)
    if tok.peek()[0] == ";":
        tok.next(context)


def _numbers(words: list[str], line: int, source: str, var: str) -> list[float]:
    out = []
    for w in words:
        try:
            out.append(float(w))
        except ValueError:
            raise SpecError(Problem(f"expected a probability; found '{w}'", var, line,
                                    source)) from None
    return out


def _variable(tok: _Tokens, problems: list, source: str):
    _, name, line = tok.expect("word", "a variable declaration")
    ctx = f"the declaration of variable '{name}' that begins at line {line}"
    tok.expect("{", ctx)
    states = None
    while True:
        kind, text, tline = tok.next(ctx)
        if kind == "}":
            break
        if kind == "word" and text == "type":
            _, what, _ = tok.expect("word", ctx)
            if what != "discrete":
                raise SpecError(Problem(f"type '{what}' is not supported: BIF variables here are "
                                        "discrete", name, tline, source))
            tok.expect("[", ctx)
            _, count, cline = tok.expect("word", ctx)
            tok.expect("]", ctx)
            tok.expect("{", ctx)
            states = _items(tok.until("}", ctx))
            tok.expect("}", ctx)
            if tok.peek() is not None and tok.peek()[0] == ";":
                tok.next(ctx)
            if not count.isdigit() or int(count) != len(states):
                problems.append(Problem(f"declares [{count}] states but lists {len(states)}: "
                                        f"{states}", name, cline, source))
        elif kind == "word" and text == "property":
            _skip_statement(tok, ctx)
        else:
            raise SpecError(Problem(f"unexpected '{text}' in {ctx}", name, tline, source))
    if states is None:
        raise SpecError(Problem("has no 'type discrete [N] {...}' line", name, line, source))
    return name, line, states


def _probability(tok: _Tokens, declared: dict, problems: list, source: str):
    _, _, line = tok.expect("(", "a probability block")
    ctx = f"the probability block that begins at line {line}"
    head = tok.until(")", ctx)
    tok.expect(")", ctx)
    names = [t for t in head if t[0] == "word"]
    if not names:
        raise SpecError(Problem("a probability block names no variable", line=line, source=source))
    child = names[0][1]
    parents = [t[1] for t in names[1:]]
    ctx = f"the probability block for '{child}' that begins at line {line}"
    tok.expect("{", ctx)
    entries = []
    while True:
        kind, text, tline = tok.next(ctx)
        if kind == "}":
            break
        if kind == "word" and text in ("table", "default"):
            values = _items(tok.until(";}", ctx))
            entries.append((text, None, values, tline))
        elif kind == "(":
            key = _items(tok.until(")", ctx))
            tok.expect(")", ctx)
            entries.append(("row", key, _items(tok.until(";}", ctx)), tline))
        elif kind == "word" and text == "property":
            _skip_statement(tok, ctx)
            continue
        else:
            raise SpecError(Problem(f"unexpected '{text}' in {ctx}", child, tline, source))
        if tok.peek() is not None and tok.peek()[0] == ";":
            tok.next(ctx)
    return child, parents, entries, line


def _table(child, parents, entries, states, line, source, problems):
    """The CPD as nested lists ``(*parent cards, card)``, or ``None`` after a problem."""
    card = len(states[child])
    pstates = [states[p] for p in parents]
    pshape = [len(s) for s in pstates]
    rows_needed = int(np.prod(pshape)) if pshape else 1
    out = np.full((rows_needed, card), np.nan)
    given = np.zeros(rows_needed, dtype=bool)
    default = None
    for kind, key, words, eline in entries:
        values = _numbers(words, eline, source, child)
        if kind == "table":
            if len(values) != rows_needed * card:
                problems.append(Problem(f"table has {len(values)} numbers; expected "
                                        f"{rows_needed * card} ({rows_needed} parent "
                                        f"assignment(s) x {card} states)", child, line, source))
                return None
            # the table form lists the child's states slowest, parent assignments fastest
            out = np.asarray(values).reshape(card, rows_needed).T.copy()
            given[:] = True
            continue
        if len(values) != card:
            problems.append(Problem(f"a {'default' if kind == 'default' else 'row'} has "
                                    f"{len(values)} numbers; expected {card} (one per state of "
                                    f"'{child}')", child, eline, source))
            return None
        if kind == "default":
            default = values
            continue
        if len(key) != len(parents):
            problems.append(Problem(f"row ({', '.join(key)}) names {len(key)} state(s); "
                                    f"expected one per parent {parents}", child, eline, source))
            return None
        index = []
        for s, p, ps in zip(key, parents, pstates):
            if s not in ps:
                problems.append(Problem(f"row ({', '.join(key)}): '{s}' is not a state of "
                                        f"parent '{p}'{did_you_mean(s, ps)}; states are {ps}",
                                        child, eline, source))
                return None
            index.append(ps.index(s))
        flat = int(np.ravel_multi_index(index, pshape)) if pshape else 0
        if given[flat]:
            problems.append(Problem(f"row ({', '.join(key)}) is given twice", child, eline,
                                    source))
            return None
        out[flat], given[flat] = values, True
    if default is not None:
        out[~given] = default
        given[:] = True
    if not given.all():
        missing = next(itertools.compress(itertools.product(*pstates), ~given))
        problems.append(Problem(f"table has no row for parents ({', '.join(missing)}) and no "
                                "default", child, line, source))
        return None
    return out.reshape(pshape + [card]).tolist()


def parse_bif(text: str, source: str) -> tuple[dict, dict[str, int]]:
    """BIF text -> (raw model mapping, line of each variable and ``var.cpd``)."""
    tok = _Tokens(text, source)
    problems: list[Problem] = []
    name, states, var_lines, blocks = None, {}, {}, {}
    while tok.peek() is not None:
        kind, word, line = tok.next("the file")
        if kind == "word" and word == "network":
            head = tok.until("{", "the network block")
            name = head[0][1] if head else None
            tok.expect("{", "the network block")
            depth = 1
            while depth:
                k = tok.next(f"the network block that begins at line {line}")[0]
                depth += {"{": 1, "}": -1}.get(k, 0)
        elif kind == "word" and word == "variable":
            vname, vline, vstates = _variable(tok, problems, source)
            _declare(vname, vline, vstates, states, var_lines, problems, source)
        elif kind == "word" and word == "probability":
            child, parents, entries, pline = _probability(tok, states, problems, source)
            if child in blocks:
                problems.append(Problem(f"has two probability blocks (first at line "
                                        f"{blocks[child][2]})", child, pline, source))
                continue
            blocks[child] = (parents, entries, pline)
        else:
            raise SpecError(Problem(f"expected 'network', 'variable' or 'probability'; found "
                                    f"'{word}'", line=line, source=source))
    if not states:
        problems.append(Problem("no 'variable' blocks found: is this a BIF file?", source=source))
    return _assemble(name, states, var_lines, blocks, problems, source, "probability block")


def _assemble(name, states, var_lines, blocks, problems, source, block_word):
    lines = dict(var_lines)
    for child, (parents, _, pline) in blocks.items():
        lines[child] = lines[f"{child}.cpd"] = pline
        if child not in states:
            problems.append(Problem(f"{block_word} for undeclared variable '{child}'"
                                    f"{did_you_mean(child, states)}", child, pline, source))
        for p in parents:
            if p not in states:
                problems.append(Problem(f"parent '{p}' is not a declared variable"
                                        f"{did_you_mean(p, states)}", child, pline, source))
    for v, line in var_lines.items():
        if v not in blocks:
            problems.append(Problem(f"has no {block_word} (missing CPD)", v, line, source))
    if problems:
        raise SpecError(problems)
    variables = {}
    for v in states:
        parents, entries, pline = blocks[v]
        table = _table(v, parents, entries, states, pline, source, problems)
        variables[v] = {"states": list(states[v]), "parents": list(parents), "cpd": table}
    if problems:
        raise SpecError(problems)
    if not name or name == "unknown":
        name = source.rsplit("/", 1)[-1].split(".")[0]
    return {"name": name, "variables": variables}, lines


def parse_xmlbif(text: str, source: str) -> tuple[dict, dict[str, int]]:
    """XMLBIF text -> (raw model mapping, line of each variable and ``var.cpd``)."""
    if "<!ENTITY" in text:
        # entity definitions are how XML files expand to gigabytes ("billion laughs");
        # XMLBIF needs none (a DTD of <!ELEMENT> declarations, as JavaBayes writes, is fine)
        raise SpecError(Problem("XML entity definitions (<!ENTITY>) are not allowed in an "
                                "XMLBIF file", line=_line_of(text, "<!ENTITY"),
                                source=source))
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise SpecError(Problem(f"XML syntax error: {exc}", line=exc.position[0],
                                source=source)) from None
    except RecursionError:
        raise SpecError(Problem("the XML is nested too deeply", source=source)) from None
    net = root.find("NETWORK")
    if net is None:
        raise SpecError(Problem("no <NETWORK> element: is this an XMLBIF file?", source=source))
    # ElementTree keeps no line numbers: find each element's text in the source instead
    name_lines = _tag_lines(text, "NAME")
    for_lines = _tag_lines(text, "FOR")
    problems: list[Problem] = []
    states, var_lines, blocks = {}, {}, {}
    for v in net.findall("VARIABLE"):
        vname = (v.findtext("NAME") or "").strip()
        line = name_lines.get(vname)
        outcomes = [(o.text or "").strip() for o in v.findall("OUTCOME")]
        _declare(vname, line, outcomes, states, var_lines, problems, source)
    for d in net.findall("DEFINITION"):
        child = (d.findtext("FOR") or "").strip()
        line = for_lines.get(child)
        parents = [(g.text or "").strip() for g in d.findall("GIVEN")]
        table = d.find("TABLE")
        if table is None:
            problems.append(Problem("<DEFINITION> has no <TABLE>", child, line, source))
            continue
        if child in blocks:
            problems.append(Problem("has two <DEFINITION> elements", child, line, source))
            continue
        blocks[child] = (parents, [("flat", None, (table.text or "").split(), line)], line)
    if not states:
        problems.append(Problem("no <VARIABLE> elements found", source=source))
    name = (net.findtext("NAME") or "").strip()
    return _assemble_xml(name, states, var_lines, blocks, problems, source)


def _assemble_xml(name, states, var_lines, blocks, problems, source):
    # XMLBIF tables list parent assignments slowest, the child's states fastest: the
    # row form of BIF. Rewrite them as BIF 'table' entries (child-major) for _assemble.
    converted = {}
    for child, (parents, entries, line) in blocks.items():
        words = entries[0][2]
        if child in states and all(p in states for p in parents):
            card = len(states[child])
            rows = int(np.prod([len(states[p]) for p in parents])) if parents else 1
            if len(words) != rows * card:
                problems.append(Problem(f"<TABLE> has {len(words)} numbers; expected "
                                        f"{rows * card} ({rows} parent assignment(s) x {card} "
                                        "states)", child, line, source))
                continue
            words = list(np.asarray(words, dtype=object).reshape(rows, card).T.reshape(-1))
        converted[child] = (parents, [("table", None, words, line)], line)
    return _assemble(name, states, var_lines, converted, problems, source, "<DEFINITION>")


def _line_of(text: str, fragment: str) -> int:
    return text.count("\n", 0, text.index(fragment)) + 1


def _tag_lines(text: str, tag: str) -> dict[str, int]:
    """The line of the first ``<TAG>value</TAG>`` for each value."""
    out: dict[str, int] = {}
    for m in re.finditer(rf"<{tag}>([^<]*)</{tag}>", text):
        out.setdefault(m.group(1).strip(), text.count("\n", 0, m.start()) + 1)
    return out
