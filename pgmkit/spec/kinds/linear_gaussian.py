"""The ``linear_gaussian`` kind: ``x ~ Normal(bias + sum_p W_p @ parent_p, scale)`` for a
real child of real parents."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.base import CPD, CPDKind, arrays_equal, frozen_array, plain
from pgmkit.spec.reading import Collector, numbers, unknown_keys
from pgmkit.spec.yaml_io import line_of

KEYS = ("bias", "weights", "scale")


@dataclass(frozen=True, eq=False)
class LinearGaussianCPD(CPD):
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
                and arrays_equal(self.bias, other.bias) and arrays_equal(self.scale, other.scale)
                and len(self.weights) == len(other.weights)
                and all(arrays_equal(a, b) for a, b in zip(self.weights, other.weights)))

    def __hash__(self):
        return hash((self.bias.tobytes(), self.scale.tobytes()))

    def num_parameters(self) -> int:
        return int(self.bias.size + self.scale.size + sum(w.size for w in self.weights))


def parse(var, body: Mapping, parents, col: Collector, line=None) -> LinearGaussianCPD | None:
    from pgmkit.spec.model import Real

    unknown_keys(body, KEYS, "linear_gaussian CPD", col, var.name)
    if not isinstance(var.domain, Real) or any(not isinstance(d, Real) for _, d in parents):
        col.add("linear_gaussian needs a real variable with real parents", var.name, line_of(body))
        return None
    size = var.domain.size
    bias = np.broadcast_to(numbers(body.get("bias", 0.0), "bias", col, var.name), (size,)).copy()
    scale = np.broadcast_to(numbers(body.get("scale", 1.0), "scale", col, var.name), (size,)).copy()
    wraw = body.get("weights") or {}
    if not isinstance(wraw, Mapping):
        col.add("linear_gaussian 'weights' must map each parent to a matrix", var.name, line_of(body))
        return None
    names = [str(p) for p, _ in parents]
    for k in wraw:
        if str(k) not in names:
            col.add(f"linear_gaussian weights name '{k}', which is not a parent"
                    f"{did_you_mean(str(k), names)}", var.name, line_of(wraw, k))
    weights = []
    for (p, d), pname in zip(parents, names):
        w = numbers(wraw.get(pname, 0.0), f"weights for '{pname}'", col, var.name)
        target = (size, d.size)
        if w.ndim <= 1 and w.size in (1, size) and d.size == 1:
            w = w.reshape(-1, 1)
        try:
            weights.append(np.broadcast_to(w, target).copy() if w.ndim < 2 or w.shape == target else w)
        except ValueError:
            weights.append(w)
    return LinearGaussianCPD(bias, tuple(weights), scale)


def check(cpd: LinearGaussianCPD, var, parents, add, key: str, label: str) -> None:
    name = var.name
    if var.is_discrete:
        add(f"a linear_gaussian CPD needs a real child; '{name}' has states", name, key)
        return
    pvars = [pv for _, pv in parents]
    if any(pv.is_discrete for pv in pvars):
        add("linear_gaussian takes real parents only; for discrete parents use 'normal' "
            "(one loc/scale per parent state)", name, key)
        return
    size = var.domain.size
    if len(cpd.weights) != len(pvars):
        add(f"linear_gaussian has {len(cpd.weights)} weight matrices; expected one per parent "
            f"({len(pvars)})", name, key)
        return
    for (p, pv), w in zip(parents, cpd.weights):
        if w.shape != (size, pv.domain.size):
            add(f"linear_gaussian weights for '{p}' have shape {list(w.shape)}; expected "
                f"[{size}, {pv.domain.size}]", name, key)
    for field_name, arr in (("bias", cpd.bias), ("scale", cpd.scale)):
        if arr.shape != (size,):
            add(f"linear_gaussian {field_name} has shape {list(arr.shape)}; expected [{size}]",
                name, key)
    if cpd.scale.shape == (size,) and np.any(~(cpd.scale > 0)):
        add("linear_gaussian scale must be > 0", name, key)


def to_dict(cpd: LinearGaussianCPD, spec, var, parents) -> dict:
    return {"linear_gaussian": {
        "bias": plain(cpd.bias), "scale": plain(cpd.scale),
        "weights": {str(p): plain(w) for p, w in zip(parents, cpd.weights)}}}


KIND = CPDKind(
    name="linear_gaussian", cls=LinearGaussianCPD, parse=parse, check=check, to_dict=to_dict,
    keys=("linear_gaussian",),
    example={"name": "linear_gaussian_example", "variables": {
        "u": {"real": [1], "cpd": {"normal": {"loc": 0.0, "scale": 1.0}}},
        "y": {"real": [2], "parents": ["u"],
              "cpd": {"linear_gaussian": {"bias": [0.5, -1.0], "scale": [1.0, 0.3],
                                          "weights": {"u": [[2.0], [-0.5]]}}}}}})
