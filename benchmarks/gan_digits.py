"""pgmkit's YAML ``gan`` and ``cgan`` vs the same GANs hand-written in plain PyTorch.

8x8 digits scaled to [0, 1] (the first 1500 images train). Both sides use the zoo's
architecture: generator z(16) [+ one-hot label] -> 128 -> 128 -> 64 sigmoid, critic
64 [+ one-hot label] -> 128 -> 128 -> 1, LeakyReLU(0.2); the non-saturating loss; Adam
(lr 1e-3, betas 0.5, 0.999) for both players; batch 64 keeping the last partial batch;
one critic step then one generator step per minibatch; 200 epochs. Each contender runs
once per seed (0..9 by default), alternating (pgmkit, torch, pgmkit, torch) so that a busy
machine slows them alike. Both seed torch once and draw the noise on from the stream that
initialised the networks, so for one seed they train bit-identical generators (printed:
"same weights"); their Frechet distances then differ only by the 1000 sample draws, and
the spread between seeds (single runs vary 2-3x at this size) is why medians are over ten
seeds. Printed: median training time (process CPU time, which other load on a
shared machine does not inflate; wall clock too) of the whole ``fit`` call, the median
Frechet distance of 1000 samples in the fixed digit classifier's feature space
(:mod:`pgmkit.evaluate`), classes covered, the cGAN's class accuracy, and the ratios.
Targets: time <= 1.15x torch; gan's FD within 1.5x of torch's; >= 9 of 10 digits covered;
cgan >= 90% of samples classified as the requested digit.

The ``zoo`` part fits the zoo's ``infogan`` and ``cyclegan`` with their defaults (200
epochs) once per seed of ``--zoo-seeds`` (0, 1) and prints, on the 297 held-out digits,
the InfoGAN code's agreement with the classes after the best one-to-one matching (no
labels in training; target >= 0.60) and the share of CycleGAN translations (both ways)
the fixed classifier gives their source digit (target >= 0.80), with medians.

    .venv/bin/python benchmarks/gan_digits.py [--parts gan cgan zoo] [--epochs 200]
        [--seeds 0 1 ... 9] [--zoo-seeds 0 1] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import pgmkit
from pgmkit import evaluate
from pgmkit.datasets import digits

Z, H, LR, BATCH, BETAS = 16, 128, 1e-3, 64, (0.5, 0.999)


def _mlp(inputs: int, out: int, last=None) -> nn.Sequential:
    layers = [nn.Linear(inputs, H), nn.LeakyReLU(0.2), nn.Linear(H, H), nn.LeakyReLU(0.2),
              nn.Linear(H, out)]
    return nn.Sequential(*layers, *([last] if last is not None else []))


def torch_gan(x, labels, epochs, seed):
    """The textbook loop; with ``labels`` the one-hot label joins z and x (a cGAN)."""
    torch.manual_seed(seed)
    k = 10 if labels is not None else 0
    gen, critic = _mlp(Z + k, 64, nn.Sigmoid()), _mlp(64 + k, 1)
    opt_g = torch.optim.Adam(gen.parameters(), lr=LR, betas=BETAS)
    opt_c = torch.optim.Adam(critic.parameters(), lr=LR, betas=BETAS)
    shuffle = torch.Generator().manual_seed(seed)
    xs = torch.as_tensor(x)
    ys = F.one_hot(torch.as_tensor(labels), 10).float() if k else None
    for _ in range(epochs):
        perm = torch.randperm(len(xs), generator=shuffle)
        for start in range(0, len(xs), BATCH):
            idx = perm[start:start + BATCH]
            real = xs[idx]
            z = torch.randn(len(real), Z)
            if k:
                y = ys[idx]
                fake = gen(torch.cat([z, y], 1))
                real_in, fake_in = torch.cat([y, real], 1), torch.cat([y, fake], 1)
            else:
                fake = gen(z)
                real_in, fake_in = real, fake
            opt_c.zero_grad()
            loss_c = F.softplus(-critic(real_in)).mean() + F.softplus(critic(fake_in.detach())).mean()
            loss_c.backward()
            opt_c.step()
            opt_g.zero_grad()
            F.softplus(-critic(fake_in)).mean().backward()
            opt_g.step()

    def sample(n, label=None):
        with torch.no_grad():
            z = torch.randn(n, Z)
            if k:
                z = torch.cat([z, F.one_hot(torch.full((n,), int(label)), 10).float()], 1)
            return gen(z).numpy()
    sample.weights = [p.detach().clone() for p in gen.parameters()]
    return sample


def pgmkit_gan(x, labels, epochs, seed):
    model = pgmkit.example("cgan" if labels is not None else "gan")
    data = {"x": x, "y": labels.astype(str)} if labels is not None else x
    model.fit(data, epochs=epochs, batch_size=BATCH, lr=LR, seed=seed, progress=False)

    def sample(n, label=None):
        given = {"y": str(label)} if label is not None else None
        return model.sample(n, given=given, seed=seed + 100)["x"]
    sample.weights = [p.detach().clone() for p in model.game.generators["x"].parameters()]
    return sample


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _scores(sample, x, conditional: bool) -> dict:
    if conditional:
        imgs = np.concatenate([sample(100, d) for d in range(10)])
        return {"class_accuracy": evaluate.class_accuracy(imgs, np.repeat(np.arange(10), 100))}
    imgs = sample(1000)
    return {"frechet": evaluate.frechet_distance(x, imgs), "covered": evaluate.classes_covered(imgs)}


def zoo(seeds, epochs: int) -> None:
    """Held-out scores of the zoo's infogan and cyclegan, fitted with their defaults."""
    x, _ = digits.load("train", binarize=False)
    test_x, test_y = digits.load("test", binarize=False)
    a, b = digits.domains("train")
    rows: dict = {"infogan matched": [], "cyclegan kept": []}
    for seed in seeds:
        info, _, cpu = _timed(pgmkit.example("infogan").fit, x, epochs, BATCH, LR, seed, False)
        rows["infogan matched"].append(evaluate.matched_accuracy(info.encode(test_x, "c"), test_y))
        print(f"  infogan seed {seed}: matched {rows['infogan matched'][-1]:.3f} held out, "
              f"cpu {cpu:.1f} s", flush=True)
        cyc, _, cpu = _timed(pgmkit.example("cyclegan").fit, {"a": a, "b": b}, epochs, BATCH,
                             LR, seed, False)
        kept = evaluate.score(cyc)
        rows["cyclegan kept"].append(kept["class_kept"])
        print(f"  cyclegan seed {seed}: class kept {kept['class_kept']:.3f} (a -> b "
              f"{kept['class_kept_a_to_b']:.3f}, b -> a {kept['class_kept_b_to_a']:.3f}), "
              f"cpu {cpu:.1f} s", flush=True)
    print(f"zoo: median over seeds {list(seeds)}, {epochs} epochs, held-out digits")
    for name, values in rows.items():
        print(f"  {name} {statistics.median(values):.3f} (" + ", ".join(f"{v:.3f}" for v in values)
              + ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=["gan", "cgan", "zoo"],
                        default=["gan", "cgan", "zoo"])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--zoo-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = digits.load("train", binarize=False)
    evaluate.frechet_distance(x, x)  # train the fixed classifier before any clock starts
    for conditional in [c for c, part in ((False, "gan"), (True, "cgan")) if part in args.parts]:
        labels = y if conditional else None
        rows = {"pgmkit": [], "torch": []}
        same = []
        for seed in args.seeds:
            weights = {}
            for name, fn in (("pgmkit", pgmkit_gan), ("torch", torch_gan)):
                sample, wall, cpu = _timed(fn, x, labels, args.epochs, seed)
                weights[name] = sample.weights
                rows[name].append({"wall": wall, "cpu": cpu, **_scores(sample, x, conditional)})
                print(f"  {'cgan' if conditional else 'gan'} {name:6s} seed {seed}: "
                      + ", ".join(f"{k} {v:.3f}" for k, v in rows[name][-1].items()), flush=True)
            same.append(all(torch.equal(a, b) for a, b in zip(weights["pgmkit"], weights["torch"])))
        med = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in rows.items()}
        title = "cgan" if conditional else "gan"
        print(f"{title}: median over seeds {args.seeds}, {args.epochs} epochs; same weights "
              f"in {sum(same)} of {len(same)} seeds")
        for name, m in med.items():
            print(f"  {name:6s} " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()))
        print(f"  ratio pgmkit/torch: cpu time {med['pgmkit']['cpu'] / med['torch']['cpu']:.3f}, "
              f"wall {med['pgmkit']['wall'] / med['torch']['wall']:.3f}"
              + (f", frechet {med['pgmkit']['frechet'] / med['torch']['frechet']:.3f}"
                 if not conditional else ""))
    if "zoo" in args.parts:
        zoo(args.zoo_seeds, args.epochs)


if __name__ == "__main__":
    main()
