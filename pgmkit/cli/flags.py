"""Every CLI flag is honoured or refused: one table of which flags apply to what.

``fit`` and ``sample`` take flags for every model kind (``--groupby`` for temporal
models, ``--epochs`` for deep ones, ``--given`` for discrete networks...). A flag given
for a model it does not apply to used to be ignored, so ``pgmkit sample bkt --given
correct=1`` printed unconditioned samples. :func:`refuse_inapplicable` compares the
parsed arguments with the parser's defaults and refuses, with exit code 2, any flag
the model kind (and, for discrete fits, the method) does not use.

:func:`check_outputs` refuses a bad ``-o`` (a directory, a device, under a file, one
of the command's inputs) before any long work starts.
"""
from __future__ import annotations

from pgmkit.errors import UnsupportedError

#: Flags (argparse dests) each command honours, per model class; others are refused.
#: ``--no-progress`` is a display preference (a command with no bar has nothing to hide)
#: and ``--backend`` is checked by the backend contract itself, so both always apply.
COMMON = {"command", "func", "model", "data", "output", "json", "debug", "threads", "seed",
          "n", "_parser", "no_progress", "backend"}
FIT = {
    "BayesNet": {"method", "prior", "pseudo_count", "max_iter", "restarts", "tol"},
    "DynamicBayesNet": {"sequence", "order", "groupby", "max_iter", "restarts", "tol",
                        "pseudo_count"},
    "MixtureModel": {"max_iter", "restarts", "tol", "pseudo_count"},
    "DeepModel": {"epochs", "batch_size", "lr", "png"},
    "AutoregressiveModel": {"epochs", "batch_size", "lr", "png"},
    "AdversarialModel": {"epochs", "batch_size", "lr", "png"},
    "NeuralTemporalModel": {"sequence", "order", "epochs", "batch_size", "lr"},
}
SAMPLE = {
    "BayesNet": {"given", "method"},
    "DynamicBayesNet": {"length"},
    "MixtureModel": set(),
    "DeepModel": {"given", "png", "mean"},
    "AutoregressiveModel": {"given", "png"},
    "AdversarialModel": {"given", "png"},
    "NeuralTemporalModel": {"length"},
}
#: For discrete fits, the flags each method uses.
BAYESNET_METHODS = {
    "mle": set(),
    "bayes": {"prior", "pseudo_count"},
    "em": {"pseudo_count", "max_iter", "restarts", "seed", "tol"},
}
#: Inputs a command reads: an output path may not be any of them.
INPUT_DESTS = ("model", "data", "input", "logs", "batch", "validation", "models")


def _option(parser, dest: str) -> str:
    for action in parser._actions:
        if action.dest == dest and action.option_strings:
            return max(action.option_strings, key=len)
    return dest


def _changed(args) -> list[str]:
    parser = getattr(args, "_parser", None)
    if parser is None:
        return []
    out = []
    for dest, value in vars(args).items():
        if dest.startswith("_") or dest in COMMON:
            continue
        if value != parser.get_default(dest):
            out.append(dest)
    return out


def refuse_inapplicable(args, command: str, model, method: str | None = None) -> None:
    """Refuse flags that ``command`` ignores for this kind of model (exit code 2)."""
    kind = type(model).__name__
    if kind == "GroupedDynamicBayesNet":
        kind = "DynamicBayesNet"
    table = FIT if command == "fit" else SAMPLE
    allowed = set(table.get(kind, set()))
    if kind == "BayesNet" and command == "fit" and method is not None:
        allowed = {"method"} | BAYESNET_METHODS.get(method, set())
    parser = getattr(args, "_parser", None)
    for dest in _changed(args):
        if dest not in allowed:
            flag = _option(parser, dest)
            what = f"a {kind}" + (f" fitted by method '{method}'" if method else "")
            raise UnsupportedError(f"{flag} does not apply to '{command}' of {what} "
                                   f"('{model.name}'); it would be ignored")
    if command == "fit" and kind == "BayesNet" and method == "mle" and args.seed is not None:
        raise UnsupportedError("--seed does not apply to 'fit' by method 'mle' (it draws "
                               "nothing at random); it would be ignored")


def refuse_train_flags(args) -> None:
    """``train`` flags that only mean something together."""
    if getattr(args, "resume", False) and not getattr(args, "checkpoint", None):
        raise UnsupportedError("--resume continues from the checkpoint in --checkpoint DIR; "
                               "give --checkpoint too")
    if getattr(args, "patience", None) is not None and not getattr(args, "validation", None):
        raise UnsupportedError("--patience stops on held-out data: give --validation too")


def check_outputs(args, directory: bool | None = None) -> None:
    """Refuse a bad ``-o`` before the command does any work."""
    from pgmkit.io.safe import check_output

    out = getattr(args, "output", None)
    if not out:
        return
    inputs = []
    for dest in INPUT_DESTS:
        value = getattr(args, dest, None)
        inputs += value if isinstance(value, list) else [value] if value else []
    check_output(out, inputs, directory=directory)
