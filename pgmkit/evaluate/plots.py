"""PNG figures for adversarial models: both losses per epoch, InfoGAN code traversals,
CycleGAN translations. Sample grids are :func:`pgmkit.plots.sample_grid`.

Each function writes one PNG and returns its path; matplotlib is imported inside.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pgmkit.errors import DataError
from pgmkit.plots import _pyplot, _save, sample_grid


def loss_curves(history, path: str | os.PathLike) -> Path:
    """The critic's and the generator's mean loss per epoch (and the info / cycle terms)."""
    if history is None or not getattr(history, "critic", ()):
        raise DataError("the model has no adversarial training history: fit it first")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    epochs = np.arange(1, len(history.critic) + 1)
    ax.plot(epochs, history.critic, label="critic")
    ax.plot(epochs, history.generator, label="generator")
    for name in ("info", "cycle"):
        values = getattr(history, name)
        if values:
            ax.plot(epochs, values, label=name, linestyle="--")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


def code_traversal(model, path: str | os.PathLike, code: str | None = None, per_value: int = 8,
                   seed: int = 0) -> Path:
    """InfoGAN's codes at work: each column keeps one draw of the other latents; each row
    sets the code to one of its values (a categorical code), or sweeps its first dimension
    from -2 to 2 (a real code)."""
    roles = model.roles()
    code = code or roles.get("code") or next(iter(roles.get("codes") or ()), None)
    if code is None or code not in model.layout.noise:
        raise DataError(f"model '{model.spec.name}' has no latent code to traverse; received "
                        f"{code!r}")
    var, image = model.spec[code], roles["image"]
    base = model.sample(per_value, seed=seed)
    held = {n: base[n] for n in model.layout.noise if n != code}
    if var.is_discrete:
        settings = list(var.states)
    else:
        settings = []
        for v in np.linspace(-2.0, 2.0, 8):
            values = np.array(base[code], dtype=float).reshape(per_value, -1)
            values[:, 0] = v
            settings.append(values.reshape(base[code].shape))
    rows = [model.sample(per_value, given={**held, code: value}, seed=seed)[image]
            for value in settings]
    grid = np.concatenate([r.reshape(per_value, -1) for r in rows])
    return sample_grid(grid, path, columns=per_value, title=f"traversal of code '{code}'")


def translations(model, images, path: str | os.PathLike, source: str | None = None) -> Path:
    """Top row: images of one domain; bottom row: their translations into the other."""
    roles = model.roles()
    if not roles.get("domains"):
        raise DataError(f"model '{model.spec.name}' is not a two-domain translation")
    a, b = roles["domains"]
    source = source or a
    target = b if source == a else a
    imgs = np.asarray(images, dtype=float).reshape(len(images), -1)
    out = model.sample(len(imgs), given={source: imgs})[target].reshape(len(imgs), -1)
    return sample_grid(np.concatenate([imgs, out]), path, columns=len(imgs),
                       title=f"{source} -> {target}")
