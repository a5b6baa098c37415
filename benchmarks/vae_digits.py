"""pgmkit's YAML VAE vs a hand-written Pyro VAE vs the same VAE in plain torch.

Binarized 8x8 digits (first 1500 images train, 297 test), z of size 8, one hidden layer
of 128 softplus units on each side, Adam lr 1e-3, batch 100, 50 epochs. Each contender
runs 3 times (seeds 0, 1, 2) in this one process, round-robin (seed 0 for all three,
then seed 1, ...) so that a busy machine slows them alike. We print the median training
time (wall clock and the process's CPU time; the ratios use CPU time, which other load
on a shared machine does not inflate), the median test ELBO per image (10-particle
estimate), and the ratios. ``--threads`` (default 1) fixes torch's intra-op threads.
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


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start) -> tuple[float, float]:
    return time.perf_counter() - start[0], time.process_time() - start[1]


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
    start = _clock()
    for _ in range(epochs):
        for idx in _batches(len(x), g):
            svi.step(x[idx])
    seconds = _since(start)
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
    start = _clock()
    for _ in range(epochs):
        for idx in _batches(len(x), g):
            opt.zero_grad()
            (-elbo(x[idx])).backward()
            opt.step()
    seconds = _since(start)
    with torch.no_grad():
        return seconds, float(elbo(xt, 10)) / len(xt)


def pgmkit_vae(x, xt, epochs, seed):
    """models/vae.yaml through pgmkit: the timed span is the whole fit() call."""
    model = pgmkit.example("vae")
    start = _clock()
    fitted = model.fit(x, epochs=epochs, batch_size=BATCH, lr=LR, seed=seed, progress=False)
    seconds = _since(start)
    return seconds, fitted.elbo(xt, num_samples=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    xn, _ = digits.load("train")
    xtn, _ = digits.load("test")
    x, xt = torch.as_tensor(xn), torch.as_tensor(xtn)
    contenders = (("pyro (hand-written)", pyro_vae, (x, xt)),
                  ("plain torch", torch_vae, (x, xt)),
                  ("pgmkit (models/vae.yaml)", pgmkit_vae, (xn, xtn)))
    runs: dict[str, list] = {name: [] for name, _, _ in contenders}
    for seed in range(args.runs):
        for name, fn, data in contenders:
            runs[name].append(fn(*data, args.epochs, seed))
    print(f"VAE on binarized digits: {args.epochs} epochs, batch {BATCH}, Adam lr {LR}, "
          f"{args.threads} torch thread(s), median of {args.runs} runs")
    med = {}
    for name, rs in runs.items():
        med[name] = tuple(statistics.median(v) for v in
                          ([r[0][0] for r in rs], [r[0][1] for r in rs], [r[1] for r in rs]))
        print(f"{name:<26} wall {med[name][0]:7.2f} s  cpu {med[name][1]:7.2f} s  test ELBO "
              f"{med[name][2]:8.2f} nats/image   runs (cpu s/ELBO): "
              + ", ".join(f"{r[0][1]:.2f}/{r[1]:.2f}" for r in rs))
    pyro_m, torch_m = med["pyro (hand-written)"], med["plain torch"]
    ours = med["pgmkit (models/vae.yaml)"]
    ratio, gap = ours[1] / pyro_m[1], ours[2] - pyro_m[2]
    print(f"pgmkit / hand-written pyro training time: {ratio:.3f}x cpu, "
          f"{ours[0] / pyro_m[0]:.3f}x wall (target <= 1.15x)")
    print(f"pgmkit - hand-written pyro test ELBO: {gap:+.2f} nats/image (target >= -0.5)")
    print(f"plain torch / hand-written pyro: {torch_m[1] / pyro_m[1]:.3f}x cpu; plain torch test "
          f"ELBO {torch_m[2]:.2f}; pgmkit / plain torch {ours[1] / torch_m[1]:.3f}x cpu")
    print("target met" if ratio <= 1.15 and gap >= -0.5 else "target NOT met")


if __name__ == "__main__":
    main()
