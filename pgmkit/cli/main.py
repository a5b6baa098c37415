"""The ``pgmkit`` command line. Commands mirror the Python API.

Bad input prints one line per problem on stderr and exits with code 2; no traceback
(``--debug`` shows it).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
import warnings

from pgmkit.errors import PgmkitError

#: The CLI module for each model class; each provides register/fit/sample/demo.
KIND_MODULES = {
    "BayesNet": "pgmkit.cli.discrete",
    "DynamicBayesNet": "pgmkit.cli.temporal",
    "MixtureModel": "pgmkit.cli.temporal",
    "NeuralTemporalModel": "pgmkit.cli.temporal",
    "DeepModel": "pgmkit.cli.deep",
    "AutoregressiveModel": "pgmkit.cli.deep",
    "AdversarialModel": "pgmkit.cli.adversarial",
}
DEMO_PARTS = ("discrete", "temporal", "deep")


def available_kind_modules() -> list:
    names = dict.fromkeys(KIND_MODULES.values())
    return [importlib.import_module(n) for n in names if importlib.util.find_spec(n)]


def kind_module(model):
    name = KIND_MODULES.get(type(model).__name__)
    if name is None or importlib.util.find_spec(name) is None:
        raise PgmkitError(f"the CLI has no commands for {type(model).__name__} models")
    return importlib.import_module(name)


def _fit(args) -> int:
    from pgmkit.cli.common import load_model
    from pgmkit.cli.flags import refuse_inapplicable

    model = load_model(args.model, getattr(args, "backend", None))
    method = None
    if type(model).__name__ == "BayesNet":
        method = getattr(args, "method", None) or ("em" if model.spec.latent_names else "mle")
    refuse_inapplicable(args, "fit", model, method)
    return kind_module(model).fit(model, args)


def _sample(args) -> int:
    from pgmkit.cli.common import load_model
    from pgmkit.cli.flags import refuse_inapplicable

    model = load_model(args.model, getattr(args, "backend", None))
    refuse_inapplicable(args, "sample", model)
    return kind_module(model).sample(model, args)


def _demo(args) -> int:
    import contextlib

    from pgmkit.cli.common import emit

    parts = DEMO_PARTS if args.part == "all" else (args.part,)
    ran = []
    # with --json the tour's prose goes to stderr and stdout holds only the JSON summary
    prose = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with prose:
        for part in parts:
            name = f"pgmkit.cli.{part}"
            if importlib.util.find_spec(name) is None:
                print(f"(the {part} part of the demo is not available)")
                continue
            code = importlib.import_module(name).demo(args)
            if code:
                return code
            ran.append(part)
    if args.json:
        emit({"demo": ran, "ok": True}, args)
    return 0


#: Commands that can run long enough to want a progress bar (and --no-progress).
LONG_COMMANDS = ("fit", "train", "query", "learn-structure", "sample")


def _everywhere(sub) -> None:
    """``--json`` on every command and ``--no-progress`` on the long ones, once each."""
    for name, p in sub.choices.items():
        have = p._option_string_actions           # argparse has no public "has option"
        if "--json" not in have:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        if name in LONG_COMMANDS and "--no-progress" not in have:
            p.add_argument("--no-progress", action="store_true", help="hide progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgmkit", description="One modeling language for classical and neural generative "
        "models. MODEL is a .yaml/.json/.bif/.xmlbif file, a saved model directory, or the name "
        "of a bundled example (alarm, asia, bnlearn:hepar2, ...).")
    from pgmkit import __version__

    parser.add_argument("--version", action="version", version=f"pgmkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--backend", default=None, metavar="ENGINE",
                        help="run on this engine: pgmpy, contraction, forward_backward or pyro "
                        "(default: the first that supports the model and the command)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads for torch (default: $OMP_NUM_THREADS, else 1: small "
                        "models train fastest single-threaded, and a shared machine stays "
                        "responsive)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shared = {}
    p = sub.add_parser("fit", help="learn a model's parameters from data")
    p.add_argument("model")
    p.add_argument("data", help="CSV file, Parquet file or folder (or a dataset name for deep models)")
    p.add_argument("-o", "--output", required=True, help="where to write the fitted model")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.set_defaults(func=_fit)
    shared["fit"] = p
    p = sub.add_parser("sample", help="draw samples from a model")
    p.add_argument("model")
    p.add_argument("-n", type=int, default=10, help="number of samples (default 10)")
    p.add_argument("-o", "--output", help="CSV file to write (default: print)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_sample)
    shared["sample"] = p
    p = sub.add_parser("demo", help="a short tour of pgmkit")
    p.add_argument("--part", choices=("all",) + DEMO_PARTS, default="all")
    p.set_defaults(func=_demo)
    for module in available_kind_modules():
        module.register(sub, shared)
    from pgmkit.cli import graphs

    graphs.register(sub)
    _everywhere(sub)
    for name, p in shared.items():  # flags.refuse_inapplicable compares with the defaults
        p.set_defaults(_parser=p)
    return parser


def _set_threads(threads: int | None) -> None:
    """Thread count for torch, through the environment so torch reads it on import."""
    if threads is None and "OMP_NUM_THREADS" in os.environ:
        return
    n = str(max(1, threads or 1))
    os.environ["OMP_NUM_THREADS"] = n
    if "torch" in sys.modules:  # imported already (e.g. main() called from Python)
        sys.modules["torch"].set_num_threads(int(n))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """pgmkit's own warnings (EM not converged, collapsed states) as one plain line."""
    from pgmkit.errors import PgmkitWarning

    if issubclass(category, PgmkitWarning):
        print(f"pgmkit: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.basicConfig(level=logging.WARNING, format="pgmkit: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1; received {args.threads}")
    _set_threads(args.threads)
    try:
        from pgmkit.cli.flags import check_outputs

        check_outputs(args, directory=None)   # a bad -o fails now, not after the work
        with warnings.catch_warnings():         # restores showwarning for Python callers
            warnings.showwarning = _show_warning
            code = int(args.func(args) or 0)
        sys.stdout.flush()                    # a closed pipe shows here, not at exit
        return code
    except PgmkitError as exc:
        if args.debug:
            raise
        print(f"pgmkit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (e.g. `| head`) has gone: stop quietly, and keep Python from
        # complaining again while flushing stdout at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"pgmkit: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not a user mistake: say so in one line
        if args.debug:
            raise
        print(f"pgmkit: internal error: {type(exc).__name__}: {exc} (run with --debug for the "
              "traceback, and please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
