"""CLI commands for models in general and discrete Bayesian networks in particular:
show, check, query, map, convert, and fit/sample/demo for BayesNet."""
from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

from pgmkit.cli.common import (emit, keep_option, load_model, output_table, parse_given,
                               read_table, show_progress, write_table)
from pgmkit.errors import PgmkitError, UnsupportedError


def register(sub, shared) -> None:
    p = sub.add_parser("show", help="variables, states, parents and parameter counts")
    p.add_argument("model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=show)

    p = sub.add_parser("check", help="validate model files; report every problem")
    p.add_argument("models", nargs="+")
    p.set_defaults(func=check)

    p = sub.add_parser("query", help="posterior of variables given evidence")
    p.add_argument("model")
    p.add_argument("variables", nargs="+")
    p.add_argument("--given", nargs="*", metavar="VAR=STATE", help="evidence")
    p.add_argument("--batch", metavar="ROWS.csv",
                   help="one query per row of this CSV (empty cell = unobserved)")
    p.add_argument("--joint", action="store_true", help="with --batch: joint states as columns")
    p.add_argument("-o", "--output", help="with --batch: CSV (or JSON with --json or a .json "
                   "name) to write (default: print)")
    keep_option(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=query)

    p = sub.add_parser("map", help="most probable assignment given evidence")
    p.add_argument("model")
    p.add_argument("variables", nargs="*", help="default: every unobserved variable (MPE)")
    p.add_argument("--given", nargs="*", metavar="VAR=STATE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=map_)

    p = sub.add_parser("convert", help="convert between yaml, json, bif and xmlbif")
    p.add_argument("input")
    p.add_argument("output")
    p.set_defaults(func=convert)

    shared["sample"].add_argument("--given", nargs="*", metavar="VAR=STATE",
                                  help="discrete models: evidence to condition on")
    shared["sample"].add_argument("--method", choices=("exact", "rejection", "likelihood"),
                                  default="exact", help="discrete models with evidence: exact "
                                  "(junction tree, any evidence probability), rejection, or "
                                  "likelihood weighting")
    fit_p = shared["fit"]
    fit_p.add_argument("--method", default=None, help="mle | bayes | em (discrete networks)")
    fit_p.add_argument("--prior", default="BDeu", help="bayes: BDeu | K2 | dirichlet")
    fit_p.add_argument("--pseudo-count", type=float, default=None,
                       help="bayes: equivalent sample size (default 1); EM (every model): "
                            "Dirichlet prior count per CPD cell (default 0 = maximum "
                            "likelihood, the same for every EM fit)")
    fit_p.add_argument("--max-iter", type=int, default=None,
                       help="EM: at most this many E-steps (default 100)")
    fit_p.add_argument("--tol", type=float, default=None,
                       help="EM: stop when the log-likelihood gains less than this per "
                            "row/event (default 1e-6)")
    fit_p.add_argument("--restarts", type=int, default=None,
                       help="EM runs, the best kept (default: 1 when the model gives every "
                            "CPD, else 3)")


def show(args) -> int:
    m = load_model(args.model)
    spec = m.spec
    full = math.prod(v.card for v in spec.variables) - 1 if spec.is_discrete else None
    if args.json:
        emit({"name": spec.name, "kind": type(m).__name__, "temporal": spec.temporal,
              "variables": [{"name": v.name, "states": list(v.states) if v.is_discrete else None,
                             "shape": None if v.is_discrete else list(v.domain.shape),
                             "latent": v.latent, "parents": [str(p) for p in v.parents],
                             "cpd": v.cpd.kind if v.cpd is not None else None}
                            for v in spec.variables],
              "free_parameters": m.num_parameters(), "full_joint_parameters": full}, args)
        return 0
    print(f"{type(m).__name__} '{spec.name}'{' (temporal)' if spec.temporal else ''}: "
          f"{len(spec)} variables")
    if spec.description:
        print(spec.description.strip())
    print(m.describe())
    line = f"free parameters: {m.num_parameters()}"
    if full is not None:
        line += f" (the full joint table would need {full:,})"
    print(line)
    return 0


def check(args) -> int:
    from pgmkit.io.files import read_spec

    bad, report = 0, []
    for ref in args.models:
        try:
            spec = read_spec(ref) if Path(ref).exists() else load_model(ref).spec
            report.append({"model": ref, "ok": True, "variables": len(spec), "error": None})
            if not args.json:
                print(f"{ref}: ok ({len(spec)} variables)")
        except PgmkitError as exc:
            bad += 1
            report.append({"model": ref, "ok": False, "variables": None, "error": str(exc)})
            print(f"pgmkit: error: {exc}", file=sys.stderr)
    if args.json:
        emit(report, args)
    return 2 if bad else 0


def _bayesnet(model, command: str):
    from pgmkit.bayesnet import BayesNet

    if not isinstance(model, BayesNet):
        raise UnsupportedError(f"'{command}' works on discrete static networks; "
                               f"'{model.name}' is a {type(model).__name__}")
    return model


def query(args) -> int:
    m = _bayesnet(load_model(args.model, args.backend), "query")
    if not args.batch and (args.output or args.joint):
        raise UnsupportedError(f"{'-o' if args.output else '--joint'} applies to --batch "
                               "queries only; it would be ignored")
    if args.batch:
        if args.given:
            raise PgmkitError("--given and --batch do not mix: put the evidence in the CSV")
        return output_table(m.query_batch(args.variables, read_table(args.batch),
                                          joint=args.joint, keep=args.keep,
                                          progress=show_progress(args)), args)
    if args.keep:
        raise PgmkitError("--keep passes columns of a --batch CSV through; there is no CSV")
    emit(m.query(args.variables, parse_given(args.given)), args)
    return 0


def map_(args) -> int:
    m = _bayesnet(load_model(args.model, args.backend), "map")
    emit(m.map(args.variables or None, parse_given(args.given)), args)
    return 0


def convert(args) -> int:
    from pgmkit.io.files import read_spec, write_spec

    spec = read_spec(args.input) if Path(args.input).exists() else load_model(args.input).spec
    out = write_spec(spec, args.output, inputs=[args.input])
    emit({"input": args.input, "output": str(out), "variables": len(spec)} if args.json
         else f"wrote {args.output}", args)
    return 0


def fit(model, args) -> int:
    options = {k: v for k, v in (("max_iter", args.max_iter), ("restarts", args.restarts),
                                 ("seed", args.seed), ("tol", args.tol)) if v is not None}
    method = args.method or ("em" if model.spec.latent_names else "mle")
    data = read_table(args.data)
    if method == "em":
        options["progress"] = show_progress(args)
        fitted = model.fit(data, method="em", pseudo_count=args.pseudo_count, **options)
    else:
        fitted = model.fit(data, method=method, prior=args.prior, pseudo_count=args.pseudo_count)
    if Path(args.output).suffix:
        fitted.save(args.output)
    else:
        raise UnsupportedError(f"-o {args.output}: a fitted network is one file; give a name "
                               "ending in .yaml, .json, .bif or .xmlbif")
    summary = {"model": model.name, "rows": len(data), "method": method,
               "log_likelihood": fitted.history.log_likelihood[-1] if fitted.history else None,
               "output": str(args.output)}
    if args.json:
        emit(summary, args)
    else:
        print(f"fitted '{model.name}' by {method} on {len(data)} rows; "
              f"log-likelihood {summary['log_likelihood']:.6g}; wrote {args.output}")
    return 0


def sample(model, args) -> int:
    frame = model.sample(args.n, evidence=parse_given(args.given) or None, seed=args.seed,
                         method=args.method)
    return output_table(frame, args, "samples")


def demo(args) -> int:
    import pgmkit

    print("== pgmkit tour, part 1: a discrete Bayesian network (pgmkit's exact engine) ==\n")
    bn = pgmkit.example("alarm")
    print(f"Pearl's burglary alarm, from models/alarm.yaml:\n{bn.describe()}\n")
    evidence = {"JohnCalls": "yes", "MaryCalls": "yes"}
    print(bn.query("Burglary", evidence), "\n")
    print(bn.map(evidence=evidence), "\n")
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "alarm.csv"
        write_table(bn.sample(100_000, seed=0), data_path)
        print(f"sampled 100000 rows -> {data_path.name}; fitting a fresh copy by maximum likelihood")
        fitted = bn.copy().fit(read_table(data_path), method="mle")
        for state in ("yes",):
            print(f"  P(Alarm={state} | Burglary=yes, Earthquake=no): true "
                  f"{bn.spec['Alarm'].cpd.table[1, 0, 1]:.3f}, learned "
                  f"{fitted.spec['Alarm'].cpd.table[1, 0, 1]:.3f}")
        out = fitted.save(Path(tmp) / "alarm_fitted.yaml")
        again = pgmkit.load(out)
        print(f"saved and reloaded {out.name}: identical spec = {again == fitted}")
        print(f"  P(Burglary=yes | JohnCalls=yes, MaryCalls=yes) after fitting: "
              f"{again.query('Burglary', evidence)['yes']:.4f}\n")
    return 0
