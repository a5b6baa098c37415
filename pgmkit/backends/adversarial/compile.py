"""Spec -> :class:`Game`: the networks of an adversarial model and how values flow.

Values move through the game as 2-D float tensors, one row per sample: real variables
flattened, discrete ones one-hot (the same features every network reads and the critic
sees). Discrete values are drawn from their table prior or taken from the data.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import nn

from pgmkit.spec.adversarial import Adversarial
from pgmkit.spec.game import layout
from pgmkit.spec.kinds.implicit import LEAKY_SLOPE, ImplicitCPD
from pgmkit.spec.kinds.normal import NormalCPD
from pgmkit.spec.kinds.table import TableCPD
from pgmkit.spec.model import ModelSpec

_OUTPUTS = {"identity": None, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def activation(name: str) -> nn.Module:
    """The hidden activation of implicit networks and critics (leaky_relu slopes 0.2)."""
    table = {"relu": nn.ReLU, "softplus": nn.Softplus, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
             "elu": nn.ELU}
    return nn.LeakyReLU(LEAKY_SLOPE) if name == "leaky_relu" else table[name]()


def mlp(in_size: int, hidden: Sequence[int], act: str, out_size: int | None,
        output: str = "identity") -> nn.Sequential:
    """Linear + activation per hidden layer, then a linear layer to ``out_size`` (none if
    ``None``: the body of a critic) and the output activation."""
    layers: list[nn.Module] = []
    width = in_size
    for h in hidden:
        layers += [nn.Linear(width, h), activation(act)]
        width = h
    if out_size is not None:
        layers.append(nn.Linear(width, out_size))
        if _OUTPUTS[output] is not None:
            layers.append(_OUTPUTS[output]())
    return nn.Sequential(*layers)


class Critic(nn.Module):
    """A body shared by the score head and the InfoGAN q heads (one per code)."""

    def __init__(self, in_size: int, hidden: Sequence[int], act: str,
                 codes: Mapping[str, int]):
        super().__init__()
        self.body = mlp(in_size, hidden, act, None)
        width = hidden[-1] if hidden else in_size
        self.head = nn.Linear(width, 1)
        self.q = nn.ModuleDict({name: nn.Linear(width, size) for name, size in codes.items()})

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(inputs)).squeeze(-1)

    def with_codes(self, inputs: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        h = self.body(inputs)
        return self.head(h).squeeze(-1), {name: q(h) for name, q in self.q.items()}


class Game(nn.Module):
    """The players of a spec's game. ``generators`` are the implicit CPDs (the model),
    ``encoders`` the implicit guides; ``critics`` belong to the objective.

    Examples
    --------
    >>> import pgmkit
    >>> game = Game(pgmkit.example("gan").spec)
    >>> game.generate({}, 3)["x"].shape
    torch.Size([3, 64])
    """

    dtype = torch.float32

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec
        self.objective: Adversarial = spec.objective
        self.layout = layout(spec)
        self.order = spec.topological_order()
        self.widths = {v.name: (v.card if v.is_discrete else v.domain.size)
                       for v in spec.variables}
        # construction order is part of a seeded run: generators, encoders, then critics
        from pgmkit.backends.adversarial.rules import ENGINE

        # one compile rule per CPD kind, from the engine's table (what supports() reads)
        self.generators = nn.ModuleDict({
            n: ENGINE.rule(spec[n].cpd, spec[n])(self, spec[n].cpd,
                                                 [p.name for p in spec[n].parents], n)
            for n in self.layout.generated})
        self.encoders = nn.ModuleDict({
            n: ENGINE.rule(q, spec[n])(self, q, list(q.given), n) for n, q in spec.guide.items()})
        o = self.objective
        if self.layout.mode == "cycle":
            self.critics = nn.ModuleDict({
                d: Critic(self.widths[d], o.critic_hidden, o.critic_activation, {})
                for d in self.layout.domains})
        else:
            codes = {c: self.widths[c] for c in o.info_codes}
            width = sum(self.widths[n] for n in self.layout.critic_inputs)
            self.critics = nn.ModuleDict({"joint": Critic(width, o.critic_hidden,
                                                          o.critic_activation, codes)})
        self.rng_after_init: torch.Tensor | None = None
        """Torch's global random state right after the seeded initialisation (set by the
        facade): training draws its noise on from there, not from a fresh seed."""
        # noise, and the conditions (labels) drawn from their prior when not given
        self._priors = {n: ENGINE.rule(spec[n].cpd, spec[n])(spec[n])
                        for n in self.layout.noise + self.layout.conditions
                        if spec[n].cpd is not None}

    # -- values ---------------------------------------------------------------------
    def features(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """A variable's network features: one-hot for state indices, flat rows for reals."""
        if self.spec[name].is_discrete:
            return nn.functional.one_hot(value.long(), self.widths[name]).to(self.dtype)
        return value.reshape(value.shape[0], -1).to(self.dtype)

    def draw(self, name: str, n: int) -> torch.Tensor:
        """``n`` draws of a noise variable from its prior (torch's global generator)."""
        kind, a, b = self._priors[name]
        if kind == "table":
            idx = torch.multinomial(a, n, replacement=True)
            return nn.functional.one_hot(idx, self.widths[name]).to(self.dtype)
        noise = torch.randn(n, self.widths[name], dtype=self.dtype)
        return noise if kind == "standard" else noise * b + a

    def generate(self, given: Mapping[str, torch.Tensor], n: int) -> dict[str, torch.Tensor]:
        """Features of every variable: ``given`` ones kept, noise drawn, the rest generated."""
        values = dict(given)
        for name in self.order:
            if name in values:
                continue
            if name in self._priors:
                values[name] = self.draw(name, n)
            elif name in self.generators:
                parents = [values[p.name] for p in self.spec[name].parents]
                values[name] = self.generators[name](_cat(parents, n))
            elif not self.spec[name].latent:
                from pgmkit.errors import DataError

                raise DataError(f"'{name}' has no CPD to draw it from: give its values")
        return values

    def encode(self, name: str, values: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The implicit guide's output for ``name`` from the features it reads."""
        q = self.spec.guide[name]
        n = next(iter(values.values())).shape[0]
        return self.encoders[name](_cat([values[g] for g in q.given], n))

    def critic_input(self, values: Mapping[str, torch.Tensor]) -> torch.Tensor:
        parts = [values[c] for c in self.layout.critic_inputs]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.generators.parameters()) + list(self.encoders.parameters())

    def critic_parameters(self) -> list[nn.Parameter]:
        return list(self.critics.parameters())


def _cat(parts: list[torch.Tensor], n: int) -> torch.Tensor:
    if not parts:
        return torch.zeros((n, 0), dtype=Game.dtype)
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


class ConvNetwork(nn.Module):
    """An image-to-image network: rows of flat images in, rows of a flat image out.

    The input rows are the image parents' pixels side by side, each parent channel-major,
    so one reshape gives (channels, H, W); convolutions with zero padding ``kernel // 2``
    keep H and W.
    """

    def __init__(self, in_channels: int, image: tuple[int, int, int], channels: Sequence[int],
                 kernel: int, act: str, output: str):
        super().__init__()
        self.in_channels, self.image = in_channels, tuple(image)
        layers: list[nn.Module] = []
        width = in_channels
        for c in list(channels) + [image[0]]:
            layers += [nn.Conv2d(width, c, kernel, padding=kernel // 2), activation(act)]
            width = c
        layers.pop()  # the last convolution gets the output activation instead
        if _OUTPUTS[output] is not None:
            layers.append(_OUTPUTS[output]())
        self.net = nn.Sequential(*layers)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        _, h, w = self.image
        maps = inputs.reshape(inputs.shape[0], self.in_channels, h, w)
        return self.net(maps).reshape(inputs.shape[0], -1)


def implicit_network(game: Game, cpd: ImplicitCPD, inputs: list[str],
                     target: str) -> nn.Module:
    """The compile rule of the ``implicit`` kind: its MLP (or conv network) from the
    inputs' features."""
    width = sum(game.widths[i] for i in inputs)
    if cpd.is_conv:
        _, h, w = cpd.image
        return ConvNetwork(width // (h * w), cpd.image, cpd.channels, cpd.kernel,
                           cpd.activation, cpd.output)
    return mlp(width, cpd.hidden, cpd.activation, game.widths[target], cpd.output)


def noise_prior(var) -> tuple:
    """The compile rule of ``normal`` and ``table`` roots: what to draw noise (or an
    ungiven condition) from."""
    cpd = var.cpd
    if isinstance(cpd, TableCPD):
        return ("table", torch.tensor(cpd.probabilities.reshape(-1), dtype=torch.float64), None)
    assert isinstance(cpd, NormalCPD)  # validation allows normal and table priors only
    loc = torch.tensor(cpd.loc.reshape(-1), dtype=Game.dtype)
    scale = torch.tensor(cpd.scale.reshape(-1), dtype=Game.dtype)
    standard = bool((loc == 0).all() and (scale == 1).all())  # N(0, I): no shift or scale
    return ("standard" if standard else "normal", loc, scale)
