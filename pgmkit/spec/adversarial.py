"""Training objectives named in the spec, and the adversarial game a spec defines.

The objectives a spec may name are registered in :mod:`pgmkit.spec.objectives`;
``adversarial``, whose options nest (a critic block, InfoGAN codes), is read here. It
trains implicit CPDs against a critic that belongs to the objective, not to the model::

    objective:
      adversarial:
        loss: nonsaturating          # or wasserstein_gp, hinge
        critic: {hidden: [128, 128], activation: leaky_relu}
        n_critic: 1                  # critic steps per generator step
        gp_weight: 10                # wasserstein_gp only
        betas: [0.5, 0.999]          # Adam's, for both players
        lr_generator: 0.002          # optional; fit(lr=) otherwise
        lr_critic: 0.0005
        info: {codes: [c, s], weight: 1}   # InfoGAN: q(codes | x) head on the critic
        cycle: 10                    # CycleGAN: weight of the cycle-consistency loss

What the critic sees is derived from the graph (:func:`layout`): every observed variable
(a conditional GAN's critic sees the label with the image) plus every latent with an
implicit guide (a BiGAN's critic sees ``(x, z)`` pairs). A model whose guide maps an
observed variable back (``b -> a`` for the CPD ``a -> b``) is a two-domain translation:
one critic per domain and the cycle-consistency loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.implicit import DEFAULT_ACTIVATION
from pgmkit.spec.kinds.neural import ACTIVATIONS
from pgmkit.spec.reading import Collector, number, unknown_keys, whole_numbers
from pgmkit.spec.yaml_io import line_of

LOSSES = ("nonsaturating", "wasserstein_gp", "hinge")
KEYS = ("loss", "critic", "n_critic", "gp_weight", "betas", "lr_generator", "lr_critic", "info",
        "cycle")
CRITIC_KEYS = ("hidden", "activation")
INFO_KEYS = ("codes", "weight")
DEFAULT_GP, DEFAULT_CYCLE, DEFAULT_BETAS = 10.0, 10.0, (0.5, 0.999)


@dataclass(frozen=True)
class Adversarial:
    """A two-player game: critics tell data from the implicit CPDs' output, the CPDs learn
    to fool them. ``None`` for ``gp_weight``/``cycle`` means the default where it applies."""

    loss: str = "nonsaturating"
    critic_hidden: tuple[int, ...] = (128, 128)
    critic_activation: str = DEFAULT_ACTIVATION
    n_critic: int = 1
    gp_weight: float | None = None
    betas: tuple[float, float] = DEFAULT_BETAS
    lr_generator: float | None = None
    lr_critic: float | None = None
    info_codes: tuple[str, ...] = ()
    info_weight: float = 1.0
    cycle: float | None = None

    name = "adversarial"

    @property
    def penalty(self) -> float:
        """The gradient-penalty weight in use (0 unless the loss is wasserstein_gp)."""
        if self.loss != "wasserstein_gp":
            return 0.0
        return DEFAULT_GP if self.gp_weight is None else self.gp_weight


@dataclass(frozen=True)
class Layout:
    """The game a spec defines, derived from its graph.

    ``mode`` is ``"joint"`` (one critic over ``critic_inputs``) or ``"cycle"`` (two domains
    ``domains = (a, b)``, the CPD maps a -> b and the guide b -> a, one critic each).
    """

    mode: str
    generated: tuple[str, ...]
    noise: tuple[str, ...]
    conditions: tuple[str, ...]
    encoded: tuple[str, ...]
    critic_inputs: tuple[str, ...] = ()
    domains: tuple[str, ...] = field(default=())


# -- reading -------------------------------------------------------------------------

def is_adversarial(raw) -> bool:
    """Whether an ``objective:`` entry names the adversarial objective (read here; the
    other objectives are read by :func:`pgmkit.spec.objectives.parse_objective`)."""
    return (isinstance(raw, Adversarial) or raw == "adversarial"
            or (isinstance(raw, Mapping) and list(map(str, raw)) == ["adversarial"]))


def parse(raw, col: Collector) -> Adversarial | None:
    """Read ``objective: {adversarial: {options}}`` (or the bare name)."""
    if isinstance(raw, Adversarial):
        return raw
    body = raw["adversarial"] if isinstance(raw, Mapping) else {}
    body = {} if body is None else body
    if not isinstance(body, Mapping):
        col.add(f"objective 'adversarial' takes a mapping of options; received {body!r}",
                line=col.lines.get("objective"))
        return None
    return _adversarial(body, col)


def _adversarial(body: Mapping, col: Collector) -> Adversarial:
    unknown_keys(body, KEYS, "adversarial objective", col, None)
    for key in body:
        col.lines[f"objective.{key}"] = line_of(body, key) or col.lines.get("objective", 0)
    at = lambda key: line_of(body, key) or col.lines.get("objective")  # noqa: E731
    kw: dict = {}
    if "loss" in body:
        kw["loss"] = str(body["loss"])
    critic = body.get("critic") or {}
    if not isinstance(critic, Mapping):
        col.add(f"'critic' must be a mapping such as {{hidden: [128, 128]}}; received {critic!r}",
                line=at("critic"))
        critic = {}
    unknown_keys(critic, CRITIC_KEYS, "critic", col, None)
    if "hidden" in critic:
        kw["critic_hidden"] = whole_numbers(critic["hidden"] or [], "critic 'hidden' must be a "
                                            "list of layer sizes", col, None, at("critic")) or ()
    if "activation" in critic:
        kw["critic_activation"] = str(critic["activation"])
    if "n_critic" in body:
        n = number(body["n_critic"], "'n_critic'", col, None, at("n_critic"))
        kw["n_critic"] = int(n) if math.isfinite(n) and n == int(n) else -1
    for key in ("gp_weight", "lr_generator", "lr_critic", "cycle"):
        if key in body:
            kw[key] = number(body[key], f"'{key}'", col, None, at(key))
    if "betas" in body:
        betas = body["betas"]
        if isinstance(betas, (list, tuple)) and len(betas) == 2:
            kw["betas"] = tuple(number(b, "'betas'", col, None, at("betas")) for b in betas)
        else:
            col.add(f"'betas' must be two numbers such as [0.5, 0.999]; received {betas!r}",
                    line=at("betas"))
    info = body.get("info")
    if info is not None:
        if not isinstance(info, Mapping):
            col.add(f"'info' must be {{codes: [c], weight: 1}}; received {info!r}", line=at("info"))
        else:
            unknown_keys(info, INFO_KEYS, "info", col, None)
            codes = info.get("codes") or []
            kw["info_codes"] = tuple(str(c) for c in ([codes] if isinstance(codes, str) else codes))
            if "weight" in info:
                kw["info_weight"] = number(info["weight"], "info 'weight'", col, None, at("info"))
    return Adversarial(**kw)


def to_dict(objective: Adversarial) -> dict:
    o, out = objective, {}
    out["loss"] = o.loss
    out["critic"] = {"hidden": list(o.critic_hidden), "activation": o.critic_activation}
    out["n_critic"] = o.n_critic
    for key in ("gp_weight", "lr_generator", "lr_critic", "cycle"):
        if getattr(o, key) is not None:
            out[key] = float(getattr(o, key))
    if o.betas != DEFAULT_BETAS:
        out["betas"] = [float(b) for b in o.betas]
    if o.info_codes:
        out["info"] = {"codes": list(o.info_codes), "weight": float(o.info_weight)}
    return {"adversarial": out}
