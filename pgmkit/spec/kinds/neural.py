"""The ``neural`` kind: an MLP from the parents' values to the parameters of a distribution
family (normal, bernoulli, categorical). The same block, with ``given``, is a guide
network ``q(z | given)`` (see :mod:`pgmkit.spec.guide`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.base import CPD, CPDKind
from pgmkit.spec.reading import Collector, number, unknown_keys, whole_numbers
from pgmkit.spec.yaml_io import line_of

FAMILIES = ("normal", "bernoulli", "categorical")
ACTIVATIONS = ("relu", "softplus", "tanh", "sigmoid", "elu", "leaky_relu")
KEYS = ("family", "hidden", "activation", "scale")
GUIDE_KEYS = KEYS + ("given",)


@dataclass(frozen=True)
class NeuralCPD(CPD):
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


def parse_network(vname: str, body: Mapping, keys: Sequence[str], col: Collector) -> NeuralCPD:
    """Parse a ``neural:`` block (a model CPD, or a guide entry when ``keys`` allows 'given')."""
    unknown_keys(body, keys, "neural block", col, vname)
    family = str(body.get("family", "")) or ""
    if not family:
        col.add("neural block needs 'family' (one of normal, bernoulli, categorical)", vname,
                line_of(body))
    hidden = whole_numbers(body.get("hidden") or [], "neural 'hidden' must be a list of layer "
                           "sizes", col, vname, line_of(body, "hidden")) or ()
    scale = body.get("scale")
    if scale is not None and str(scale) != "learned":
        scale = number(scale, "neural 'scale'", col, vname, line_of(body, "scale"))
    else:
        scale = None
    given = body.get("given") or []
    if isinstance(given, str):
        given = [given]
    return NeuralCPD(family=family, hidden=tuple(hidden), activation=str(body.get("activation", "relu")),
                     scale=scale, given=tuple(str(g) for g in given))


def parse(var, body: Mapping, parents, col: Collector, line=None) -> NeuralCPD:
    return parse_network(var.name, body, KEYS, col)


def check_network(var, cpd: NeuralCPD, add, key: str, guide: bool) -> None:
    """Problems of a network block; ``guide`` says it is a guide entry (``given`` allowed)."""
    name = var.name
    where = "guide" if guide else "neural CPD"
    if cpd.family not in FAMILIES:
        add(f"{where} family '{cpd.family}' is unknown{did_you_mean(cpd.family, FAMILIES)}; "
            f"expected one of {list(FAMILIES)}", name, key)
    elif cpd.family == "categorical" and not var.is_discrete:
        add(f"{where} family 'categorical' needs a variable with states; '{name}' is real", name, key)
    elif cpd.family in ("normal", "bernoulli") and var.is_discrete:
        add(f"{where} family '{cpd.family}' needs a real variable; '{name}' has states: use "
            "'categorical'", name, key)
    if cpd.activation not in ACTIVATIONS:
        add(f"{where} activation '{cpd.activation}' is unknown"
            f"{did_you_mean(cpd.activation, ACTIVATIONS)}; expected one of {list(ACTIVATIONS)}",
            name, key)
    if any((not isinstance(h, int)) or h <= 0 for h in cpd.hidden):
        add(f"{where} hidden sizes must be positive integers; received {list(cpd.hidden)}", name, key)
    if cpd.scale is not None and (cpd.family != "normal" or not cpd.scale > 0):
        add(f"{where} 'scale' is a fixed standard deviation > 0 for family 'normal'; received "
            f"{cpd.scale} with family '{cpd.family}'", name, key)
    if cpd.given and not guide:
        add("'given' belongs in the guide section; a model CPD conditions on its parents", name, key)


def check(cpd: NeuralCPD, var, parents, add, key: str, label: str) -> None:
    check_network(var, cpd, add, key, guide=False)


def to_dict(cpd: NeuralCPD, spec=None, var=None, parents=()) -> dict:
    out: dict = {"family": cpd.family}
    if cpd.given:
        out["given"] = list(cpd.given)
    out["hidden"] = list(cpd.hidden)
    out["activation"] = cpd.activation
    if cpd.scale is not None:
        out["scale"] = float(cpd.scale)
    return {"neural": out}


KIND = CPDKind(
    name="neural", cls=NeuralCPD, parse=parse, check=check, to_dict=to_dict, keys=("neural",),
    network=True,
    example={"name": "neural_example", "variables": {
        "a": {"states": ["a0", "a1"], "cpd": [0.35, 0.65]},
        "b": {"states": ["b0", "b1", "b2"], "parents": ["a"],
              "cpd": {"neural": {"family": "categorical", "hidden": [4]}}}}})
