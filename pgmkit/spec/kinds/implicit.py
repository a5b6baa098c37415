"""The ``implicit`` CPD kind: a deterministic network of the parents.

A real child is a function of its parents (real ones as they are, discrete ones one-hot);
noise enters only through latent parents. It has no density, so it is trained by an
adversarial objective (:mod:`pgmkit.spec.adversarial`), never by a likelihood. It is a GAN
generator (``z -> x``), a conditional generator (``y, z -> x``), a translation between
two domains (``a -> b``), and, as a guide entry with ``given``, a deterministic encoder
(BiGAN's ``x -> z``, CycleGAN's ``b -> a``)::

    x: {real: [64], parents: [z], cpd: {implicit: {hidden: [128, 128], output: sigmoid}}}

With ``conv`` and ``shape`` the network is convolutional instead of an MLP: the child is
an image of ``shape`` (``[H, W]`` or ``[C, H, W]``) and every input is an image parent of
the same height and width (its size a multiple of ``H * W``, read as that many channels),
so each output pixel depends on a neighbourhood of the input's: the locality bias a map
between two domains of images needs (CycleGAN's ``a -> b``)::

    b: {real: [64], parents: [a], cpd: {implicit: {conv: {channels: [32, 32], kernel: 3},
                                                    shape: [8, 8], output: sigmoid}}}
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
KEYS = ("hidden", "conv", "shape", "activation", "output")
CONV_KEYS = ("channels", "kernel")
DEFAULT_KERNEL = 3
GUIDE_KEYS = KEYS + ("given",)
DEFAULT_ACTIVATION = "leaky_relu"
LEAKY_SLOPE = 0.2
"""Negative slope of ``leaky_relu`` in implicit networks and critics (the GAN standard)."""


@dataclass(frozen=True)
class ImplicitCPD(CPD):
    """``child = output(MLP(parents))``: hidden layers with ``activation``, then a linear
    layer to the child's size and the ``output`` activation (identity, sigmoid, tanh).

    With ``channels`` (the ``conv`` block) the network is convolutional on images of
    ``shape``: one ``kernel`` x ``kernel`` convolution per entry of ``channels`` (zero
    padding keeps height and width), each followed by ``activation``, then one to the
    child's channels and the ``output`` activation. ``given`` is used by guide entries
    only: the variables the network reads.
    """

    hidden: tuple[int, ...] = ()
    activation: str = DEFAULT_ACTIVATION
    output: str = "identity"
    given: tuple[str, ...] = field(default=())
    channels: tuple[int, ...] = ()
    kernel: int = DEFAULT_KERNEL
    shape: tuple[int, ...] = ()

    @property
    def is_conv(self) -> bool:
        return bool(self.channels)

    @property
    def image(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of the child image (a conv network's ``shape``)."""
        return (1, *self.shape) if len(self.shape) == 2 else tuple(self.shape)

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
    channels, kernel = _conv_block(vname, body, col)
    shape = ()
    if "shape" in body:
        shape = whole_numbers(body["shape"], "implicit 'shape' must be an image shape [H, W] or "
                              "[C, H, W]", col, vname, line_of(body, "shape")) or ()
    return ImplicitCPD(hidden=tuple(hidden),
                       activation=str(body.get("activation", DEFAULT_ACTIVATION)),
                       output=str(body.get("output", "identity")),
                       given=tuple(str(g) for g in given),
                       channels=channels, kernel=kernel, shape=tuple(shape))


def _conv_block(vname: str, body: Mapping, col: Collector) -> tuple[tuple[int, ...], int]:
    """``conv: {channels: [...], kernel: k}`` as (channels, kernel); ``((), 3)`` if absent."""
    if "conv" not in body:
        return (), DEFAULT_KERNEL
    conv, line = body["conv"], line_of(body, "conv")
    if not isinstance(conv, Mapping):
        col.add("implicit 'conv' must be a block such as {channels: [32, 32], kernel: 3}; "
                f"received {conv!r}", vname, line)
        return (), DEFAULT_KERNEL
    unknown_keys(conv, CONV_KEYS, "implicit conv block", col, vname)
    if not conv.get("channels"):
        col.add("implicit 'conv' needs 'channels': the channels of each convolution, e.g. "
                "[32, 32]", vname, line)
        return (), DEFAULT_KERNEL
    channels = whole_numbers(conv["channels"], "conv 'channels' must be a list of channel "
                             "counts", col, vname, line_of(conv, "channels")) or ()
    kernel = whole_numbers(conv.get("kernel", DEFAULT_KERNEL), "conv 'kernel' must be one "
                           "kernel size", col, vname, line_of(conv, "kernel")) or (DEFAULT_KERNEL,)
    if len(kernel) != 1:
        col.add(f"conv 'kernel' is one size (square kernels); received {list(kernel)}", vname,
                line_of(conv, "kernel"))
    return tuple(channels), int(kernel[0])


def parse(var, body: Mapping, parents, col: Collector, line=None) -> ImplicitCPD:
    return parse_network(var.name, body, col)


def check_network(var, cpd: ImplicitCPD, add, key: str, guide: bool = False,
                  inputs=()) -> None:
    """Report what is wrong with one implicit network of ``var`` through ``add``;
    ``inputs`` are the :class:`Variable` objects it reads (a conv network checks them)."""
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
    if cpd.is_conv or cpd.shape:
        _conv_problems(var, cpd, add, key, where, inputs)


def _conv_problems(var, cpd: ImplicitCPD, add, key: str, where: str, inputs) -> None:
    """A conv network maps images of its ``shape`` to an image of its ``shape``."""
    if not cpd.is_conv:
        add(f"{where} 'shape' is the image shape of a convolutional network: give 'conv' "
            "too, e.g. conv: {channels: [32, 32], kernel: 3}", var.name, key)
        return
    if cpd.hidden:
        add(f"an {where} is an MLP ('hidden') or a convolutional network ('conv'), not both",
            var.name, key)
    if cpd.kernel % 2 == 0:
        add(f"conv 'kernel' must be odd so that padding keeps the image size; received "
            f"{cpd.kernel}", var.name, key)
    if len(cpd.shape) not in (2, 3):
        add(f"a conv network needs 'shape', the child as an image [H, W] or [C, H, W]; "
            f"received {list(cpd.shape)}", var.name, key)
        return
    c, h, w = cpd.image
    if not var.is_discrete and var.domain.size != c * h * w:
        add(f"shape {list(cpd.shape)} has {c * h * w} values but '{var.name}' has "
            f"{var.domain.size}: the shape must hold the child's values exactly", var.name, key)
    if not inputs:
        add("a conv network reads image parents; this one has none", var.name, key)
    for p in inputs:
        if p.is_discrete or p.domain.size % (h * w):
            size = f"{p.card} states" if p.is_discrete else f"{p.domain.size} values"
            add(f"a conv network reads images of {h}x{w}: parent '{p.name}' has {size}, not "
                f"a multiple of {h * w} (give non-image inputs to an MLP: 'hidden')",
                var.name, key)


def check(cpd: ImplicitCPD, var, parents, add, key: str, label: str) -> None:
    """The network's own problems; whether an objective can train it is checked with the
    objective (:mod:`pgmkit.spec.game`), which sees the whole spec."""
    check_network(var, cpd, add, key, inputs=[pv for _, pv in parents])


def to_dict(cpd: ImplicitCPD, spec=None, var=None, parents=()) -> dict:
    out: dict = {}
    if cpd.given:
        out["given"] = list(cpd.given)
    if cpd.is_conv:
        out["conv"] = {"channels": list(cpd.channels), "kernel": cpd.kernel}
    else:
        out["hidden"] = list(cpd.hidden)
    if cpd.shape:
        out["shape"] = list(cpd.shape)
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
