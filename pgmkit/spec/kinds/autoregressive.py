"""The ``autoregressive`` CPD kind: a vector (or image) variable factored by the chain rule.

``p(x | parents) = prod_d p(x_d | x_<d, parents)`` in a given ordering, each conditional a
member of one family (bernoulli, categorical, normal) whose parameters come from a
network shared across dimensions:

- ``fvsbn``: one logistic regression per dimension on the earlier ones (a fully visible
  sigmoid belief network);
- ``nade``: one shared hidden layer, each dimension reading the units driven by the
  dimensions before it;
- ``made``: an MLP whose weights are masked so output ``d`` sees only earlier inputs
  (``orders: K`` trains K orderings and averages them, an exact mixture);
- ``pixelcnn``: masked convolutions over a ``real: [H, W]`` image, raster order.

This module parses, checks and writes the kind; it imports no engine.

Examples
--------
>>> from pgmkit.spec.build import build_spec
>>> spec = build_spec({"name": "m", "variables": {"x": {"real": [4], "cpd": {
...     "autoregressive": {"network": "made", "family": "bernoulli", "hidden": [8]}}}}})
>>> spec["x"].cpd.network, spec["x"].cpd.order
('made', None)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.base import CPD, CPDKind
from pgmkit.spec.kinds.neural import ACTIVATIONS
from pgmkit.spec.reading import Collector, number, unknown_keys, whole_numbers
from pgmkit.spec.yaml_io import line_of

NETWORKS = ("fvsbn", "nade", "made", "pixelcnn")
AR_FAMILIES = ("bernoulli", "categorical", "normal")
KEYS = ("network", "family", "hidden", "order", "orders", "categories", "kernel", "activation")
DEFAULT_HIDDEN = {"fvsbn": (), "nade": (64,), "made": (256,), "pixelcnn": (32, 32)}


@dataclass(frozen=True)
class AutoregressiveCPD(CPD):
    """``x`` factored in ``order`` (``None``: natural), each ``x_d`` from ``family``.

    ``hidden`` is the hidden layer sizes (MADE), the hidden units (NADE, one entry) or the
    channels of each masked convolution (PixelCNN); FVSBN has none. ``categories`` is the
    number of values of a categorical dimension (``0 .. categories-1``). ``kernel`` is
    PixelCNN's convolution size. ``orders`` > 1 (MADE) trains that many orderings: the
    first is ``order``, the others are drawn by a generator seeded with 0, 1, ...
    """

    network: str
    family: str = "bernoulli"
    hidden: tuple[int, ...] = ()
    order: tuple[int, ...] | None = None
    orders: int = 1
    categories: int | None = None
    kernel: int = 5
    activation: str = "relu"

    kind = "autoregressive"

    def num_parameters(self) -> int | None:
        return None  # depends on the variable's size; the backend counts the unmasked weights

    def orderings(self, size: int) -> list[np.ndarray]:
        """The orderings used, each a permutation of ``range(size)`` (first in ``order``)."""
        first = np.arange(size) if self.order is None else np.asarray(self.order)
        out = [first]
        for k in range(1, self.orders):
            out.append(np.random.default_rng(k).permutation(size))
        return out


def parse(var, body: Mapping, parents, col: Collector, line=None) -> AutoregressiveCPD | None:
    """Read an ``autoregressive:`` block (the domain is checked by :func:`check`)."""
    vname = var.name
    unknown_keys(body, KEYS, "autoregressive block", col, vname)
    network = str(body.get("network", ""))
    if network not in NETWORKS:
        col.add(f"autoregressive 'network' must be one of {list(NETWORKS)}; received "
                f"'{network}'{did_you_mean(network, NETWORKS)}", vname, line_of(body, "network")
                or line_of(body))
        return None
    hidden = body.get("hidden")
    if hidden is None:
        hidden = DEFAULT_HIDDEN[network]
    else:
        hidden = whole_numbers(hidden, "autoregressive 'hidden' must be a list of sizes", col,
                               vname, line_of(body, "hidden")) or ()
    order = body.get("order", "natural")
    if isinstance(order, str) and order == "natural":
        order = None
    else:
        order = _indices(order, col, vname, line_of(body, "order"))
    ints = {}
    for key, default in (("orders", 1), ("kernel", 5), ("categories", None)):
        raw = body.get(key, default)
        value = None if raw is None else number(raw, f"autoregressive '{key}'", col, vname,
                                                line_of(body, key))
        ints[key] = None if value is None or not np.isfinite(value) else int(value)
        if value is not None and np.isfinite(value) and value != int(value):
            col.add(f"autoregressive '{key}' must be a whole number; received {raw}", vname,
                    line_of(body, key))
    return AutoregressiveCPD(network=network, family=str(body.get("family", "bernoulli")),
                             hidden=tuple(hidden), order=order, orders=ints["orders"] or 1,
                             categories=ints["categories"], kernel=ints["kernel"] or 5,
                             activation=str(body.get("activation", "relu")))


def _indices(raw, col: Collector, vname: str, line) -> tuple[int, ...] | None:
    """Dimension indices (whole numbers from 0), as an ordering lists them."""
    from pgmkit.spec.reading import written_as_text

    def index(i) -> int | None:
        if isinstance(i, (bool, float)) or written_as_text(i) or i is None:
            return None
        try:
            value = int(str(i))
        except ValueError:
            return None
        return value if value >= 0 else None

    out = [index(i) for i in raw] if isinstance(raw, (list, tuple)) else [None]
    if None in out:
        col.add("autoregressive 'order' must be 'natural' or a list of dimension indices "
                f"(0, 1, ...); received {raw!r}", vname, line)
        return None
    return tuple(out)


def check(cpd: AutoregressiveCPD, var, parents, add, key: str, label: str = "") -> None:
    """Report every misuse of ``cpd`` on ``var`` through ``add(message, var, key)``."""
    from pgmkit.spec.model import Real

    name = var.name

    def bad(message: str) -> None:
        add(message, name, key)

    if label or any(p.lag for p, _ in parents):
        bad("an autoregressive CPD models a whole vector at once; it is not available in a "
            "temporal model (use a 'neural' CPD with lagged parents there)")
    if not isinstance(var.domain, Real) or not var.domain.shape:
        bad("an autoregressive CPD needs a real vector or image variable ('real: [64]' or "
            "'real: [8, 8]'); " + ("this one has states" if var.is_discrete else "this one is a scalar"))
        return
    size = var.domain.size
    if var.latent:
        bad("an autoregressive variable must be observed: its likelihood is exact, there is "
            "nothing to infer (remove 'latent: true')")
    if cpd.network not in NETWORKS:
        bad(f"autoregressive network '{cpd.network}' is unknown{did_you_mean(cpd.network, NETWORKS)}")
    if cpd.family not in AR_FAMILIES:
        bad(f"autoregressive family '{cpd.family}' is unknown{did_you_mean(cpd.family, AR_FAMILIES)}; "
            f"expected one of {list(AR_FAMILIES)}")
    if cpd.family == "categorical" and (cpd.categories is None or cpd.categories < 2):
        bad("autoregressive family 'categorical' needs 'categories: K' (K >= 2 values 0..K-1 per "
            f"dimension); received {cpd.categories}")
    if cpd.family != "categorical" and cpd.categories is not None:
        bad(f"'categories' belongs to family 'categorical'; this one is '{cpd.family}'")
    if cpd.activation not in ACTIVATIONS:
        bad(f"autoregressive activation '{cpd.activation}' is unknown"
            f"{did_you_mean(cpd.activation, ACTIVATIONS)}; expected one of {list(ACTIVATIONS)}")
    if any(h <= 0 for h in cpd.hidden):
        bad(f"autoregressive hidden sizes must be positive; received {list(cpd.hidden)}")
    if cpd.network == "fvsbn" and cpd.hidden:
        bad(f"fvsbn has no hidden layer (one logistic regression per dimension); received "
            f"hidden {list(cpd.hidden)}")
    if cpd.network == "nade" and len(cpd.hidden) != 1:
        bad(f"nade has one shared hidden layer: give 'hidden: [H]'; received {list(cpd.hidden)}")
    if cpd.network in ("made", "pixelcnn") and not cpd.hidden:
        bad(f"{cpd.network} needs at least one hidden layer ('hidden: [...]')")
    if cpd.order is not None and sorted(cpd.order) != list(range(size)):
        bad(f"autoregressive 'order' must list each of the {size} dimensions 0..{size - 1} once; "
            f"received {list(cpd.order)}")
    if cpd.orders < 1 or (cpd.orders > 1 and cpd.network != "made"):
        bad(f"'orders: {cpd.orders}' (several orderings) is for network 'made' with orders >= 1")
    if cpd.network == "pixelcnn":
        if len(var.domain.shape) != 2:
            bad(f"pixelcnn needs an image variable 'real: [H, W]'; received real "
                f"{list(var.domain.shape)}")
        if cpd.order is not None and list(cpd.order) != list(range(size)):
            bad("pixelcnn runs in raster order only: leave 'order' out or write 'natural'")
        if cpd.kernel < 1 or cpd.kernel % 2 == 0:
            bad(f"pixelcnn 'kernel' must be an odd size >= 1; received {cpd.kernel}")
    for p, pv in parents:
        if pv.latent:
            bad(f"parent '{p}' is latent: an autoregressive CPD conditions on observed "
                "variables only")


def to_dict(cpd: AutoregressiveCPD, spec=None, var=None, parents=()) -> dict:
    """The ``autoregressive:`` block that :func:`parse` reads back to an equal CPD."""
    out: dict = {"network": cpd.network, "family": cpd.family}
    if cpd.hidden:
        out["hidden"] = list(cpd.hidden)
    if cpd.order is not None:
        out["order"] = [int(i) for i in cpd.order]
    if cpd.orders != 1:
        out["orders"] = cpd.orders
    if cpd.categories is not None:
        out["categories"] = cpd.categories
    if cpd.network == "pixelcnn" or cpd.kernel != 5:
        out["kernel"] = cpd.kernel
    if cpd.activation != "relu":
        out["activation"] = cpd.activation
    return {"autoregressive": out}


KIND = CPDKind(
    name="autoregressive", cls=AutoregressiveCPD, parse=parse, check=check, to_dict=to_dict,
    keys=("autoregressive",), network=True,
    example={"name": "autoregressive_example", "variables": {
        "x": {"real": [4], "cpd": {"autoregressive": {"network": "made", "family": "bernoulli",
                                                      "hidden": [8]}}}}})
