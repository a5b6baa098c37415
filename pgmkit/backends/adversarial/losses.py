"""The players' losses, the gradient penalty and the InfoGAN and cycle terms.

Critic scores are unbounded reals (logits for the non-saturating loss). With ``d_real``
and ``d_fake`` the scores of a data batch and a generated batch:

============== =============================================== ==========================
loss           critic minimizes                                generator minimizes
============== =============================================== ==========================
nonsaturating  softplus(-d_real) + softplus(d_fake)            softplus(-d_fake)
               (= -log D(real) - log(1 - D(fake)), D = sigmoid) (= -log D(fake))
wasserstein_gp d_fake - d_real + gp_weight * penalty           -d_fake
hinge          relu(1 - d_real) + relu(1 + d_fake)             -d_fake
============== =============================================== ==========================

each averaged over the batch. An encoder (BiGAN) plays on the data side, so it minimizes
the generator's loss with the roles swapped: softplus(d_real) or d_real.

The gradient penalty (WGAN-GP) is ``mean_i (||grad_u D(u_i)||_2 - 1)^2`` at
``u_i = e_i * real_i + (1 - e_i) * fake_i`` with one ``e_i ~ U(0, 1)`` per row, where the
gradient is taken with respect to the whole critic input (every variable the critic sees,
concatenated in the order it sees them).
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def critic_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    if loss == "nonsaturating":
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    if loss == "hinge":
        return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
    return d_fake.mean() - d_real.mean()


def generator_loss(loss: str, d_fake: torch.Tensor) -> torch.Tensor:
    if loss == "nonsaturating":
        return F.softplus(-d_fake).mean()
    return -d_fake.mean()


def encoder_loss(loss: str, d_real: torch.Tensor) -> torch.Tensor:
    """The data side's loss for an encoder whose codes the critic sees with the data."""
    if loss == "nonsaturating":
        return F.softplus(d_real).mean()
    return d_real.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """``mean (||grad D(u)|| - 1)^2`` on random points ``u`` between real and fake rows."""
    eps = torch.rand(real.shape[0], 1, dtype=real.dtype)
    mixed = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def info_loss(predicted: dict[str, torch.Tensor], codes: dict[str, torch.Tensor],
              discrete: set[str]) -> torch.Tensor:
    """Minus the variational bound on I(codes; x), up to constants: cross-entropy for a
    categorical code (``codes`` one-hot), ``0.5 * squared error`` summed over a continuous
    code's dimensions (a unit-variance Gaussian q)."""
    total = torch.zeros((), dtype=next(iter(codes.values())).dtype)
    for name, out in predicted.items():
        target = codes[name]
        if name in discrete:
            total = total + F.cross_entropy(out, target.argmax(dim=1))
        else:
            total = total + 0.5 * ((out - target) ** 2).sum(dim=1).mean()
    return total


def cycle_loss(rebuilt: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between an input and its round trip through both maps."""
    return (rebuilt - original).abs().mean()
