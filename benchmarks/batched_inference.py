"""Batched exact inference: pgmkit vs pgmpy VariableElimination vs pyAgrum LazyPropagation.

The same 10,000 evidence rows per network (6 evidence variables per row, each cell
unobserved with probability 1/4, rows sampled from the network itself), one queried
variable, all in one process. pgmkit answers the whole table in one call; the peers
answer row by row (their API), timed on a subsample when 10,000 rows would take too
long (the output says how many rows were timed). Times are microseconds per row;
ratios are peer time / pgmkit time. pgmkit's time is reported cold (first call: compile,
contraction orders, everything) and warm (plans cached).

Run: .venv/bin/python benchmarks/batched_inference.py [network ...] [--rows N] [--budget S]
pyAgrum is a benchmark-only dependency (the ``bench`` extra).
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import pgmkit
from pgmkit.api import example_spec
from pgmkit.backends.contraction import compile as batched_compile
from pgmkit.backends.contraction.compile import normalized
from pgmkit.backends.contraction.infer import STRATEGIES, query_batch

NETWORKS = ["alarm", "hepar2", "win95pts", "andes", "pathfinder"]


def workload(name: str, rows: int, seed: int, evidence: str = "random"):
    """Spec, evidence rows (object dtype, None = unobserved) and the queried variable.

    ``evidence="leaves"`` observes leaves of the network only, the hard case where each
    row's evidence reaches the largest part of the network (all its ancestors).
    """
    spec = example_spec(f"bnlearn:{name}")
    rng = np.random.default_rng(seed)
    sample = pgmkit.model(spec).sample(rows, seed=seed)
    parents = {p.name for v in spec.variables for p in v.parents}
    pool = [n for n in spec.names if n not in parents] if evidence == "leaves" else spec.names
    evidence_vars = [str(c) for c in rng.choice(pool, size=6, replace=False)]
    query = str(rng.choice([n for n in spec.names if n not in evidence_vars]))
    evidence = sample[evidence_vars].astype(object)
    evidence = evidence.mask(rng.random(evidence.shape) < 0.25)
    return spec, evidence, query


def row_dicts(evidence: pd.DataFrame) -> list[dict]:
    return [{k: v for k, v in row.items() if isinstance(v, str)}
            for row in evidence.to_dict("records")]


def time_pgmkit(spec, evidence, query, strategy="auto"):
    batched_compile.compile_net.cache_clear()
    start = time.perf_counter()
    out = query_batch(spec, [query], evidence, strategy=strategy)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        query_batch(spec, [query], evidence, strategy=strategy)
        warm.append(time.perf_counter() - start)
    n = len(evidence)
    return out, cold / n * 1e6, statistics.median(warm) / n * 1e6


def time_row_by_row(answer, rows: list[dict], budget: float):
    """Call ``answer(row)`` until the rows or the time budget run out; (us/row, answers)."""
    answers, start = [], time.perf_counter()
    for row in rows:
        answers.append(answer(row))
        if time.perf_counter() - start > budget and len(answers) >= 20:
            break
    return (time.perf_counter() - start) / len(answers) * 1e6, answers


def pgmpy_answerer(spec, query):
    from pgmpy.inference import VariableElimination

    from pgmkit.backends.pgmpy.compile import compile_model

    ve = VariableElimination(compile_model(spec))
    states = list(spec[query].states)

    def answer(row):
        f = ve.query([query], evidence=row or None, show_progress=False)
        return np.array([f.values[f.state_names[query].index(s)] for s in states])

    return answer


def pyagrum_network(spec):
    """The spec as a pyAgrum BayesNet with the exact float64 tables (pyAgrum's BIF
    reader keeps about 8 digits, so the tables are set again from the spec)."""
    import pyagrum as gum

    from pgmkit.io.files import write_spec

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "network.bif"
        write_spec(spec, path)
        bn = gum.loadBN(str(path))
    for v in spec.variables:
        names = [p.name for p in v.parents]
        cpt = bn.cpt(v.name)
        for combo in itertools.product(*(range(spec[p].card) for p in names)):
            cpt[{p: spec[p].states[i] for p, i in zip(names, combo)}] = v.cpd.table[combo].tolist()
    return bn


def pyagrum_answerer(spec, query):
    try:
        import pyagrum as gum
    except ImportError:
        return None
    bn = pyagrum_network(spec)
    ie = gum.LazyPropagation(bn)
    ie.addTarget(query)             # only the queried posterior: pyAgrum prunes the rest
    states = list(spec[query].states)
    labels = list(bn.variable(query).labels())

    def answer(row):
        ie.setEvidence(row)         # replaces the previous row's evidence
        ie.makeInference()
        p = ie.posterior(query).toarray()
        return np.array([p[labels.index(s)] for s in states])

    return answer


def run(name: str, rows: int, budget: float, seed: int, evidence: str = "random",
        strategy: str = "auto") -> dict:
    spec, evidence, query = workload(name, rows, seed, evidence)
    out, cold, warm = time_pgmkit(spec, evidence, query, strategy)
    ours = out[[f"P({query}={s})" for s in spec[query].states]].to_numpy()
    dicts = row_dicts(evidence)
    result = {"network": name, "query": query, "pgmkit_cold": cold, "pgmkit_warm": warm}
    # Every engine answers the same model: the bnlearn files round table rows to sum to
    # 1 +- 3e-7, which pgmkit renormalises; the peers get the renormalised tables too.
    exact = normalized(spec)
    peers = [("pgmpy", pgmpy_answerer(exact, query)), ("pyagrum", pyagrum_answerer(exact, query))]
    for peer, answer in peers:
        if answer is None:
            result[peer] = None
            continue
        us, answers = time_row_by_row(answer, dicts, budget)
        diff = float(np.abs(np.array(answers) - ours[:len(answers)]).max())
        result.update({peer: us, f"{peer}_rows": len(answers), f"{peer}_diff": diff})
    return result


def report(r: dict) -> str:
    lines = [f"{r['network']} (query {r['query']}): pgmkit {r['pgmkit_cold']:.1f} us/row cold, "
             f"{r['pgmkit_warm']:.1f} us/row warm"]
    for peer in ("pgmpy", "pyagrum"):
        if r.get(peer) is None:
            lines.append(f"  {peer}: not installed")
            continue
        lines.append(f"  {peer}: {r[peer]:.1f} us/row (timed on {r[peer + '_rows']} rows); "
                     f"ratio {r[peer] / r['pgmkit_cold']:.0f}x cold, "
                     f"{r[peer] / r['pgmkit_warm']:.0f}x warm; max |diff| {r[peer + '_diff']:.1e}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", default=NETWORKS)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds of row-by-row time per peer and network")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evidence", choices=["random", "leaves"], default="random",
                        help="evidence variables drawn from all variables, or leaves only")
    parser.add_argument("--strategy", default="auto", choices=STRATEGIES,
                        help="pgmkit's strategy (auto: lookup in the joint table of the "
                             "evidence columns when small; patterns: one pruned contraction "
                             "per evidence pattern)")
    args = parser.parse_args(argv)
    print(f"{args.rows} evidence rows per network, 6 evidence variables ({args.evidence}), "
          f"1/4 of cells unobserved; pgmkit strategy {args.strategy}; peers answer row by row")
    for name in args.networks:
        print(report(run(name, args.rows, args.budget, args.seed, args.evidence,
                         args.strategy)), flush=True)


if __name__ == "__main__":
    main()
