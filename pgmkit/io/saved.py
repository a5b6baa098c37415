"""Saved model folders: ``model.yaml`` (the spec, learned tables included) beside
``weights.pt`` (the networks' state dict), for every class whose parameters include
networks (deep, adversarial, autoregressive and neural temporal models).

One writer and one reader, so every such folder is written atomically through
:mod:`pgmkit.io.safe` and read back with the ``weights_only`` guard, and a folder
missing its weights is refused instead of loading an untrained model.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from pgmkit.errors import SpecError

SPEC_FILE, WEIGHTS_FILE = "model.yaml", "weights.pt"


def save_model_dir(spec, state_dict: dict, path: str | os.PathLike) -> Path:
    """Write ``path/model.yaml`` and ``path/weights.pt`` (each atomically)."""
    from pgmkit.io.files import write_spec
    from pgmkit.io.safe import make_dirs, save_weights

    folder = make_dirs(path, "saved model folder")
    write_spec(spec, folder / SPEC_FILE)
    save_weights(state_dict, folder / WEIGHTS_FILE)
    return folder


def load_model_dir(path: str | os.PathLike, build: Callable[[Any, dict], Any],
                   what: str = "model") -> Any:
    """``build(spec, weights)`` from a folder written by :func:`save_model_dir`.

    Raises
    ------
    SpecError
        The folder has no spec or no weights, the weights are not a state dict written
        by pgmkit (or hold objects the ``weights_only`` guard refuses), or they do not
        fit the spec's networks.
    """
    from pgmkit.io.files import read_spec
    from pgmkit.io.safe import load_weights

    folder = Path(path)
    if not os.path.lexists(folder / SPEC_FILE):
        raise SpecError(f"{folder} is not a saved {what}: it has no {SPEC_FILE}")
    spec = read_spec(folder / SPEC_FILE)
    if not os.path.lexists(folder / WEIGHTS_FILE):
        # the writer always writes both: a folder without weights would load untrained
        raise SpecError(f"{folder / WEIGHTS_FILE}: missing; a saved {what} has its weights "
                        f"next to {SPEC_FILE}")
    weights = load_weights(folder / WEIGHTS_FILE, "weights file", SpecError)
    if not isinstance(weights, dict):
        raise SpecError(f"{folder / WEIGHTS_FILE}: not a weights file written by pgmkit "
                        f"(a {type(weights).__name__}, not a state dict)")
    try:
        return build(spec, weights)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"{folder / WEIGHTS_FILE} does not fit {folder / SPEC_FILE}: "
                        f"{str(exc).splitlines()[0]}") from None
