"""Conditional distributions: the CPD kinds a variable may carry.

Arrays are stored read-only so that a spec is immutable all the way down; equality
compares values exactly, which is what makes ``load(save(m)) == m`` a real check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

import numpy as np

FAMILIES = ("normal", "bernoulli", "categorical")
ACTIVATIONS = ("relu", "softplus", "tanh", "sigmoid", "elu", "leaky_relu")


def frozen_array(values, dtype=float) -> np.ndarray:
    """A float64 copy of ``values`` that cannot be written to."""
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


def _arrays_equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


@dataclass(frozen=True, eq=False)
class TableCPD:
    """A conditional probability table for a discrete child of discrete parents.

    ``table`` has shape ``(*parent_cards, child_card)``: one axis per parent in the
    order the parents are listed (lagged parents included), the child's states last.
    Row ``table[i, j, :]`` is the distribution of the child when the first parent is
    in its ``i``-th state and the second in its ``j``-th.
    """

    table: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "table", frozen_array(self.table))

    kind = "table"

    def __eq__(self, other):
        return isinstance(other, TableCPD) and _arrays_equal(self.table, other.table)

    def __hash__(self):
        return hash((self.table.shape, self.table.tobytes()))

    def rows(self) -> np.ndarray:
        """The table as a 2-D array: one row per parent assignment, C order."""
        return self.table.reshape(-1, self.table.shape[-1])

    @cached_property
    def probabilities(self) -> np.ndarray:
        """The table with each row divided by its sum: what every engine computes with.

        Files round their numbers (bnlearn's rows sum to 1 +- 3e-7, within validation's
        tolerance); engines that prune or sum out variables differently agree to
        rounding error only on rows that sum to exactly 1. The spec keeps the numbers
        as written, so saving round-trips them.
        """
        table = self.table / self.table.sum(axis=-1, keepdims=True)
        table.setflags(write=False)
        return table

    def num_parameters(self) -> int:
        return int(self.rows().shape[0] * (self.table.shape[-1] - 1))


@dataclass(frozen=True, eq=False)
class NormalCPD:
    """A Gaussian whose mean and standard deviation are looked up by the discrete parents.

    ``loc`` and ``scale`` have shape ``(*parent_cards, *shape)`` where ``shape`` is the
    child's. With no parents that is just the child's shape. ``learn`` says whether
    stochastic variational inference treats them as parameters (EM always re-estimates
    them; a fixed ``N(0, I)`` prior keeps ``learn=False``).
    """

    loc: np.ndarray
    scale: np.ndarray
    learn: bool = False

    kind = "normal"

    def __post_init__(self):
        object.__setattr__(self, "loc", frozen_array(self.loc))
        object.__setattr__(self, "scale", frozen_array(self.scale))

    def __eq__(self, other):
        return (isinstance(other, NormalCPD) and self.learn == other.learn
                and _arrays_equal(self.loc, other.loc) and _arrays_equal(self.scale, other.scale))

    def __hash__(self):
        return hash((self.loc.tobytes(), self.scale.tobytes(), self.learn))

    def num_parameters(self) -> int:
        return int(self.loc.size + self.scale.size)


@dataclass(frozen=True, eq=False)
class LinearGaussianCPD:
    """``x ~ Normal(bias + sum_p weights[p] @ parent_p, scale)`` for a real child.

    ``weights`` holds one matrix per real parent, in parent order, of shape
    ``(child_size, parent_size)``; ``bias`` and ``scale`` have the child's size.
    """

    bias: np.ndarray
    weights: tuple[np.ndarray, ...]
    scale: np.ndarray

    kind = "linear_gaussian"

    def __post_init__(self):
        object.__setattr__(self, "bias", frozen_array(self.bias))
        object.__setattr__(self, "scale", frozen_array(self.scale))
        object.__setattr__(self, "weights", tuple(frozen_array(w) for w in self.weights))

    def __eq__(self, other):
        return (isinstance(other, LinearGaussianCPD)
                and _arrays_equal(self.bias, other.bias) and _arrays_equal(self.scale, other.scale)
                and len(self.weights) == len(other.weights)
                and all(_arrays_equal(a, b) for a, b in zip(self.weights, other.weights)))

    def __hash__(self):
        return hash((self.bias.tobytes(), self.scale.tobytes()))

    def num_parameters(self) -> int:
        return int(self.bias.size + self.scale.size + sum(w.size for w in self.weights))


@dataclass(frozen=True)
class NeuralCPD:
    """An MLP from the parents' values to the parameters of a distribution family.

    ``family`` is ``normal``, ``bernoulli`` or ``categorical``. For ``normal``,
    ``scale`` is either a fixed standard deviation or ``None`` for a learned one (a
    second output head). ``given`` is used by guides only: the variables q conditions on.
    Discrete inputs enter one-hot encoded.
    """

    family: str
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    scale: float | None = None
    given: tuple[str, ...] = field(default=())

    kind = "neural"

    def num_parameters(self) -> int | None:
        return None  # depends on the input and output sizes; the backend counts weights


CPD = Union[TableCPD, NormalCPD, LinearGaussianCPD, NeuralCPD]
