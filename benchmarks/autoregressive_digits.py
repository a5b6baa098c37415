"""Autoregressive models of the binarized digits: pgmkit's zoo against hand-written torch.

For each of ``fvsbn``, ``nade``, ``made`` and ``pixelcnn`` (``models/*.yaml``) the same
architecture is written here in plain PyTorch (default initialisation, Adam, batch 100,
mean NLL per image as the loss) and both are trained in this one process on the 1,500
training digits with the same budget (fvsbn 500 epochs at lr 1e-3, nade 150 at 3e-3,
made 250 at 1e-3, pixelcnn 100 at 1e-3), one torch thread. We print the exact test
negative log-likelihood (nats per image, 297 test digits), the training CPU time (the
process's CPU clock, which other load on a shared machine does not inflate) and the
ratios, next to the VAE's importance-weighted bound (``models/vae.yaml``, 50 epochs,
K = 1000) on the same split. Then each pgmkit model completes the lower half of every
test digit (``complete``) and we count wrong pixels against drawing each pixel from its
training marginal. Targets: within 0.5 nats of the hand-written version and <= 1.15x
its CPU time (fvsbn, nade, made); completions beat the marginals.

    .venv/bin/python benchmarks/autoregressive_digits.py [--epochs-scale 1.0] [--png DIR]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import pgmkit
from pgmkit.datasets import digits

BUDGET = {"fvsbn": (500, 1e-3), "nade": (150, 3e-3), "made": (250, 1e-3), "pixelcnn": (100, 1e-3)}
BATCH, D = 100, 64


class HandFVSBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(D, D)
        self.register_buffer("mask", torch.tril(torch.ones(D, D), -1))

    def forward(self, x):
        return F.linear(x, self.lin.weight * self.mask, self.lin.bias)


class HandNADE(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.W, self.V = nn.Linear(D, hidden), nn.Linear(hidden, D)

    def forward(self, x):
        contrib = x[:, :, None] * self.W.weight.t()[None]          # (n, D, H)
        h = torch.sigmoid(contrib.cumsum(1) - contrib + self.W.bias)
        return (h * self.V.weight[None]).sum(-1) + self.V.bias


class HandMADE(nn.Module):
    def __init__(self, hidden=256):
        super().__init__()
        m = torch.arange(hidden) % (D - 1)
        d = torch.arange(D)
        self.l1, self.l2 = nn.Linear(D, hidden), nn.Linear(hidden, D)
        self.register_buffer("m1", (d[None, :] <= m[:, None]).float())
        self.register_buffer("m2", (m[None, :] < d[:, None]).float())

    def forward(self, x):
        h = F.relu(F.linear(x, self.l1.weight * self.m1, self.l1.bias))
        return F.linear(h, self.l2.weight * self.m2, self.l2.bias)


class MaskedConv(nn.Conv2d):
    def __init__(self, c_in, c_out, k, first):
        super().__init__(c_in, c_out, k, padding=k // 2)
        mask = torch.ones_like(self.weight)
        mask[:, :, k // 2, k // 2 + (0 if first else 1):] = 0
        mask[:, :, k // 2 + 1:] = 0
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class HandPixelCNN(nn.Module):
    def __init__(self, channels=32, k=5):
        super().__init__()
        self.a, self.b = MaskedConv(1, channels, k, True), MaskedConv(channels, channels, k, False)
        self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, x):
        h = F.relu(self.b(F.relu(self.a(x.view(-1, 1, 8, 8)))))
        return self.out(h).view(-1, D)


HAND = {"fvsbn": HandFVSBN, "nade": HandNADE, "made": HandMADE, "pixelcnn": HandPixelCNN}


def nll(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


def hand_written(name, x, xt, seed):
    epochs, lr = BUDGET[name]
    torch.manual_seed(seed)
    net = HAND[name]()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    start = time.process_time()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), BATCH):
            xb = x[perm[i:i + BATCH]]
            opt.zero_grad()
            nll(net(xb), xb).mean().backward()
            opt.step()
    cpu = time.process_time() - start
    with torch.no_grad():
        return cpu, float(nll(net(xt), xt).mean())


def ours(name, x, xt, seed):
    epochs, lr = BUDGET[name]
    shape = (-1, 8, 8) if name == "pixelcnn" else (-1, D)
    model = pgmkit.example(name)
    start = time.process_time()
    model.fit(x.reshape(shape), epochs=epochs, batch_size=BATCH, lr=lr, seed=seed, progress=False)
    cpu = time.process_time() - start
    return cpu, -model.log_likelihood(xt.reshape(shape)) / len(xt), model


def completion_errors(model, name, xt, marginal, seed=0):
    """Wrong pixels per lower half (32 pixels): pgmkit's completion vs the marginals."""
    masked = xt.copy()
    masked[:, 32:] = np.nan
    shape = (-1, 8, 8) if name == "pixelcnn" else (-1, D)
    filled = model.complete(masked.reshape(shape), seed=seed).reshape(-1, D)
    rng = np.random.default_rng(seed)
    guess = (rng.random(xt[:, 32:].shape) < marginal[32:]).astype(float)
    return (filled[:, 32:] != xt[:, 32:]).sum(1).mean(), (guess != xt[:, 32:]).sum(1).mean(), filled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs-scale", type=float, default=1.0,
                        help="multiply every budget (e.g. 0.1 for a quick look)")
    parser.add_argument("--models", default="fvsbn,nade,made,pixelcnn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vae-epochs", type=int, default=50)
    parser.add_argument("--png", help="write sample and completion grids to this folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for k, (e, lr) in BUDGET.items():
        BUDGET[k] = (max(1, round(e * args.epochs_scale)), lr)
    xn, _ = digits.load("train")
    xtn, _ = digits.load("test")
    x, xt = torch.as_tensor(xn), torch.as_tensor(xtn)
    marginal = xn.mean(0)
    print(f"binarized digits: {len(xn)} train / {len(xtn)} test, batch {BATCH}, one torch thread")
    print(f"{'model':<9} {'epochs':>6} {'lr':>7}  {'hand NLL':>9} {'pgmkit NLL':>10} {'diff':>6}  "
          f"{'hand cpu s':>10} {'pgmkit cpu s':>12} {'ratio':>6}  {'completion wrong/32 (marginals)':>31}")
    results = {}
    for name in args.models.split(","):
        hand_cpu, hand_nll = hand_written(name, x, xt, args.seed)
        our_cpu, our_nll, model = ours(name, xn, xtn, args.seed)
        ours_wrong, marg_wrong, filled = completion_errors(model, name, xtn, marginal, args.seed)
        results[name] = (hand_nll, our_nll, hand_cpu, our_cpu)
        epochs, lr = BUDGET[name]
        print(f"{name:<9} {epochs:>6} {lr:>7.0e}  {hand_nll:>9.2f} {our_nll:>10.2f} "
              f"{our_nll - hand_nll:>+6.2f}  {hand_cpu:>10.1f} {our_cpu:>12.1f} "
              f"{our_cpu / hand_cpu:>6.2f}  {ours_wrong:>15.2f} ({marg_wrong:.2f})", flush=True)
        if args.png:
            from pathlib import Path

            from pgmkit.plots import sample_grid

            folder = Path(args.png)
            folder.mkdir(parents=True, exist_ok=True)
            sample_grid(model.sample(64, seed=0)["x"].reshape(-1, D), folder / f"{name}_samples.png",
                        shape=(8, 8))
            sample_grid(filled[:32], folder / f"{name}_completions.png", shape=(8, 8))
    vae = pgmkit.example("vae")
    start = time.process_time()
    vae = vae.fit(xn, epochs=args.vae_epochs, batch_size=BATCH, lr=1e-3, seed=args.seed, progress=False)
    vae_cpu = time.process_time() - start
    bound = -vae.log_likelihood(xtn, num_samples=1000) / len(xtn)     # the total, per image
    print(f"{'vae':<9} {args.vae_epochs:>6} {1e-3:>7.0e}  {'':>9} {bound:>10.2f} {'':>6}  {'':>10} "
          f"{vae_cpu:>12.1f}   (importance-weighted bound, K=1000: an upper bound on its NLL)")
    print("\ntargets (fvsbn, nade, made): NLL within 0.5 nats of hand-written, cpu <= 1.15x")
    for name in ("fvsbn", "nade", "made"):
        if name in results:
            h, o, hc, oc = results[name]
            ok = abs(o - h) <= 0.5 and oc / hc <= 1.15
            print(f"  {name}: diff {o - h:+.2f} nats, {oc / hc:.2f}x cpu -> {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
