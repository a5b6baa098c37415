"""What every CPD kind shares: the CPD base class, the :class:`CPDKind` record the
registry holds, and the small helpers the kind modules use.

Nothing here imports an engine or another part of ``spec/`` beyond the readers, so a
kind module can import it without a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np


class CPD:
    """Base of every CPD value object (``TableCPD``, ``NormalCPD``, ...).

    A subclass is a frozen dataclass with a class attribute ``kind`` (the name it is
    registered under) and ``num_parameters()`` (the free parameters, or ``None`` when
    an engine owns them, as for network weights).
    """

    kind: str = ""

    def num_parameters(self) -> int | None:
        raise NotImplementedError


@dataclass(frozen=True)
class CPDKind:
    """One CPD kind of the language, as the registry holds it.

    Attributes
    ----------
    name : str
        The kind's name: the ``kind`` attribute of its CPD class, the word messages and
        ``describe()`` use, and the key backends register their rules under.
    cls : type
        The CPD value class (a frozen dataclass subclassing :class:`CPD`).
    parse : callable
        ``parse(var, body, parents, col, line) -> CPD | None``: read the raw YAML/Python
        body (for a block kind, the mapping under its key) for variable ``var``;
        ``parents`` pairs each :class:`ParentRef` with its domain. Report every problem
        with ``col.add(message, var.name, line)`` and return ``None`` when unreadable.
    check : callable
        ``check(cpd, var, parents, add, key, label) -> None``: validate a built CPD
        against its variable; ``parents`` pairs each ref with its :class:`Variable`;
        ``add(message, variable, key)`` reports a problem at the spec key ``key``
        (``f"{key}#{row}"`` for a table row); ``label`` is ``""`` or ``"initial "``.
    to_dict : callable
        ``to_dict(cpd, spec, var, parents) -> plain data``: the readable YAML form that
        ``parse`` reads back to an equal CPD (``parents`` are :class:`ParentRef`).
    keys : tuple of str
        The YAML block keys that select this kind (``{normal: {...}}``); the first is
        the one written. Empty for the bare form (a table is written as plain rows).
    network : bool
        The CPD's parameters are network weights an engine holds (saved beside the
        YAML), not numbers in the spec: ``ModelSpec.has_neural`` asks this.
    example : mapping
        A small complete model in the YAML language that uses this kind: the
        conformance suite round-trips it through save/load and runs it on every
        backend that claims it.
    """

    name: str
    cls: type
    parse: Callable[..., Any]
    check: Callable[..., None]
    to_dict: Callable[..., Any]
    keys: tuple[str, ...] = ()
    network: bool = False
    example: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


# -- helpers the kind modules share ----------------------------------------------------

def frozen_array(values, dtype=float) -> np.ndarray:
    """A float64 copy of ``values`` that cannot be written to."""
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


def arrays_equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def key_parts(key) -> tuple[str, ...]:
    """The parent states a row key names: ``"no, yes"`` from YAML, or ``("no", "yes")``
    from Python (a one-parent key may be a bare state, ``0`` included)."""
    parts = key if isinstance(key, tuple) else str(key).split(",")
    return tuple(str(p).strip() for p in parts)


def short(raw) -> str:
    """``raw`` as a message shows it: at most 60 characters."""
    text = repr(raw if not isinstance(raw, Mapping) else dict(raw))
    return text if len(text) < 60 else text[:57] + "..."


def plain(x) -> float | list:
    """Numbers and arrays as plain floats and nested lists, for YAML and JSON."""
    if isinstance(x, np.ndarray):
        return [plain(v) for v in x] if x.ndim else float(x)
    return float(x)
