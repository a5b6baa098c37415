"""pgmkit's YAML VAE vs a hand-written Pyro VAE vs the same VAE in plain torch.

Binarized 8x8 digits (first 1500 images train, 297 test), z of size 8, one hidden layer
of 128 softplus units on each side, Adam lr 1e-3, batch 100, 50 epochs. Each contender
runs 3 times (seeds 0, 1, 2) in this one process; we print the median training time
and the median test ELBO per image (10-particle estimate), and the ratios.
Target: pgmkit within 0.5 nats of the hand-written Pyro test ELBO, in <= 1.15x its time.

    .venv/bin/python benchmarks/vae_digits.py [--epochs 50] [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import pgmkit
from pgmkit.datasets import digits

Z, H, LR, BATCH = 8, 128, 1e-3, 100


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, H), nn.Softplus())
        self.loc, self.scale = nn.Linear(H, Z), nn.Linear(H, Z)

    def forward(self, x):
        h = self.body(x)
        return self.loc(h), nn.functional.softplus(self.scale(h)) + 1e-5


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(Z, H), nn.Softplus(), nn.Linear(H, 64))

    def forward(self, z):
        return self.net(z)


def _batches(n, generator):
    perm = torch.randperm(n, generator=generator)
    return [perm[i:i + BATCH] for i in range(0, n, BATCH)]


def pyro_vae(x, xt, epochs, seed):
    """The textbook Pyro VAE: pyro.module + plate + Trace_ELBO, trained with pyro's SVI."""
    import pyro
    import pyro.distributions as dist
    from pyro.infer import SVI, Trace_ELBO

    pyro.clear_param_store()
    torch.manual_seed(seed)
    enc, dec = Encoder(), Decoder()

    def model(x):
        pyro.module("decoder", dec)
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", dist.Normal(torch.zeros(x.shape[0], Z), 1.0).to_event(1))
            pyro.sample("x", dist.Bernoulli(logits=dec(z), validate_args=False).to_event(1), obs=x)

    def guide(x):
        pyro.module("encoder", enc)
        with pyro.plate("data", x.shape[0]):
            loc, scale = enc(x)
            pyro.sample("z", dist.Normal(loc, scale).to_event(1))

    svi = SVI(model, guide, pyro.optim.Adam({"lr": LR}), Trace_ELBO())
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        for idx in _batches(len(x), g):
            svi.step(x[idx])
    seconds = time.perf_counter() - start
    test = Trace_ELBO(num_particles=10, vectorize_particles=True, max_plate_nesting=1)
    with torch.no_grad():
        elbo = -test.loss(model, guide, xt) / len(xt)
    pyro.clear_param_store()
    return seconds, elbo


def torch_vae(x, xt, epochs, seed):
    """The same VAE in plain torch: reparameterised sample, analytic KL."""
    torch.manual_seed(seed)
    enc, dec = Encoder(), Decoder()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=LR)

    def elbo(xb, particles=1):
        loc, scale = enc(xb)
        z = loc + scale * torch.randn((particles,) + loc.shape)
        rec = -nn.functional.binary_cross_entropy_with_logits(
            dec(z), xb.expand((particles,) + xb.shape), reduction="none").sum(-1).mean(0)
        kl = 0.5 * (loc ** 2 + scale ** 2 - 1 - 2 * scale.log()).sum(-1)
        return (rec - kl).sum()

    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        for idx in _batches(len(x), g):
            opt.zero_grad()
            (-elbo(x[idx])).backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        return seconds, float(elbo(xt, 10)) / len(xt)


def pgmkit_vae(x, xt, epochs, seed):
    """models/vae.yaml through pgmkit: the timed span is the whole fit() call."""
    model = pgmkit.example("vae")
    start = time.perf_counter()
    fitted = model.fit(x, epochs=epochs, batch_size=BATCH, lr=LR, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    return seconds, fitted.elbo(xt, num_samples=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    xn, _ = digits.load("train")
    xtn, _ = digits.load("test")
    x, xt = torch.as_tensor(xn), torch.as_tensor(xtn)
    results = {}
    for name, fn, data in (("pyro (hand-written)", pyro_vae, (x, xt)),
                           ("plain torch", torch_vae, (x, xt)),
                           ("pgmkit (models/vae.yaml)", pgmkit_vae, (xn, xtn))):
        runs = [fn(*data, args.epochs, seed) for seed in range(args.runs)]
        results[name] = (statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs))
        print(f"{name:<26} train {results[name][0]:7.2f} s   test ELBO {results[name][1]:8.2f} "
              f"nats/image   runs: " + ", ".join(f"{s:.2f}s/{e:.2f}" for s, e in runs), flush=True)
    p_t, p_e = results["pyro (hand-written)"]
    k_t, k_e = results["pgmkit (models/vae.yaml)"]
    t_t, t_e = results["plain torch"]
    print(f"pgmkit / hand-written pyro time: {k_t / p_t:.3f}x (target <= 1.15x)")
    print(f"pgmkit - hand-written pyro test ELBO: {k_e - p_e:+.2f} nats (target >= -0.5)")
    print(f"plain torch / hand-written pyro time: {t_t / p_t:.3f}x; test ELBO {t_e:.2f}")
    ok = k_t / p_t <= 1.15 and k_e - p_e >= -0.5
    print("target met" if ok else "target NOT met")


if __name__ == "__main__":
    main()
