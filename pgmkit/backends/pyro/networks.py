"""Multi-layer perceptrons built from a spec's ``neural`` blocks.

An MLP maps the concatenated parent values (real parents flattened, discrete parents
one-hot) to the parameters of a distribution family. One output head per parameter.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

_ACTIVATIONS = {
    "relu": nn.ReLU, "softplus": nn.Softplus, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
    "elu": nn.ELU, "leaky_relu": nn.LeakyReLU,
}


class MLP(nn.Module):
    """Hidden layers shared by every head; each head is one linear layer.

    Parameters
    ----------
    in_size : int
        Width of the concatenated input (0 gives a network that only has biases).
    hidden : sequence of int
        Hidden layer widths.
    activation : str
        One of the activations the spec language allows.
    out_sizes : sequence of int
        One output head per distribution parameter (e.g. loc and scale).

    Examples
    --------
    >>> net = MLP(4, (8,), "softplus", (2,))
    >>> net(torch.zeros(3, 4))[0].shape
    torch.Size([3, 2])
    """

    def __init__(self, in_size: int, hidden: Sequence[int], activation: str,
                 out_sizes: Sequence[int]):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_size
        for h in hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[activation]()]
            width = h
        self.body = nn.Sequential(*layers)
        self.heads = nn.ModuleList(nn.Linear(width, k) for k in out_sizes)
        self.in_size = in_size

    def forward(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        h = self.body(inputs)
        return [head(h) for head in self.heads]


def concat_inputs(parts: Sequence[torch.Tensor], dtype: torch.dtype) -> torch.Tensor:
    """Concatenate per-parent features along the last axis, broadcasting their batch axes.

    Enumerated discrete parents arrive with extra leading axes (one per enumerated
    variable); broadcasting lets one decoder call evaluate every enumerated value at once.
    """
    if not parts:
        return torch.zeros((1, 0), dtype=dtype)
    if len(parts) == 1:
        return parts[0]
    batch = torch.broadcast_shapes(*(p.shape[:-1] for p in parts))
    return torch.cat([p.expand(*batch, p.shape[-1]) for p in parts], dim=-1)
