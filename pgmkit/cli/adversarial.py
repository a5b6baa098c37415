"""CLI commands for adversarial models (implicit CPDs): train, fit, sample, score.

    pgmkit train models/gan.yaml --data digits -o runs/gan --png losses.png
    pgmkit sample runs/cgan -n 16 --given y=7 --png sevens.png
    pgmkit sample runs/cyclegan --given a=digits.npy -o translated.npz
    pgmkit score runs/gan --json
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pgmkit.cli.common import emit, load_model, parse_given, show_progress
from pgmkit.cli.deep import report_draws
from pgmkit.errors import DataError, UnsupportedError

DATASETS = ("digits", "digits:train", "digits:test")


def register(sub, shared) -> None:
    p = sub.add_parser("score", help="digit scores of an adversarial model: Frechet distance "
                       "(FID-style), MMD, classes covered, class accuracy / code matching")
    p.add_argument("model", help="a saved model directory, a .yaml file or an example name")
    p.add_argument("-n", type=int, default=1000, help="samples to score (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", help="also write a grid of 64 samples here")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=score)


def read_data(ref: str, model):
    """The bundled digits (scaled to [0, 1], not binarized) shaped for ``model``, or a file."""
    spec = model.spec
    if ref not in DATASETS:
        from pgmkit.cli.deep import read_data as read_file

        return read_file(ref, model)
    from pgmkit.datasets import digits

    split = ref.split(":")[1] if ":" in ref else "train"
    roles = model.roles()
    if roles.get("domains"):
        a, b = roles["domains"]
        first, second = digits.domains(split)
        return {a: first, b: second}
    x, y = digits.load(split, binarize=False)
    image, label = roles["image"], roles.get("label")
    if spec[image].domain.size != x.shape[1]:
        raise DataError(f"the digits are rows of 64 pixels; '{image}' of model '{spec.name}' "
                        f"has shape {list(spec[image].domain.shape)}")
    data = {image: x.reshape((len(x),) + spec[image].domain.shape)}
    if label:
        data[label] = y.astype(str)
    return data


def _training_kwargs(args) -> dict:
    out = {}
    for key, name in (("epochs", "epochs"), ("batch_size", "batch_size"), ("lr", "lr")):
        value = getattr(args, key, None)
        if value is not None:
            out[name] = value
    return out


def train_model(model, args, data_ref: str | None = None) -> int:
    """``pgmkit train`` / ``pgmkit fit`` for an adversarial model."""
    for flag, name in (("validation", "--validation"), ("patience", "--patience")):
        if getattr(args, flag, None) is not None:
            raise UnsupportedError(f"{name} applies to models fitted by a likelihood; "
                                   f"'{model.spec.name}' is trained adversarially")
    data = read_data(data_ref or args.data, model)
    model.fit(data, seed=args.seed if args.seed is not None else 0,
              progress=show_progress(args),
              checkpoint_dir=getattr(args, "checkpoint", None),
              resume=getattr(args, "resume", False), **_training_kwargs(args))
    out = model.save(args.output)
    h = model.history
    summary = {"model": model.spec.name, "output": str(out), "epochs": h.extra["epochs"],
               "critic_loss": h.critic[-1] if h.critic else None,
               "generator_loss": h.generator[-1] if h.generator else None}
    if args.png:
        from pgmkit.evaluate.plots import loss_curves

        summary["png"] = str(loss_curves(h, args.png))
    if args.json:
        emit(summary, args)
    else:
        line = f"trained '{summary['model']}' for {summary['epochs']} epochs"
        if h.critic:
            line += f": critic loss {h.critic[-1]:.3f}, generator loss {h.generator[-1]:.3f}"
        print(line + f"; saved to {out}" + (f"; curves {summary['png']}" if args.png else ""))
    return 0


def fit(model, args) -> int:
    """``pgmkit fit MODEL DATA -o DIR`` for an adversarial model."""
    return train_model(model, args, args.data)


def _given(model, items) -> dict:
    """``--given y=7``; a real variable's value is a .npy file of rows."""
    out = {}
    for name, value in parse_given(items).items():
        if name in model.spec and not model.spec[name].is_discrete:
            path = Path(value)
            if path.suffix != ".npy" or not path.is_file():
                raise DataError(f"--given {name}=...: '{name}' is real-valued, so give a .npy "
                                f"file of its rows; received '{value}'")
            try:
                out[name] = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise DataError(f"{value}: cannot read as .npy: {str(exc).splitlines()[0]}") \
                    from None
        else:
            out[name] = value
    return out


def sample(model, args) -> int:
    """``pgmkit sample MODEL -n N [--given y=7] [--png grid.png] [-o out.npz]``."""
    if getattr(args, "mean", False):
        raise UnsupportedError(f"--mean applies to models with a likelihood; the implicit CPDs "
                               f"of '{model.spec.name}' are deterministic given their parents")
    given = _given(model, getattr(args, "given", None))
    n = args.n
    if model.roles().get("domains"):
        if len(given) != 1:
            a, b = model.roles()["domains"]
            raise DataError(f"'{model.spec.name}' translates images: give --given {a}=FILE.npy "
                            f"or --given {b}=FILE.npy")
        n = len(np.asarray(next(iter(given.values()))).reshape(-1, 64))
    draws = model.sample(n, given=given or None, seed=args.seed)
    return report_draws(model, draws, args, n)


def score(args) -> int:
    """``pgmkit score MODEL [-n 1000] [--json]``: the digit scores of pgmkit.evaluate."""
    from pgmkit.adversarial import AdversarialModel

    model = load_model(args.model)
    if not isinstance(model, AdversarialModel):
        raise UnsupportedError(f"'score' rates generated digits of adversarial models; "
                               f"'{model.spec.name}' is a {type(model).__name__}")
    if args.n < 2:
        raise DataError(f"-n must be at least 2; received {args.n}")
    result = model.score(n=args.n, seed=args.seed)
    if args.png:
        from pgmkit.plots import sample_grid

        roles = model.roles()
        if not roles.get("domains"):
            result["png"] = str(sample_grid(model.sample(64, seed=args.seed)[roles["image"]],
                                            args.png))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:18s} {value:.4f}" if isinstance(value, float) else f"{key:18s} {value}")
    return 0

