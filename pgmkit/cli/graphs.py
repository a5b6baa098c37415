"""CLI commands about graphs: ``learn-structure`` (a fitted network from data) and ``draw``.

    pgmkit learn-structure data.csv -o learned.yaml --method hc --score bic --max-indegree 3
    pgmkit draw models/alarm.yaml -o alarm.png          # .png | .svg | .pdf
"""
from __future__ import annotations

from pgmkit.cli.common import emit, load_model, read_table, show_progress
from pgmkit.errors import DataError


def register(sub) -> None:
    p = sub.add_parser("learn-structure", help="learn a Bayesian network's graph and tables "
                       "from a CSV of discrete data")
    p.add_argument("data", help="CSV: one column per variable, every cell filled")
    p.add_argument("-o", "--output", required=True, help="model file to write (.yaml, .bif, ...)")
    p.add_argument("--method", choices=("hc", "pc"), default="hc",
                   help="hc: hill climbing on a score (default); pc: independence tests")
    p.add_argument("--score", choices=("bic", "bdeu", "k2"), default="bic", help="hc's score")
    p.add_argument("--tabu", type=int, default=100, help="hc: tabu list length (default 100)")
    p.add_argument("--max-indegree", type=int, default=None, help="hc: most parents per node")
    p.add_argument("--require", nargs="+", default=(), metavar="A->B", help="edges to keep")
    p.add_argument("--forbid", nargs="+", default=(), metavar="A->B", help="edges to exclude")
    p.add_argument("--significance", type=float, default=0.01, help="pc: test level")
    p.add_argument("--name", default=None, help="the model's name (default: the file's stem)")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=learn_structure)

    p = sub.add_parser("draw", help="draw a model's graph (latent nodes shaded; temporal "
                       "models as a 2-slice template)")
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True, help="image file: .png, .svg or .pdf")
    p.add_argument("--cpt", metavar="VAR", help="draw this variable's table as a heat map instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=draw)


def _edges(items, flag: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if "->" not in item:
            raise DataError(f"{flag} '{item}': expected an edge written PARENT->CHILD")
        a, b = (x.strip() for x in item.split("->", 1))
        out.append((a, b))
    return out


def learn_structure(args) -> int:
    from pathlib import Path

    from pgmkit.learn.structure import learn_structure as learn

    data = read_table(args.data)
    bn = learn(data, method=args.method, score=args.score, tabu=args.tabu,
               max_indegree=args.max_indegree, required=_edges(args.require, "--require"),
               forbidden=_edges(args.forbid, "--forbid"), significance=args.significance,
               name=args.name or Path(args.output).stem.split(".")[0],
               progress=show_progress(args))
    out = bn.save(args.output)
    summary = {"output": str(out), "method": args.method,
               "score": args.score if args.method == "hc" else None, "rows": len(data),
               "variables": len(bn.spec), "edges": bn.history.extra["edges"],
               "log_likelihood": bn.history.log_likelihood[-1],
               "parents": {v.name: [p.name for p in v.parents] for v in bn.spec.variables}}
    emit(summary if args.json else f"learned {summary['edges']} edges over "
         f"{summary['variables']} variables from {len(data)} rows by {args.method}; "
         f"wrote {out}", args)
    return 0


def draw(args) -> int:
    model = load_model(args.model)
    out = model.plot_cpt(args.cpt, args.output) if args.cpt else model.draw(args.output)
    emit({"model": model.spec.name, "output": str(out)} if args.json else f"wrote {out}", args)
    return 0
