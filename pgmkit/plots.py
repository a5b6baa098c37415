"""PNG figures for deep models: sample grids, reconstructions, ELBO curves, latent scatter.

matplotlib is imported inside each function with the non-interactive Agg backend, so
plotting works on servers and ``import pgmkit`` stays light. Every function writes one
PNG and returns its path.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from pgmkit.errors import DataError


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _image_shape(size: int, shape: Sequence[int] | None) -> tuple[int, int]:
    if shape is not None:
        return int(shape[0]), int(shape[1])
    side = int(round(math.sqrt(size)))
    if side * side != size:
        raise DataError(f"cannot lay out {size} values as a square image; pass shape=(h, w)")
    return side, side


def _save(fig, path) -> Path:
    from pgmkit.io.safe import atomic_write

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight",
                                                   format=fmt))
    except ValueError as exc:  # matplotlib: an unknown image format
        raise DataError(f"{path}: cannot write a '{fmt}' image ({exc})") from None
    finally:
        _pyplot().close(fig)
    return path


def sample_grid(images, path: str | os.PathLike, shape: Sequence[int] | None = None,
                columns: int | None = None, title: str | None = None) -> Path:
    """A grid of images (rows of pixel values in [0, 1]) written to ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> sample_grid(np.random.rand(16, 64), tempfile.mkdtemp() + "/grid.png").suffix
    '.png'
    """
    plt = _pyplot()
    arr = np.asarray(images, dtype=float)
    arr = arr.reshape(len(arr), -1)
    h, w = _image_shape(arr.shape[1], shape)
    cols = columns or int(math.ceil(math.sqrt(len(arr))))
    rows = int(math.ceil(len(arr) / cols))
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), 0.15)  # light separators
    for i, img in enumerate(arr):
        r, c = divmod(i, cols)
        canvas[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = img.reshape(h, w)
    fig, ax = plt.subplots(figsize=(max(2.0, cols * 0.6), max(2.0, rows * 0.6)))
    ax.imshow(canvas, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return _save(fig, path)


def reconstructions(model, x, path: str | os.PathLike, n: int = 8,
                    shape: Sequence[int] | None = None) -> Path:
    """Top row: inputs; bottom row: the model's reconstructions of them."""
    if isinstance(x, dict):
        first = {k: np.asarray(v)[:n] for k, v in x.items()}
        images = next(np.asarray(v, dtype=float) for k, v in first.items()
                      if not model.spec[k].is_discrete)
    else:
        first = images = np.asarray(x, dtype=float)[:n]
    recon = model.reconstruct(first)
    recon = recon if isinstance(recon, np.ndarray) else next(iter(recon.values()))
    both = np.concatenate([images.reshape(len(images), -1), recon.reshape(len(recon), -1)])
    return sample_grid(both, path, shape, columns=len(images), title="inputs / reconstructions")


def elbo_curve(history, path: str | os.PathLike) -> Path:
    """Training ELBO per epoch (and the held-out ELBO when the fit had validation data)."""
    plt = _pyplot()
    if history is None or not history.log_likelihood:
        raise DataError("the model has no training history: fit it first")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    epochs = np.arange(1, len(history.log_likelihood) + 1)
    ax.plot(epochs, history.log_likelihood, label="train")
    valid = history.extra.get("valid_elbo") or ()
    if valid:
        ax.plot(np.arange(1, len(valid) + 1), valid, label="held-out")
    ax.set_xlabel("epoch")
    ax.set_ylabel("ELBO per row (nats)")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


def latent_scatter(model, x, labels, path: str | os.PathLike,
                   variable: str | None = None) -> Path:
    """The first two coordinates of each row's code, coloured by its label."""
    plt = _pyplot()
    codes = np.asarray(model.encode(x, variable))
    codes = codes.reshape(len(codes), -1)
    if codes.shape[1] < 2:
        raise DataError(f"the latent has {codes.shape[1]} dimension(s); a scatter needs 2")
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for lab in np.unique(labels):
        pick = labels == lab
        ax.scatter(codes[pick, 0], codes[pick, 1], s=8, label=str(lab), alpha=0.8)
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.legend(markerscale=2, fontsize=7, ncol=2)
    return _save(fig, path)
