"""The four autoregressive parameterizations as torch modules.

Every network maps encoded inputs ``(n, D * k_in)`` (one-hot for categorical dimensions,
the value otherwise) and an optional conditioning vector ``(n, C)`` to distribution
parameters ``(n, D, P)`` in the variable's own dimension order, such that the
parameters of dimension ``d`` depend only on the dimensions before ``d`` in the ordering.
Orderings enter as *ranks* (``rank[d]`` = position of ``d`` in the ordering), so no
network permutes its inputs, and several orderings (MADE) are several masks over the
same weights. Initialisation is PyTorch's default (``nn.Linear`` / ``nn.Conv2d``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ACTIVATION = {"relu": nn.ReLU, "softplus": nn.Softplus, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
              "elu": nn.ELU, "leaky_relu": nn.LeakyReLU}


def _degree_mask(out_deg: np.ndarray, in_deg: np.ndarray, strict: bool) -> torch.Tensor:
    """``mask[o, i] = in_deg[i] < out_deg[o]`` (strict) or ``<=``, as a float tensor."""
    cmp = np.less if strict else np.less_equal
    return torch.as_tensor(cmp(in_deg[None, :], out_deg[:, None]), dtype=torch.get_default_dtype())


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by one of several fixed 0/1 masks."""

    def __init__(self, n_in: int, n_out: int, masks: torch.Tensor, bias: bool = True):
        super().__init__(n_in, n_out, bias=bias)
        self.register_buffer("masks", masks)       # (orders, out, in)

    def forward(self, x: torch.Tensor, k: int = 0) -> torch.Tensor:
        return F.linear(x, self.weight * self.masks[k], self.bias)

    def live_weights(self) -> int:
        return int(self.masks.amax(0).sum()) + (self.bias.numel() if self.bias is not None else 0)


class FVSBN(nn.Module):
    """One (multi-output) logistic regression per dimension on the earlier dimensions."""

    def __init__(self, ranks: list[np.ndarray], k_in: int, n_params: int, cond: int):
        super().__init__()
        self.D, self.P = len(ranks[0]), n_params
        masks = torch.stack([_degree_mask(np.repeat(r, n_params), np.repeat(r, k_in), strict=True)
                             for r in ranks])
        self.linear = MaskedLinear(self.D * k_in, self.D * n_params, masks)
        self.cond = nn.Linear(cond, self.D * n_params, bias=False) if cond else None

    def forward(self, x, y=None, k: int = 0):
        out = self.linear(x, k)
        if self.cond is not None:
            out = out + self.cond(y)
        return out.view(x.shape[0], self.D, self.P)


class MADE(nn.Module):
    """A masked MLP (Germain et al. 2015); hidden degrees cycle through ``0 .. D-2``."""

    def __init__(self, ranks: list[np.ndarray], k_in: int, n_params: int, cond: int,
                 hidden: tuple[int, ...], activation: str):
        super().__init__()
        self.D, self.P = len(ranks[0]), n_params
        span = max(self.D - 1, 1)
        degrees = [np.arange(h) % span for h in hidden]
        layers, prev = [], [np.repeat(r, k_in) for r in ranks]
        sizes = [self.D * k_in] + list(hidden)
        for i, deg in enumerate(degrees):
            masks = torch.stack([_degree_mask(deg, p, strict=False) for p in prev])
            layers.append(MaskedLinear(sizes[i], sizes[i + 1], masks))
            prev = [deg for _ in ranks]
        out_masks = torch.stack([_degree_mask(np.repeat(r, n_params), degrees[-1], strict=True)
                                 for r in ranks])
        self.hidden = nn.ModuleList(layers)
        self.out = MaskedLinear(sizes[-1], self.D * n_params, out_masks)
        self.act = ACTIVATION[activation]()
        self.cond = nn.Linear(cond, hidden[0], bias=False) if cond else None

    def forward(self, x, y=None, k: int = 0):
        h = x
        for i, layer in enumerate(self.hidden):
            h = layer(h, k)
            if i == 0 and self.cond is not None:
                h = h + self.cond(y)
            h = self.act(h)
        return self.out(h, k).view(x.shape[0], self.D, self.P)


class NADE(nn.Module):
    """Neural autoregressive density estimation (Larochelle & Murray 2011).

    ``h_d = act(c + W x_{<d})`` by an exclusive cumulative sum over the ordering (the
    weight sharing that makes NADE O(DH)), then ``params_d = b_d + V_d h_d``.
    """

    def __init__(self, ranks: list[np.ndarray], k_in: int, n_params: int, cond: int,
                 hidden: int, activation: str):
        super().__init__()
        self.D, self.P, self.H, self.k_in = len(ranks[0]), n_params, hidden, k_in
        self.register_buffer("order", torch.as_tensor(np.argsort(ranks[0]), dtype=torch.long))
        self.inp = nn.Linear(self.D * k_in, hidden)       # W and c
        self.out = nn.Linear(hidden, self.D * n_params)   # V and b
        self.act = ACTIVATION[activation]()
        self.cond = nn.Linear(cond, hidden, bias=False) if cond else None

    def forward(self, x, y=None, k: int = 0):
        n, order = x.shape[0], self.order
        w = self.inp.weight.view(self.H, self.D, self.k_in)[:, order]       # (H, D, k) ordered
        xo = x.view(n, self.D, self.k_in)[:, order]
        contrib = torch.einsum("ndk,hdk->ndh", xo, w)
        a = contrib.cumsum(1) - contrib + self.inp.bias
        if self.cond is not None:
            a = a + self.cond(y)[:, None, :]
        h = self.act(a)                                                     # (n, D, H)
        v = self.out.weight.view(self.D, self.P, self.H)[order]
        b = self.out.bias.view(self.D, self.P)[order]
        out_o = torch.einsum("ndh,dph->ndp", h, v) + b
        return out_o[:, torch.argsort(order)]


class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only earlier pixels in raster order (type 'A' excludes the
    centre pixel: the first layer; type 'B' includes it: later layers)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, kind: str):
        super().__init__(c_in, c_out, kernel, padding=kernel // 2)
        mask = torch.ones_like(self.weight)
        c = kernel // 2
        mask[:, :, c, c + (kind == "B"):] = 0
        mask[:, :, c + 1:] = 0
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

    def live_weights(self) -> int:
        return int(self.mask.sum()) + self.bias.numel()


class PixelCNN(nn.Module):
    """Masked convolutions (van den Oord et al. 2016) over one-channel ``H x W`` images."""

    def __init__(self, shape: tuple[int, int], k_in: int, n_params: int, cond: int,
                 channels: tuple[int, ...], kernel: int, activation: str):
        super().__init__()
        self.shape, self.k_in, self.P = shape, k_in, n_params
        self.D = shape[0] * shape[1]
        sizes = [k_in] + list(channels)
        self.convs = nn.ModuleList(MaskedConv2d(sizes[i], sizes[i + 1], kernel, "A" if i == 0 else "B")
                                   for i in range(len(channels)))
        self.out = nn.Conv2d(sizes[-1], n_params, 1)
        self.act = ACTIVATION[activation]()
        self.cond = nn.Linear(cond, channels[0], bias=False) if cond else None

    def forward(self, x, y=None, k: int = 0):
        n = x.shape[0]
        h = x.view(n, *self.shape, self.k_in).permute(0, 3, 1, 2)
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i == 0 and self.cond is not None:
                h = h + self.cond(y)[:, :, None, None]
            h = self.act(h)
        return self.out(h).permute(0, 2, 3, 1).reshape(n, self.D, self.P)


def live_parameters(module: nn.Module) -> int:
    """Weights that can affect the output: masked-out entries are not counted."""
    total, seen = 0, set()
    for sub in module.modules():
        if hasattr(sub, "live_weights"):
            total += sub.live_weights()
            seen |= {id(p) for p in sub.parameters(recurse=False)}
    return total + sum(p.numel() for p in module.parameters() if id(p) not in seen)
