"""Exact sampling given improbable evidence: junction tree vs rejection.

10,000 samples of the bnlearn alarm network given evidence of probability about 1e-6.
``method="exact"`` (the default) filters up the junction tree once and samples down it;
rejection needs about n / P(evidence) ancestral draws, so it is timed on ``--reject``
samples only (0 skips it) and the time for 10,000 is extrapolated. Median of
``--repeats`` runs. Run: ``.venv/bin/python benchmarks/conditional_sampling.py``.
"""
from __future__ import annotations

import argparse
import statistics
import time

import pgmkit

EVIDENCE = {"ANAPHYLAXIS": "TRUE", "DISCONNECT": "TRUE", "VENTALV": "HIGH",
            "KINKEDTUBE": "TRUE"}
ROWS = 10_000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reject", type=int, default=2,
                        help="samples drawn by rejection for the comparison (0: skip)")
    args = parser.parse_args(argv)
    bn = pgmkit.example("bnlearn:alarm")
    p = bn.probability(EVIDENCE)
    times = []
    for seed in range(args.repeats):
        start = time.perf_counter()
        rows = bn.sample(ROWS, evidence=EVIDENCE, seed=seed)
        times.append(time.perf_counter() - start)
    assert all((rows[k] == v).all() for k, v in EVIDENCE.items())
    exact = statistics.median(times)
    print(f"P(evidence) = {p:.3g}; exact sampling of {ROWS} rows: {exact:.3f} s "
          f"(median of {args.repeats}; first call included compiling the tree: {times[0]:.3f} s)")
    if args.reject:
        start = time.perf_counter()
        bn.sample(args.reject, evidence=EVIDENCE, seed=0, method="rejection")
        took = time.perf_counter() - start
        print(f"rejection: {took:.1f} s for {args.reject} rows, about "
              f"{took / args.reject * ROWS:.0f} s for {ROWS} ({took / args.reject * ROWS / exact:.0f}x)")


if __name__ == "__main__":
    main()
