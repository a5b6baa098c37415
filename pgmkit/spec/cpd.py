"""The CPD value classes, importable from one place.

Each kind lives in its own module under :mod:`pgmkit.spec.kinds` (value class, parsing,
checks, serialization), registered in :data:`pgmkit.spec.kinds.KINDS`. This module
re-exports the built-in classes so ``from pgmkit.spec.cpd import TableCPD`` keeps working.
Arrays are stored read-only so that a spec is immutable all the way down; equality
compares values exactly, which is what makes ``load(save(m)) == m`` a real check.
"""
from __future__ import annotations

from pgmkit.spec.kinds.base import CPD, arrays_equal, frozen_array
from pgmkit.spec.kinds.implicit import ImplicitCPD
from pgmkit.spec.kinds.linear_gaussian import LinearGaussianCPD
from pgmkit.spec.kinds.neural import ACTIVATIONS, FAMILIES, NeuralCPD
from pgmkit.spec.kinds.normal import NormalCPD
from pgmkit.spec.kinds.table import TableCPD

__all__ = ["CPD", "TableCPD", "NormalCPD", "LinearGaussianCPD", "NeuralCPD", "ImplicitCPD",
           "FAMILIES",
           "ACTIVATIONS", "frozen_array", "arrays_equal"]
