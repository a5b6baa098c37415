"""The players' losses and the gradient penalty against hand computations."""
from __future__ import annotations

import math

import pytest
import torch

from pgmkit.backends.adversarial import losses


def test_losses_at_chance_and_in_closed_form():
    zero = torch.zeros(5)
    assert float(losses.critic_loss("nonsaturating", zero, zero)) == pytest.approx(2 * math.log(2))
    assert float(losses.generator_loss("nonsaturating", zero)) == pytest.approx(math.log(2))
    d_real, d_fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 3.0])
    # -log sigmoid(d_real) - log(1 - sigmoid(d_fake)), averaged
    expected = (-torch.log(torch.sigmoid(d_real)).mean()
                - torch.log(1 - torch.sigmoid(d_fake)).mean())
    assert float(losses.critic_loss("nonsaturating", d_real, d_fake)) == pytest.approx(float(expected))
    assert float(losses.critic_loss("wasserstein_gp", d_real, d_fake)) == pytest.approx(1.75 - 0.5)
    # hinge: mean(relu(1 - [2, -1])) + mean(relu(1 + [0.5, 3])) = (0 + 2)/2 + (1.5 + 4)/2
    assert float(losses.critic_loss("hinge", d_real, d_fake)) == pytest.approx(1.0 + 2.75)
    assert float(losses.generator_loss("hinge", d_fake)) == pytest.approx(-1.75)
    assert float(losses.encoder_loss("nonsaturating", d_real)) == pytest.approx(
        float(-torch.log(1 - torch.sigmoid(d_real)).mean()))


def test_gradient_penalty_of_a_linear_critic_is_norm_minus_one_squared():
    w = torch.tensor([3.0, 4.0])  # ||w|| = 5: the gradient is w everywhere

    def critic(u):
        return u @ w + 1.0

    real, fake = torch.randn(7, 2), torch.randn(7, 2)
    assert float(losses.gradient_penalty(critic, real, fake)) == pytest.approx(16.0)


def test_gradient_penalty_at_the_documented_points():
    """D(u) = sum(u^2) has gradient 2u: the penalty is mean (2 ||u_i|| - 1)^2 at
    u_i = e_i real_i + (1 - e_i) fake_i, with e_i the next torch.rand draw per row."""
    def critic(u):
        return (u ** 2).sum(dim=1)

    real = torch.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0]], dtype=torch.float64)
    fake = torch.tensor([[0.0, 1.0, 0.0], [-2.0, 0.0, 1.0]], dtype=torch.float64)
    torch.manual_seed(11)
    eps = torch.rand(2, 1, dtype=torch.float64)
    by_hand = 0.0
    for i in range(2):
        e = float(eps[i, 0])
        u = [e * r + (1 - e) * f for r, f in zip(real[i].tolist(), fake[i].tolist())]
        by_hand += (2 * math.sqrt(sum(v * v for v in u)) - 1) ** 2 / 2
    torch.manual_seed(11)
    got = losses.gradient_penalty(critic, real, fake)
    assert float(got.detach()) == pytest.approx(by_hand, rel=1e-12)


def test_gradient_penalty_reaches_the_critics_weights():
    lin = torch.nn.Linear(3, 1)
    pen = losses.gradient_penalty(lambda u: lin(u).squeeze(-1), torch.randn(4, 3), torch.randn(4, 3))
    pen.backward()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    w = lin.weight.detach()
    assert torch.allclose(lin.weight.grad, 2 * (w.norm() - 1) * w / w.norm(), atol=1e-6)


def test_info_and_cycle_terms():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    codes = {"c": torch.tensor([[1.0, 0.0], [1.0, 0.0]]), "s": torch.tensor([[1.0], [3.0]])}
    got = losses.info_loss({"c": logits, "s": torch.tensor([[0.0], [1.0]])}, codes, {"c"})
    ce = (-torch.log_softmax(logits, 1)[:, 0]).mean()
    assert float(got) == pytest.approx(float(ce) + 0.5 * (1 + 4) / 2)
    assert float(losses.cycle_loss(torch.ones(2, 2), torch.zeros(2, 2))) == 1.0
