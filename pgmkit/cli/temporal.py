"""CLI for dynamic Bayesian networks, mixtures and neural temporal models.

``pgmkit fit models/bkt.yaml logs.csv --sequence student --order step --groupby skill -o fitted/``
learns one model per skill; ``pgmkit smooth|filter|viterbi|predict MODEL LOGS --sequence ...
-o out.csv`` writes one row per input event. MODEL may be a folder written by a grouped fit
or by the fit of a neural temporal model (``model.yaml`` plus ``weights.pt``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from pgmkit.errors import DataError, UnsupportedError

QUERIES = {
    "filter": ("filter", "p(latent_t | events up to t) for every event"),
    "smooth": ("smooth", "p(latent_t | all events of the sequence) for every event"),
    "viterbi": ("viterbi", "the most probable latent path of every sequence"),
    "predict": ("predict_next", "each event's observed variables predicted from the events before it"),
}


def _log_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sequence", default="sequence",
                   help="temporal models: the sequence-id column (default 'sequence')")
    p.add_argument("--order", default="step",
                   help="temporal models: the step or timestamp column (default 'step')")
    p.add_argument("--groupby", default=None,
                   help="temporal models: fit/query one model per value of this column")


def register(sub, shared: dict) -> None:
    """Add the query subcommands and the temporal options of ``fit`` and ``sample``."""
    # --max-iter and --restarts already belong to the shared fit parser (EM options)
    _log_options(shared["fit"])
    shared["sample"].add_argument("--length", type=int, default=10,
                                  help="temporal models: slices per sampled sequence (default 10)")
    for name, (_, text) in QUERIES.items():
        p = sub.add_parser(name, help=f"temporal models: {text}")
        p.add_argument("model", help="a temporal model file, a grouped-model folder, or an example")
        p.add_argument("logs", help="event log, one row per event: CSV, or a Parquet file or folder")
        _log_options(p)
        p.add_argument("-o", "--output", help="CSV file to write, JSON with --json or a .json "
                       "name (default: print)")
        p.add_argument("--json", action="store_true", help="JSON records (printed, or to -o)")
        from pgmkit.cli.common import keep_option

        keep_option(p)
        p.set_defaults(func=_query, query=name)


def read_logs(path: str, order: str | None):
    """A CSV log read by the one log reader (:func:`pgmkit.data.sequences.read_logs`), or
    a Parquet file or folder as a Dask DataFrame."""
    from pgmkit.data.sequences import read_logs as read
    from pgmkit.distributed.frames import is_parquet, read_parquet

    if is_parquet(path):
        return read_parquet(path)      # a Dask DataFrame; Parquet keeps the column types
    return read(path, order)


def _query(args) -> int:
    from pgmkit.cli.common import load_model, output_table
    from pgmkit.temporal.dynamic import TemporalQueries

    model = load_model(args.model, getattr(args, "backend", None))
    method = getattr(model, QUERIES[args.query][0], None)
    if _is_neural(model):
        for flag, value in (("--groupby", args.groupby), ("--keep", args.keep)):
            if value:
                raise UnsupportedError(f"{flag} does not apply to '{args.command}' of a "
                                       f"NeuralTemporalModel ('{model.spec.name}'); it would "
                                       "be ignored")
        logs = read_logs(args.logs, args.order)
        return output_table(method(logs, sequence=args.sequence, order=args.order), args)
    if not isinstance(model, TemporalQueries):
        raise UnsupportedError(f"'{args.command}' needs a temporal model; '{args.model}' is a "
                               f"{type(model).__name__}")
    logs = read_logs(args.logs, args.order)
    return output_table(method(logs, sequence=args.sequence, order=args.order,
                               groupby=args.groupby, keep=args.keep), args)


def _is_neural(model) -> bool:
    return type(model).__name__ == "NeuralTemporalModel"


def _fit_neural(model, args, progress: bool) -> int:
    """Maximum likelihood by minibatches; training flags left unset keep the defaults of
    :meth:`NeuralTemporalModel.fit`."""
    from pgmkit.cli.common import emit

    options = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr")
               if getattr(args, k) is not None}
    logs = read_logs(args.data, args.order)
    fitted = model.fit(logs, sequence=args.sequence, order=args.order,
                       seed=0 if args.seed is None else args.seed, progress=progress, **options)
    where = fitted.save(args.output)
    h = fitted.history
    summary = {"model": model.spec.name, "output": str(where), "method": h.method,
               "epochs": h.extra["epochs"], "sequences": h.extra["sequences"],
               "events": h.extra["events"],
               "log_likelihood_per_event": h.log_likelihood[-1] if h.log_likelihood else None}
    text = (f"fitted '{model.spec.name}' for {summary['epochs']} epochs on "
            f"{summary['sequences']} sequences ({summary['events']} events): log-likelihood "
            f"per event {summary['log_likelihood_per_event']:.4f}; saved to {where}")
    emit(summary if args.json else text, args)
    return 0


def fit(model, args) -> int:
    """``pgmkit fit`` for DynamicBayesNet, MixtureModel and NeuralTemporalModel."""
    from pgmkit.cli.common import emit, read_table, show_progress
    from pgmkit.mixture import MixtureModel

    progress = show_progress(args)
    if _is_neural(model):
        return _fit_neural(model, args, progress)
    seed = 0 if args.seed is None else args.seed
    # unset options fall back to the EM driver's defaults, the same as in Python
    options = {k: v for k, v in (("max_iter", args.max_iter), ("restarts", args.restarts),
                                 ("tol", args.tol), ("pseudo_count", args.pseudo_count))
               if v is not None}
    if isinstance(model, MixtureModel):
        fitted = model.fit(read_table(args.data), seed=seed, progress=progress, **options)
    else:
        logs = read_logs(args.data, args.order)
        fitted = model.fit(logs, sequence=args.sequence, order=args.order, groupby=args.groupby,
                           seed=seed, progress=progress, **options)
    where = _save(fitted, args.output, model.spec.name)
    history = fitted.history
    summary = {"model": model.spec.name, "output": str(where), "method": history.method,
               "iterations": len(history.log_likelihood),
               "log_likelihood": history.log_likelihood[-1], "converged": history.converged}
    if hasattr(fitted, "groupby"):
        summary["groups"] = len(fitted)
    emit(summary if args.json else f"{history}\nwrote {where}", args)
    return 0


def _save(fitted, output: str, name: str) -> Path:
    out = Path(output)
    if hasattr(fitted, "groupby"):
        if out.suffix:
            raise DataError(f"a grouped fit writes one file per group: give a folder for -o; "
                            f"received '{output}'")
        return fitted.save(out)
    if not out.suffix:
        from pgmkit.io.safe import make_dirs

        out = make_dirs(out) / f"{name}.yaml"
    return fitted.save(out)


def sample(model, args) -> int:
    """``pgmkit sample`` for DynamicBayesNet and NeuralTemporalModel (long-format
    sequences) and MixtureModel."""
    from pgmkit.cli.common import output_table
    from pgmkit.mixture import MixtureModel

    if isinstance(model, MixtureModel):
        frame = model.sample(args.n, seed=args.seed)
    else:
        frame = model.sample_sequences(args.n, args.length, seed=args.seed)
    return output_table(frame, args)


def demo(args) -> int:
    """Knowledge tracing on generated logs: sample, fit by EM, recover, predict."""
    import numpy as np

    import pgmkit
    from pgmkit.spec.cpd import TableCPD

    print("== temporal: Bayesian knowledge tracing learned by EM from generated logs ==")
    truth = pgmkit.example("bkt").spec.with_cpds(
        {"mastery": TableCPD([[0.75, 0.25], [0.0, 1.0]]),
         "correct": TableCPD([[0.7, 0.3], [0.12, 0.88]])},
        initial={"mastery": TableCPD([0.65, 0.35])})
    logs = pgmkit.DynamicBayesNet(truth).sample_sequences(400, 12, seed=7,
                                                          sequence="student", order="step")
    hidden = logs.drop(columns=["mastery"])
    print(f"generated {len(hidden)} answers of {hidden['student'].nunique()} students; "
          "mastery hidden")
    fitted = pgmkit.example("bkt").fit(hidden, sequence="student", order="step", seed=0,
                                       progress=False)
    s = fitted.spec
    rows = [("prior", truth["mastery"].initial.table[1], s["mastery"].initial.table[1]),
            ("learn", truth["mastery"].cpd.table[0, 1], s["mastery"].cpd.table[0, 1]),
            ("guess", truth["correct"].cpd.table[0, 1], s["correct"].cpd.table[0, 1]),
            ("slip", truth["correct"].cpd.table[1, 0], s["correct"].cpd.table[1, 0])]
    print(f"{fitted.history}")
    print("parameter  true   learned")
    for name, t, got in rows:
        print(f"{name:<9}  {t:.3f}  {got:.3f}")
    smooth = fitted.smooth(hidden, sequence="student", order="step")
    acc = float(np.mean((smooth["P(mastery=yes)"] > 0.5).map({True: "yes", False: "no"})
                        == logs["mastery"]))
    pred = fitted.predict_next(hidden, sequence="student", order="step")["P(correct=1)"]
    print(f"smoothed mastery matches the hidden truth on {acc:.1%} of answers; mean predicted "
          f"p(correct) {pred.mean():.3f} vs observed {hidden['correct'].astype(int).mean():.3f}")
    return 0
