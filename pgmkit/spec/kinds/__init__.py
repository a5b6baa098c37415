"""The CPD kinds of the language, registered in one table.

Every question about a CPD kind (how to read it, check it, write it, whether its
parameters are network weights) is answered here, from :data:`KINDS`. The readers
(:mod:`pgmkit.spec.cpd_forms`, :mod:`pgmkit.spec.build`), the validator
(:mod:`pgmkit.spec.validate`), the writer (:mod:`pgmkit.spec.serialize`) and
``ModelSpec.has_neural`` consult it; none of them names a kind. Backends register
their own rules per kind name (see :mod:`pgmkit.backends.contract`).

How to add a CPD kind
---------------------
Say the kind is ``implicit`` (a GAN generator: a deterministic network of the parents).

1. Write ``pgmkit/spec/kinds/implicit.py`` (model it on ``neural.py``; keep it engine-free:
   numpy and the spec readers only) with

   - the value class: ``@dataclass(frozen=True) class ImplicitCPD(CPD)`` with
     ``kind = "implicit"`` and ``num_parameters()`` (``None`` for network weights);
   - ``parse(var, body, parents, col, line) -> ImplicitCPD | None``: read the mapping
     under the block key; report problems with ``col.add(message, var.name, line)``
     (``pgmkit.spec.reading`` has ``unknown_keys``, ``number``, ``whole_numbers``...);
   - ``check(cpd, var, parents, add, key, label)``: validate the built value against
     its variable (``parents`` pairs each ``ParentRef`` with its ``Variable``);
     ``add(message, var.name, key)``;
   - ``to_dict(cpd, spec, var, parents)``: the YAML form, ``{"implicit": {...}}``, that
     ``parse`` reads back to an equal value;
   - ``KIND = CPDKind(name="implicit", cls=ImplicitCPD, parse=parse, check=check,
     to_dict=to_dict, keys=("implicit",), network=True, example={...})`` where
     ``example`` is a small complete model (YAML language as a dict) that uses it.

2. Add the module to :data:`_MODULES` below. That is the whole spec side: YAML and
   Python read it, validation reports its problems with file and line, save/load
   round-trips it, ``describe()`` names it, and ``has_neural`` sees it.

3. Register one rule per backend that runs it: in ``pgmkit/backends/<engine>/rules.py``
   add ``"implicit": "pgmkit.backends.<engine>.compile:implicit_site"`` to the ``compile``
   table of ``ENGINE`` and write that function. ``supports(spec, operation)`` is read
   from that table, so backends without a rule refuse the kind with ``UnsupportedError``
   naming the ones that have one, and ``tests/conformance`` round-trips ``example`` and
   runs it wherever it is claimed. ``docs/architecture.md`` walks through it.
"""
from __future__ import annotations

import importlib

from pgmkit.spec.kinds.base import CPD, CPDKind

#: The registered kinds, in the order messages list them. Add a module to register one.
_MODULES = (
    "pgmkit.spec.kinds.table",
    "pgmkit.spec.kinds.normal",
    "pgmkit.spec.kinds.linear_gaussian",
    "pgmkit.spec.kinds.neural",
    "pgmkit.spec.kinds.autoregressive",
    "pgmkit.spec.kinds.recurrent",
    "pgmkit.spec.kinds.implicit",
)

#: The registry: kind name -> :class:`CPDKind`.
KINDS: dict[str, CPDKind] = {}
for _module in _MODULES:
    _kind = importlib.import_module(_module).KIND
    KINDS[_kind.name] = _kind

_BY_KEY = {key: kind for kind in KINDS.values() for key in kind.keys}
_BY_CLASS = {kind.cls: kind for kind in KINDS.values()}


def get(name: str) -> CPDKind:
    """The kind registered as ``name`` (``KeyError`` if none is)."""
    return KINDS[name]


def kind_of(cpd) -> CPDKind | None:
    """The registered kind of a CPD value, or ``None`` for an object that is not one."""
    for cls in type(cpd).__mro__:
        if cls in _BY_CLASS:
            return _BY_CLASS[cls]
    return None


def for_key(key: str) -> CPDKind | None:
    """The kind a YAML block key selects (``normal``, ``gaussian``, ``neural``...)."""
    return _BY_KEY.get(str(key))


def bare() -> CPDKind:
    """The kind written without a block key: tables."""
    return next(k for k in KINDS.values() if not k.keys)


def block_keys() -> tuple[str, ...]:
    """The first block key of every keyed kind, as messages list the forms."""
    return tuple(k.keys[0] for k in KINDS.values() if k.keys)


def names() -> tuple[str, ...]:
    return tuple(KINDS)


__all__ = ["CPD", "CPDKind", "KINDS", "get", "kind_of", "for_key", "bare", "block_keys", "names"]
