"""Batched exact inference: pgmkit vs pgmpy VariableElimination vs pyAgrum LazyPropagation.

Three cases, all in one process, ratios from one run:

- ``narrow``: 10,000 evidence rows per network (6 evidence variables per row, each
  cell unobserved with probability 1/4, rows sampled from the network itself), one
  queried variable;
- ``wide``: 2,000 rows observing half of the network, 20% of those cells missing (so
  nearly every row has its own pattern), one queried variable;
- ``marginals``: the wide rows, every variable's posterior (imputation): pgmkit's
  ``query_batch(None, rows)`` against pyAgrum asked for every unobserved posterior.

pyAgrum's LazyPropagation is timed two ways on the one-query cases: with the query
declared as its only target (``addTarget``: its relevance reasoning then prunes the
network per row, its fastest use) and without a target (the object as constructed,
which is how the issue measuring these cases ran it). pgmkit answers the whole table
in one call; the peers answer row by row (their API), timed on a subsample when 10,000 rows would take too
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
WIDE_NETWORKS = ["alarm", "hepar2", "win95pts", "andes"]
CASES = ("narrow", "wide", "marginals")


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


def wide_workload(name: str, rows: int, seed: int):
    """Half of the network observed, 20% of those cells missing; one unobserved query."""
    spec = example_spec(f"bnlearn:{name}")
    rng = np.random.default_rng(seed)
    sample = pgmkit.model(spec).sample(rows, seed=seed)
    columns = [str(c) for c in rng.choice(spec.names, size=len(spec) // 2, replace=False)]
    evidence = sample[columns].astype(object).mask(rng.random((rows, len(columns))) < 0.2)
    query = str(rng.choice([n for n in spec.names if n not in columns]))
    return spec, evidence, query


def row_dicts(evidence: pd.DataFrame) -> list[dict]:
    return [{k: v for k, v in row.items() if isinstance(v, str)}
            for row in evidence.to_dict("records")]


def time_pgmkit(spec, evidence, query, strategy="auto"):
    """``query`` is a variable name, or None for every variable's posterior."""
    targets = list(spec.names) if query is None else [query]
    batched_compile.compile_net.cache_clear()
    start = time.perf_counter()
    out = query_batch(spec, targets, evidence, strategy=strategy)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        query_batch(spec, targets, evidence, strategy=strategy)
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


def pyagrum_answerer(spec, query, prune: bool = True):
    """Row -> posterior of ``query``; with ``query=None``, row -> every unobserved
    variable's posterior, concatenated in spec order (observed ones one-hot).

    ``prune=True`` declares the query as pyAgrum's only target (its relevance
    reasoning then skips the rest: its fastest use); ``prune=False`` is LazyPropagation
    as constructed, every posterior available after each ``makeInference``."""
    try:
        import pyagrum as gum
    except ImportError:
        return None
    bn = pyagrum_network(spec)
    ie = gum.LazyPropagation(bn)
    if query is not None and prune:
        ie.addTarget(query)         # only the queried posterior: pyAgrum prunes the rest
    targets = list(spec.names) if query is None else [query]
    order = {t: [list(bn.variable(t).labels()).index(s) for s in spec[t].states]
             for t in targets}

    def answer(row):
        ie.setEvidence(row)         # replaces the previous row's evidence
        ie.makeInference()
        parts = []
        for t in targets:
            if t in row:
                parts.append(np.eye(spec[t].card)[spec[t].states.index(row[t])])
            else:
                parts.append(ie.posterior(t).toarray()[order[t]])
        return np.concatenate(parts)

    return answer


def run(name: str, rows: int, budget: float, seed: int, evidence: str = "random",
        strategy: str = "auto", case: str = "narrow") -> dict:
    if case == "narrow":
        spec, evidence, query = workload(name, rows, seed, evidence)
    else:
        spec, evidence, query = wide_workload(name, rows, seed)
    if case == "marginals":
        query = None
    out, cold, warm = time_pgmkit(spec, evidence, query, strategy)
    targets = list(spec.names) if query is None else [query]
    ours = out[[f"P({t}={s})" for t in targets for s in spec[t].states]].to_numpy()
    dicts = row_dicts(evidence)
    result = {"network": name, "query": query or "every variable", "pgmkit_cold": cold,
              "pgmkit_warm": warm, "case": case}
    # Every engine answers the same model: the bnlearn files round table rows to sum to
    # 1 +- 3e-7, which pgmkit renormalises; the peers get the renormalised tables too.
    exact = normalized(spec)
    peers = [("pyagrum", pyagrum_answerer(exact, query))]
    if case != "marginals":         # pgmpy has no all-posteriors query worth timing
        peers.insert(0, ("pgmpy", pgmpy_answerer(exact, query)))
        peers.append(("pyagrum_all", pyagrum_answerer(exact, query, prune=False)))
    for peer, answer in peers:
        if answer is None:
            result[peer] = None
            continue
        us, answers = time_row_by_row(answer, dicts, budget)
        diff = float(np.abs(np.array(answers) - ours[:len(answers)]).max())
        result.update({peer: us, f"{peer}_rows": len(answers), f"{peer}_diff": diff})
    return result


def report(r: dict) -> str:
    lines = [f"[{r['case']}] {r['network']} (query {r['query']}): pgmkit "
             f"{r['pgmkit_cold']:.1f} us/row cold, {r['pgmkit_warm']:.1f} us/row warm"]
    labels = {"pgmpy": "pgmpy VE", "pyagrum": "pyAgrum LP" + (
        " (query as its only target)" if r["case"] != "marginals" else " (every posterior)"),
        "pyagrum_all": "pyAgrum LP (no target declared)"}
    for peer in ("pgmpy", "pyagrum", "pyagrum_all"):
        if peer not in r:
            continue
        if r.get(peer) is None:
            lines.append(f"  {labels[peer]}: not installed")
            continue
        lines.append(f"  {labels[peer]}: {r[peer]:.1f} us/row (timed on {r[peer + '_rows']} rows); "
                     f"ratio {r[peer] / r['pgmkit_cold']:.0f}x cold, "
                     f"{r[peer] / r['pgmkit_warm']:.0f}x warm; max |diff| {r[peer + '_diff']:.1e}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", default=None,
                        help=f"default: {NETWORKS} (narrow), {WIDE_NETWORKS} (wide, marginals)")
    parser.add_argument("--case", choices=("all",) + CASES, default="all")
    parser.add_argument("--rows", type=int, default=None,
                        help="rows per network (default 10,000 narrow, 2,000 wide)")
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
    for case in CASES if args.case == "all" else (args.case,):
        rows = args.rows or (10_000 if case == "narrow" else 2_000)
        if case == "narrow":
            print(f"\n== narrow: {rows} evidence rows per network, 6 evidence variables "
                  f"({args.evidence}), 1/4 of cells unobserved; pgmkit strategy "
                  f"{args.strategy}; peers answer row by row")
        else:
            print(f"\n== {case}: {rows} rows per network observing half of it, 20% of those "
                  f"cells missing; {'one query' if case == 'wide' else 'every posterior'}; "
                  "peers answer row by row")
        for name in args.networks or (NETWORKS if case == "narrow" else WIDE_NETWORKS):
            print(report(run(name, rows, args.budget, args.seed, args.evidence,
                             args.strategy, case)), flush=True)


if __name__ == "__main__":
    main()
