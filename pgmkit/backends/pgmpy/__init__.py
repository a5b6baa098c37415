"""The pgmpy backend: exact discrete inference and parameter learning for Bayesian networks.

pgmpy announces its own API moves with ``FutureWarning``/``DeprecationWarning`` (the
``StructureScore`` module on first import, renamed estimators on use): notices for
pgmpy's developers, not for pgmkit's users. :func:`quiet` silences exactly those, only
around pgmkit's own calls into pgmpy; a user's warnings filters stay as they were.
"""
from __future__ import annotations

import contextlib
import importlib
import warnings
from types import ModuleType
from typing import Iterator

_PGMPY = r"pgmpy(\.|$)"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """A block where pgmpy's deprecation notices are not shown (nothing else is hidden)."""
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning):
            warnings.filterwarnings("ignore", category=category, module=_PGMPY)
            # pgmpy's notices may span lines and point at the caller (stacklevel=2)
            warnings.filterwarnings("ignore", message=r"(?s).*\bpgmpy\.", category=category)
        yield


def pgmpy_module(name: str) -> ModuleType:
    """Import ``name`` (a pgmpy module) inside :func:`quiet`.

    Examples
    --------
    >>> pgmpy_module("pgmpy.factors.discrete").TabularCPD.__name__
    'TabularCPD'
    """
    with quiet():
        return importlib.import_module(name)
