"""CLI commands for deep models (DeepModel, Pyro): train, and fit/sample/demo for them.

    pgmkit train models/vae.yaml --data digits --epochs 50 -o runs/vae
    pgmkit sample runs/vae -n 64 --mean --png grid.png
    pgmkit sample runs/cvae -n 16 --given y=3 --mean --png threes.png
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from pgmkit.cli.common import emit, load_model, parse_given, show_progress
from pgmkit.errors import DataError, UnsupportedError, did_you_mean

DATASETS = ("digits", "digits:train", "digits:test")


def register(sub, shared) -> None:
    p = sub.add_parser("train", help="fit a deep model (by SVI, or adversarially when its spec "
                       "names an adversarial objective)")
    p.add_argument("model", help="a .yaml file, a saved model directory, or an example name")
    p.add_argument("--data", required=True,
                   help="digits (the bundled digits, train split), digits:test, or a .npy/.npz/"
                        ".csv file")
    p.add_argument("-o", "--output", required=True, help="directory to write the fitted model")
    p.add_argument("--validation", help="held-out data (same forms as --data), e.g. digits:test")
    p.add_argument("--patience", type=int, default=None,
                   help="with --validation: stop after this many epochs without a gain")
    p.add_argument("--checkpoint", metavar="DIR", help="write a checkpoint here every epoch")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in DIR")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    _training_options(p)
    p.set_defaults(func=train)
    _training_options(shared["fit"])
    s = shared["sample"]
    s.add_argument("--png", help="deep models: write the samples as an image grid")
    s.add_argument("--mean", action="store_true",
                   help="deep models: report distribution means (pixel probabilities) not draws")


def _training_options(p) -> None:
    p.add_argument("--epochs", type=int, default=None,
                   help="deep models: epochs (default 50; adversarial models 200; "
                   "neural temporal models 10)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="deep models: minibatch size (default 100; adversarial models 64; "
                   "neural temporal models 32 sequences)")
    p.add_argument("--lr", type=float, default=None,
                   help="deep models: Adam learning rate (default 1e-3; neural temporal "
                   "models 1e-2)")
    p.add_argument("--png", help="deep models: write the ELBO (or adversarial loss) curves here")


def read_data(ref: str, model):
    """A dataset name or an array file, shaped for ``model`` (array or dict by variable)."""
    spec = model.spec
    if ref in DATASETS:
        from pgmkit.datasets import digits

        x, y = digits.load(ref.split(":")[1] if ":" in ref else "train")
        if "x" not in spec:
            raise DataError(f"the digits data has columns x (64 pixels) and y (label); model "
                            f"'{spec.name}' has variables {list(spec.names)}")
        if "y" in spec and not spec["y"].latent:
            return {"x": x, "y": y}
        return x if len(spec.observed_names) == 1 else {"x": x}
    path = Path(ref)
    if not path.exists() and not path.is_symlink():
        raise DataError(f"{ref}: no such file or dataset{did_you_mean(ref, DATASETS)}; datasets "
                        f"are {list(DATASETS)}")
    if path.suffix == ".csv":
        from pgmkit.cli.common import read_table

        return read_table(path)
    if path.suffix in (".npy", ".npz"):
        from pgmkit.io.safe import open_data

        import zipfile

        try:
            loaded = np.load(open_data(path), allow_pickle=False)
            if path.suffix == ".npy" or not hasattr(loaded, "files"):
                return loaded
            with loaded as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(f"{ref}: cannot read as {path.suffix}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                            ) from None
    raise DataError(f"{ref}: expected a .npy, .npz or .csv file, or one of {list(DATASETS)}")


def _require_deep(model):
    """The model as a DeepModel (SVI on Pyro), which 'train' fits; refused if Pyro cannot."""
    from pgmkit.backends.contract import engine
    from pgmkit.deep import DeepModel

    if isinstance(model, DeepModel):
        return model
    if engine("pyro").supports(model.spec, "fit_svi"):
        return DeepModel(model.spec)
    raise UnsupportedError(f"'train' fits deep models; '{model.spec.name}' is a "
                           f"{type(model).__name__}: use 'pgmkit fit'")


def _fit_and_save(model, data_ref: str, args, validation_ref: str | None = None) -> int:
    data = read_data(data_ref, model)
    valid = read_data(validation_ref, model) if validation_ref else None
    fitted = model.fit(data, epochs=_or(args.epochs, 50), batch_size=_or(args.batch_size, 100),
                       lr=_or(args.lr, 1e-3),
                       seed=args.seed if args.seed is not None else 0,
                       progress=show_progress(args), validation=valid,
                       patience=getattr(args, "patience", None),
                       checkpoint_dir=getattr(args, "checkpoint", None),
                       resume=getattr(args, "resume", False))
    out = fitted.save(args.output)
    h = fitted.history
    exact = "valid_log_likelihood" in h.extra      # an exact-likelihood fit, not SVI
    valid_key = "valid_log_likelihood" if exact else "valid_elbo"
    summary = {"model": fitted.spec.name, "output": str(out), "epochs": h.extra["epochs"],
               "train_elbo": h.log_likelihood[-1] if h.log_likelihood else None,
               "valid_elbo": h.extra[valid_key][-1] if h.extra[valid_key] else None,
               "stopped_early": h.converged}
    if args.png:
        from pgmkit.plots import elbo_curve

        summary["png"] = str(elbo_curve(h, args.png))
    if args.json:
        emit(summary, args)
    else:
        what = "log-likelihood" if exact else "ELBO"
        line = f"trained '{summary['model']}' for {summary['epochs']} epochs: {what} per row "
        line += f"{summary['train_elbo']:.3f}" if summary["train_elbo"] is not None else "n/a"
        if summary["valid_elbo"] is not None:
            line += f" (held-out {summary['valid_elbo']:.3f})"
        print(line + f"; saved to {out}" + (f"; curve {summary['png']}" if args.png else ""))
    return 0


def _or(value, default):
    return default if value is None else value


def train(args) -> int:
    from pgmkit.adversarial import AdversarialModel
    from pgmkit.cli.flags import refuse_train_flags

    refuse_train_flags(args)
    model = load_model(args.model)
    if isinstance(model, AdversarialModel):
        from pgmkit.cli.adversarial import train_model

        return train_model(model, args)
    if model.operation != "fit_exact":        # autoregressive models train by exact likelihood
        model = _require_deep(load_model(args.model, "pyro"))
    return _fit_and_save(model, args.data, args, args.validation)


def fit(model, args) -> int:
    """``pgmkit fit MODEL DATA -o DIR`` for a deep model."""
    return _fit_and_save(model, args.data, args)


def sample(model, args) -> int:
    """``pgmkit sample MODEL -n N [--given y=3] [--mean] [--png grid.png] [-o out.npz]``."""
    given = parse_given(getattr(args, "given", None))
    extra = {"mean": True} if args.mean else {}     # only deep models report means
    draws = model.sample(args.n, given=given or None, seed=args.seed, **extra)
    return report_draws(model, draws, args, args.n)


def report_draws(model, draws: dict, args, n: int) -> int:
    """Write ``--png`` (a grid of the first real observed variable) and ``-o`` (an .npz,
    atomically, never over the model's own files), then print what was drawn (or, with
    ``--json``, the draws themselves when nothing was written)."""
    wrote = []
    if args.png:
        from pgmkit.plots import sample_grid

        real = [k for k, v in draws.items() if v.dtype != object and v.ndim > 1
                and not model.spec[k].latent]
        if not real:
            raise DataError("--png draws images of a real observed variable; this model has none")
        images = draws[real[0]]
        wrote.append(str(sample_grid(images.reshape(len(images), -1), args.png)))
    if args.output:
        from pgmkit.io.safe import atomic_write

        path = Path(args.output)
        path = path if path.suffix == ".npz" else path.with_name(path.name + ".npz")
        arrays = {k: (v.astype(str) if v.dtype == object else v) for k, v in draws.items()}

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:      # a handle: numpy would append .npz to a name
                np.savez(fh, **arrays)

        wrote.append(str(atomic_write(path, write, [args.model])))
    if args.json:
        emit({k: v for k, v in draws.items()} if not wrote else
             {"samples": n, "wrote": wrote}, args)
    elif not wrote:
        for k, v in draws.items():
            print(f"{k}: shape {list(v.shape)}")
            print(np.array2string(v[: min(5, len(v))], precision=3, threshold=60))
    else:
        print(f"drew {n} samples; wrote " + ", ".join(wrote))
    return 0


def demo(args) -> int:
    """A VAE on the bundled digits: 50 epochs (a few seconds), ELBO before/after, a PNG."""
    import pgmkit
    from pgmkit.datasets import digits
    from pgmkit.plots import sample_grid

    x, _ = digits.load("train")
    xt, _ = digits.load("test")
    vae = pgmkit.example("vae")
    print("== deep: a VAE for 8x8 digits, written in YAML (models/vae.yaml), fitted by SVI")
    print(vae.describe())
    before = vae.elbo(xt)
    epochs = 50
    fitted = vae.fit(x, epochs=epochs, progress=False, seed=0)
    print(f"test ELBO per image: {before:.2f} before training, {fitted.elbo(xt):.2f} after "
          f"{epochs} epochs; importance-weighted log p(x) (K=50): "
          f"{fitted.log_likelihood(xt, num_samples=50) / len(xt):.2f} per image")
    out = Path(tempfile.mkdtemp(prefix="pgmkit-demo-")) / "vae_samples.png"
    sample_grid(fitted.sample(36, seed=0, mean=True)["x"], out)
    print(f"36 sampled digits: {out}")
    return 0
