"""Exact inference over a discrete hidden chain on packed, ragged batches, in log space.

Emissions arrive as ``log_e`` of shape ``(E, K)`` (every modeled variable's log-density
at each chain state, already summed, zero where a cell is missing); step ``t`` of the
packed layout touches only the ``batch_sizes[t]`` sequences still running. The forward
pass keeps each step's filtered distribution normalized and returns the normalizers
``log c_t = log p(x_t | x_<t)``, whose sum is the exact log-likelihood and whose gradient
trains the networks. Without a chain (``K = 1``) every ``log c_t`` is just ``log_e``.
"""
from __future__ import annotations

import torch

from pgmkit.errors import EvidenceError


def forward(log_init: torch.Tensor, log_trans: torch.Tensor, log_e: torch.Tensor,
            batch_sizes: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log_c (E,), log_alpha (E, K))``: per-event normalizers and filtered log-posteriors.

    Examples
    --------
    >>> import torch
    >>> lc, la = forward(torch.log(torch.tensor([0.5, 0.5])), torch.log(torch.eye(2)),
    ...                  torch.log(torch.tensor([[0.2, 0.6]])), [1])
    >>> round(float(lc.exp()), 6)
    0.4
    """
    if log_e.shape[1] == 1:
        return log_e[:, 0], torch.zeros_like(log_e)
    trans = log_trans.exp()
    cs, alphas, start = [], [], 0
    prev = None
    for t, b in enumerate(batch_sizes):
        e = log_e[start:start + b]
        pred = log_init.expand(b, -1) if prev is None else torch.log(prev[:b].exp() @ trans)
        a = pred + e
        c = torch.logsumexp(a, 1)
        prev = a - c[:, None]
        cs.append(c)
        alphas.append(prev)
        start += b
    log_c = torch.cat(cs)
    if not torch.isfinite(log_c).all():
        raise EvidenceError("an event has probability zero under the model at every hidden state "
                            "(check structural zeros in the tables)")
    return log_c, torch.cat(alphas)


def predictive(log_init, log_trans, log_alpha, batch_sizes: list[int]) -> torch.Tensor:
    """``p(h_t | x_<t)`` per event ``(E, K)``: the chain's distribution before seeing ``x_t``."""
    K = log_alpha.shape[1]
    if K == 1:
        return torch.ones_like(log_alpha)
    trans, out, start = log_trans.exp(), [], 0
    offsets = [0]
    for b in batch_sizes:
        offsets.append(offsets[-1] + b)
    for t, b in enumerate(batch_sizes):
        if t == 0:
            out.append(log_init.exp().expand(b, -1))
        else:
            out.append(log_alpha[offsets[t - 1]:offsets[t - 1] + b].exp() @ trans)
    return torch.cat(out)


@torch.no_grad()
def smooth(log_trans, log_e, log_alpha, batch_sizes: list[int]) -> torch.Tensor:
    """``p(h_t | x_1..x_T)`` per event ``(E, K)`` by a scaled backward pass."""
    K = log_alpha.shape[1]
    if K == 1:
        return torch.ones_like(log_alpha)
    offsets = [0]
    for b in batch_sizes:
        offsets.append(offsets[-1] + b)
    beta = torch.zeros_like(log_alpha)
    for t in range(len(batch_sizes) - 2, -1, -1):
        b_next = batch_sizes[t + 1]
        nxt = slice(offsets[t + 1], offsets[t + 1] + b_next)
        m = log_e[nxt] + beta[nxt]                                   # (b_next, K)
        step = torch.logsumexp(log_trans[None] + m[:, None, :], 2)     # (b_next, K)
        beta[offsets[t]:offsets[t] + b_next] = step - torch.logsumexp(step, 1, keepdim=True)
    post = log_alpha + beta
    return (post - torch.logsumexp(post, 1, keepdim=True)).exp()


@torch.no_grad()
def viterbi(log_init, log_trans, log_e, batch_sizes: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The most probable chain path per sequence: states per event ``(E,)`` and each
    sequence's path log-probability ``(N,)`` (longest sequence first)."""
    E, K = log_e.shape
    offsets = [0]
    for b in batch_sizes:
        offsets.append(offsets[-1] + b)
    deltas, backs = [], []
    delta = None
    for t, b in enumerate(batch_sizes):
        e = log_e[offsets[t]:offsets[t] + b]
        if delta is None:
            delta = log_init[None] + e
            backs.append(torch.zeros(b, K, dtype=torch.long))
        else:
            scores = delta[:b, :, None] + log_trans[None]               # (b, K_from, K_to)
            best, arg = scores.max(1)
            delta = best + e
            backs.append(arg)
        deltas.append(delta)
    states = torch.zeros(E, dtype=torch.long)
    score = torch.zeros(batch_sizes[0], dtype=log_e.dtype)
    current = None
    for t in range(len(batch_sizes) - 1, -1, -1):
        b = batch_sizes[t]
        ending = deltas[t].argmax(1)
        s = ending.clone()
        if current is not None:
            b_next = batch_sizes[t + 1]
            s[:b_next] = backs[t + 1][torch.arange(b_next), current[:b_next]]
        b_next = batch_sizes[t + 1] if t + 1 < len(batch_sizes) else 0
        score[b_next:b] = deltas[t][b_next:b].max(1).values
        states[offsets[t]:offsets[t] + b] = s
        current = s
    return states, score
