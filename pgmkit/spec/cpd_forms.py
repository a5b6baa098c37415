"""Reading one CPD in any of the language's forms: dispatch through the kind registry.

A mapping with one key that a registered kind claims (``{normal: ...}``,
``{neural: ...}``) goes to that kind's parser; anything else is the bare form (a table).
A CPD value object passes through unchanged, so Python may give CPDs directly.
"""
from __future__ import annotations

from typing import Any, Mapping

from pgmkit.spec import kinds
from pgmkit.spec.kinds.base import CPD, key_parts
from pgmkit.spec.kinds.table import row_lines
from pgmkit.spec.model import ParentRef, Variable
from pgmkit.spec.reading import Collector

__all__ = ["parse_cpd", "row_lines", "key_parts"]


def parse_cpd(var: Variable, raw, parents: list[tuple[ParentRef, Any]], col: Collector,
              line: int | None = None) -> CPD | None:
    """Parse one CPD; ``parents`` pairs refs with domains. Problems go to ``col``."""
    if isinstance(raw, CPD):
        return raw
    if isinstance(raw, Mapping) and len(raw) == 1:
        (key, body), = raw.items()
        kind = kinds.for_key(str(key))
        if kind is not None and (isinstance(body, Mapping) or body is None):
            return kind.parse(var, body or {}, parents, col, line)
    return kinds.bare().parse(var, raw, parents, col, line)
