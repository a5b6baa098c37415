"""EM speed: pgmkit vs pomegranate DenseHMM vs hmmlearn CategoricalHMM, in one process.

200 sequences x 500 steps of 6 symbols, 10 EM iterations from the same start, at K=8
and K=32 hidden states; then a factorial HMM (two 4-state chains, 16 product states)
whose EM keeps the two chains' transitions separate, against a free 16-state DenseHMM
doing the same amount of forward-backward work. Prints the median of ``--repeats``
runs and the ratios. pgmkit's timing includes turning the long-format log into packed
tensors. The contenders take turns, one run each per round, so a busy spell on a shared
machine slows all of them alike. Run: ``.venv/bin/python benchmarks/hmm_em.py
[--repeats 5] [--quick]``.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

import pgmkit
from pgmkit.spec.build import build_spec

N_SEQ, LENGTH, SYMBOLS, ITERS = 200, 500, 6, 10


def random_hmm(k: int, seed: int):
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(k))
    a = rng.dirichlet(np.ones(k) * 2, size=k) + np.eye(k) * 2
    a /= a.sum(1, keepdims=True)
    b = rng.dirichlet(np.ones(SYMBOLS) * 0.7, size=k)
    return pi, a, b


def hmm_spec(pi, a, b):
    k = len(pi)
    states = [f"s{i}" for i in range(k)]
    return build_spec({"name": f"hmm{k}", "temporal": True, "variables": {
        "h": {"states": states, "latent": True, "parents": ["h[t-1]"], "initial": pi.tolist(),
              "cpd": a.tolist()},
        "x": {"states": [str(i) for i in range(SYMBOLS)], "parents": ["h"], "cpd": b.tolist()}}})


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def alternating(runs: list[tuple[str, object]], repeats: int) -> list[tuple[str, float]]:
    """Median seconds of each run, the runs taking turns (one of each per round), so a
    busy spell on a shared machine slows every contender alike."""
    times = {label: [] for label, _ in runs}
    for _ in range(repeats):
        for label, fn in runs:
            t = time.perf_counter()
            try:
                fn()
            except ImportError:
                times[label].append(float("nan"))
                continue
            times[label].append(time.perf_counter() - t)
    return [(label, statistics.median(v)) for label, v in times.items()]


def run_pgmkit(spec, logs):
    model = pgmkit.DynamicBayesNet(spec)
    return model.fit(logs, max_iter=ITERS, tol=-np.inf, pseudo_count=0.0, progress=False)


def run_pomegranate(pi, a, b, x, threads: int | None):
    import torch
    from pomegranate.distributions import Categorical
    from pomegranate.hmm import DenseHMM

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        dists = [Categorical(torch.tensor(b[i:i + 1], dtype=torch.float32)) for i in range(len(pi))]
        hmm = DenseHMM(dists, edges=a.astype(np.float32), starts=pi.astype(np.float32),
                       max_iter=ITERS, tol=0.0)
        hmm.tol = -np.inf        # run exactly ITERS iterations, like the others
        hmm.fit(torch.tensor(x[:, :, None]))
    finally:
        torch.set_num_threads(before)
    return hmm


def run_hmmlearn(pi, a, b, x):
    from hmmlearn.hmm import CategoricalHMM

    hmm = CategoricalHMM(n_components=len(pi), n_iter=ITERS, tol=-np.inf, init_params="",
                         params="ste", implementation="scaling")
    hmm.startprob_, hmm.transmat_, hmm.emissionprob_ = pi, a, b
    hmm.fit(x.reshape(-1, 1), lengths=[x.shape[1]] * x.shape[0])
    return hmm


def flat_rows(k: int, repeats: int, peers: bool, pomegranate: bool = True
              ) -> list[tuple[str, float]]:
    pi, a, b = random_hmm(k, seed=k)
    spec = hmm_spec(pi, a, b)
    logs = pgmkit.DynamicBayesNet(spec).sample_sequences(N_SEQ, LENGTH, seed=0).drop(columns=["h"])
    x = logs["x"].astype(int).to_numpy().reshape(N_SEQ, LENGTH)
    start = random_hmm(k, seed=100 + k)           # every library starts from the same guess
    spec0 = hmm_spec(*start)
    runs = [(f"pgmkit K={k}", lambda: run_pgmkit(spec0, logs))]
    if peers:
        runs.append((f"hmmlearn K={k}", lambda: run_hmmlearn(*start, x)))
    if peers and pomegranate:
        runs += [(f"pomegranate K={k} (default threads)",
                  lambda: run_pomegranate(*start, x, None)),
                 (f"pomegranate K={k} (1 thread)", lambda: run_pomegranate(*start, x, 1))]
    return alternating(runs, repeats)


def factorial_rows(repeats: int, peers: bool) -> list[tuple[str, float]]:
    fh = pgmkit.example("factorial_hmm")
    spec = fh.spec
    # widen the factorial model to two 4-state chains and 6 symbols
    rng = np.random.default_rng(0)
    chain = lambda: (rng.dirichlet(np.ones(4)).tolist(),
                     (rng.dirichlet(np.ones(4), size=4) + 3 * np.eye(4)).tolist())
    (pi_h, a_h), (pi_v, a_v) = chain(), chain()
    a_h = (np.array(a_h) / np.sum(a_h, 1, keepdims=True)).tolist()
    a_v = (np.array(a_v) / np.sum(a_v, 1, keepdims=True)).tolist()
    b = rng.dirichlet(np.ones(SYMBOLS) * 0.5, size=16).reshape(4, 4, SYMBOLS).tolist()
    st = [str(i) for i in range(4)]
    spec = build_spec({"name": "fhmm", "temporal": True, "variables": {
        "h": {"states": st, "latent": True, "parents": ["h[t-1]"], "initial": pi_h, "cpd": a_h},
        "v": {"states": st, "latent": True, "parents": ["v[t-1]"], "initial": pi_v, "cpd": a_v},
        "x": {"states": [str(i) for i in range(SYMBOLS)], "parents": ["h", "v"],
              "cpd": np.reshape(b, (16, SYMBOLS)).tolist()}}})
    model = pgmkit.DynamicBayesNet(spec)
    logs = model.sample_sequences(N_SEQ, LENGTH, seed=1).drop(columns=["h", "v"])
    rows = [("pgmkit factorial HMM 4x4 (factorized M-step)",
             timed(lambda: run_pgmkit(spec, logs), repeats))]
    if peers:
        pi = np.kron(pi_h, pi_v)
        a = np.kron(a_h, a_v)
        x = logs["x"].astype(int).to_numpy().reshape(N_SEQ, LENGTH)
        rows.append(("pomegranate DenseHMM 16 states (free joint matrix, 1 thread)",
                     timed(lambda: run_pomegranate(pi, a, np.reshape(b, (16, SYMBOLS)), x, 1),
                           repeats)))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="pgmkit only, one run")
    parser.add_argument("--hmmlearn-only", action="store_true",
                        help="flat HMMs against hmmlearn only (pomegranate is slow to time)")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    pgmkit.example("hmm").fit(pgmkit.example("hmm").sample_sequences(2, 5, seed=0),
                              progress=False, max_iter=1)     # warm-up: torch import
    rows = []
    for k in (8, 32):
        rows += flat_rows(k, repeats, not args.quick, not args.hmmlearn_only)
    if not args.hmmlearn_only:
        rows += factorial_rows(repeats, not args.quick)
    table = pd.DataFrame(rows, columns=["run", "seconds (median)"])
    print(f"{N_SEQ} sequences x {LENGTH} steps, {SYMBOLS} symbols, {ITERS} EM iterations, "
          f"median of {repeats} run(s)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    times = dict(rows)
    for k in (8, 32):
        ours = times[f"pgmkit K={k}"]
        for peer in (f"pomegranate K={k} (default threads)", f"pomegranate K={k} (1 thread)",
                     f"hmmlearn K={k}"):
            if peer in times and np.isfinite(times[peer]):
                print(f"K={k}: {peer} / pgmkit = {times[peer] / ours:.2f}x")


if __name__ == "__main__":
    main()
