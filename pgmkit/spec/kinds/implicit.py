"""The ``implicit`` CPD kind: a deterministic network of the parents.

A real child is a function of its parents (real ones as they are, discrete ones one-hot);
noise enters only through latent parents. It has no density, so it is trained by an
adversarial objective (:mod:`pgmkit.spec.adversarial`), never by a likelihood. It is a GAN
generator (``z -> x``), a conditional generator (``y, z -> x``), a translation between
two domains (``a -> b``), and, as a guide entry with ``given``, a deterministic encoder
(BiGAN's ``x -> z``, CycleGAN's ``b -> a``)::

    x: {real: [64], parents: [z], cpd: {implicit: {hidden: [128, 128], output: sigmoid}}}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.base import CPD, CPDKind
from pgmkit.spec.kinds.neural import ACTIVATIONS
from pgmkit.spec.reading import Collector, unknown_keys, whole_numbers
from pgmkit.spec.yaml_io import line_of

OUTPUTS = ("identity", "sigmoid", "tanh")
KEYS = ("hidden", "activation", "output")
GUIDE_KEYS = KEYS + ("given",)
DEFAULT_ACTIVATION = "leaky_relu"
LEAKY_SLOPE = 0.2
"""Negative slope of ``leaky_relu`` in implicit networks and critics (the GAN standard)."""


@dataclass(frozen=True)
class ImplicitCPD(CPD):
    """``child = output(MLP(parents))``: hidden layers with ``activation``, then a linear
    layer to the child's size and the ``output`` activation (identity, sigmoid, tanh).

    ``given`` is used by guide entries only: the variables the network reads.
    """

    hidden: tuple[int, ...] = ()
    activation: str = DEFAULT_ACTIVATION
    output: str = "identity"
    given: tuple[str, ...] = field(default=())

    kind = "implicit"

    def num_parameters(self) -> int | None:
        return None  # depends on the input and output sizes; the backend counts weights


def parse_network(vname: str, body: Mapping, col: Collector, guide: bool = False) -> ImplicitCPD:
    """Read an ``implicit:`` block (a model CPD, or a guide entry when ``guide``)."""
    unknown_keys(body, GUIDE_KEYS if guide else KEYS, "implicit block", col, vname)
    hidden = whole_numbers(body.get("hidden") or [], "implicit 'hidden' must be a list of "
                           "layer sizes", col, vname, line_of(body, "hidden")) or ()
    given = body.get("given") or []
    if isinstance(given, str):
        given = [given]
    return ImplicitCPD(hidden=tuple(hidden),
                       activation=str(body.get("activation", DEFAULT_ACTIVATION)),
                       output=str(body.get("output", "identity")),
                       given=tuple(str(g) for g in given))


def parse(var, body: Mapping, parents, col: Collector, line=None) -> ImplicitCPD:
    return parse_network(var.name, body, col)


def check_network(var, cpd: ImplicitCPD, add, key: str, guide: bool = False) -> None:
    """Report what is wrong with one implicit network of ``var`` through ``add``."""
    where = "implicit guide" if guide else "implicit CPD"
    if var.is_discrete:
        add(f"an {where} makes a real vector; '{var.name}' has states: a discrete variable "
            "needs a table or a neural categorical CPD", var.name, key)
    if cpd.activation not in ACTIVATIONS:
        add(f"{where} activation '{cpd.activation}' is unknown"
            f"{did_you_mean(cpd.activation, ACTIVATIONS)}; expected one of {list(ACTIVATIONS)}",
            var.name, key)
    if cpd.output not in OUTPUTS:
        add(f"{where} output '{cpd.output}' is unknown{did_you_mean(cpd.output, OUTPUTS)}; "
            f"expected one of {list(OUTPUTS)}", var.name, key)
    if any((not isinstance(h, int)) or h <= 0 for h in cpd.hidden):
        add(f"{where} hidden sizes must be positive integers; received {list(cpd.hidden)}",
            var.name, key)
    if cpd.given and not guide:
        add("'given' belongs in the guide section; a model CPD reads its parents", var.name, key)
    if guide and not cpd.given:
        add("an implicit guide needs 'given': the variables it reads, e.g. [x]", var.name, key)


def check(cpd: ImplicitCPD, var, parents, add, key: str, label: str) -> None:
    """The network's own problems; whether an objective can train it is checked with the
    objective (:mod:`pgmkit.spec.game`), which sees the whole spec."""
    check_network(var, cpd, add, key)


def to_dict(cpd: ImplicitCPD, spec=None, var=None, parents=()) -> dict:
    out: dict = {}
    if cpd.given:
        out["given"] = list(cpd.given)
    out["hidden"] = list(cpd.hidden)
    out["activation"] = cpd.activation
    out["output"] = cpd.output
    return {"implicit": out}


KIND = CPDKind(
    name="implicit", cls=ImplicitCPD, parse=parse, check=check, to_dict=to_dict,
    keys=("implicit",), network=True,
    example={"name": "implicit_example", "variables": {
        "z": {"real": [2], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [3], "parents": ["z"],
              "cpd": {"implicit": {"hidden": [4], "output": "sigmoid"}}}},
        "objective": {"adversarial": {"loss": "nonsaturating", "critic": {"hidden": [4]}}}})
