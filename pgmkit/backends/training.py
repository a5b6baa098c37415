"""Maximum-likelihood training of a torch module by minibatch Adam.

Used by the engines whose objective is an exact log-likelihood (autoregressive models,
neural temporal models). The caller supplies ``batch_loss(index, generator)``: the mean
negative log-likelihood per item of the minibatch ``index``. Minibatch order comes from a
``torch.Generator`` seeded from ``seed``; the generator state, the optimizer and the
module go into a per-epoch checkpoint written atomically, so a resumed run continues
exactly where an uninterrupted one would be.
"""
from __future__ import annotations

import copy
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from pgmkit.errors import DataError, PgmkitError

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one run; see the ``fit`` methods that build it."""

    epochs: int = 50
    batch_size: int = 100
    lr: float = 1e-3
    seed: int = 0
    progress: bool = True
    patience: int | None = None
    checkpoint_dir: str | os.PathLike | None = None
    resume: bool = False
    clip: float | None = None
    desc: str = "fit"

    def check(self) -> None:
        if self.batch_size < 1 or self.epochs < 0 or not self.lr > 0:
            raise DataError(f"epochs must be >= 0, batch_size >= 1 and lr > 0; received epochs="
                            f"{self.epochs}, batch_size={self.batch_size}, lr={self.lr}")
        if self.patience is not None and self.patience < 1:
            raise DataError(f"patience must be >= 1; received {self.patience}")


@dataclass
class TrainState:
    """Per-epoch mean log-likelihood per item (train and held-out), best held-out epoch."""

    epoch: int = 0
    train: list[float] = field(default_factory=list)
    valid: list[float] = field(default_factory=list)
    best: float = -math.inf
    best_state: dict | None = None
    bad_epochs: int = 0
    stopped_early: bool = False


def adam(module: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam, with the fused kernel where torch has one (much faster for small networks)."""
    params = list(module.parameters())
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.Adam(params, lr=lr)


def train(module: torch.nn.Module, n: int, batch_loss: Callable, config: TrainConfig,
          valid_score: Callable[[], float] | None = None,
          batches: Callable[[torch.Generator], list] | None = None) -> TrainState:
    """Fit ``module`` in place; return the run's :class:`TrainState`.

    ``batch_loss(index, generator)`` returns the mean loss per item of a minibatch, or
    ``(loss, weight)`` when items weigh differently in the epoch's mean (sequences, by
    their events). ``batches(generator)`` lists an epoch's minibatches (default: a random
    permutation of ``range(n)`` cut into ``batch_size`` pieces). ``valid_score()`` is the
    held-out mean log-likelihood per item (higher is better); the module ends with the
    parameters of its best held-out epoch when one is given.
    """
    from tqdm.auto import tqdm

    config.check()
    if config.patience is not None and valid_score is None:
        raise DataError("early stopping (patience) needs validation data")
    optimizer = adam(module, config.lr)
    gen = torch.Generator().manual_seed(int(config.seed))
    state = TrainState()
    ckpt = Path(config.checkpoint_dir) / CHECKPOINT if config.checkpoint_dir else None
    if config.resume and ckpt is not None and ckpt.is_file():
        state = _restore(ckpt, module, optimizer, gen)
        log.info("resuming from %s after epoch %d", ckpt, state.epoch)
    bar = tqdm(range(state.epoch, config.epochs), disable=not config.progress, desc=config.desc,
               unit="epoch", leave=False)
    for epoch in bar:
        module.train()
        state.train.append(_epoch(module, n, batch_loss, optimizer, gen, config, batches))
        postfix = {"loglik": f"{state.train[-1]:.4f}"}
        if valid_score is not None:
            module.eval()
            with torch.no_grad():
                state.valid.append(float(valid_score()))
            postfix["valid"] = f"{state.valid[-1]:.4f}"
            if state.valid[-1] > state.best:
                state.best, state.bad_epochs = state.valid[-1], 0
                state.best_state = copy.deepcopy(module.state_dict())
            else:
                state.bad_epochs += 1
        bar.set_postfix(postfix)
        state.epoch = epoch + 1
        if config.patience is not None and state.bad_epochs >= config.patience:
            state.stopped_early = True
        if ckpt is not None:
            _save(ckpt, module, optimizer, gen, state)
        if state.stopped_early:
            log.info("early stop after epoch %d: no held-out gain in %d epochs", state.epoch,
                     config.patience)
            break
    bar.close()
    module.eval()
    if state.best_state is not None:
        module.load_state_dict(state.best_state)
    return state


def _epoch(module, n, batch_loss, optimizer, gen, config: TrainConfig, batches) -> float:
    if batches is None:
        perm = torch.randperm(n, generator=gen)
        pieces = [perm[i:i + config.batch_size] for i in range(0, n, config.batch_size)]
    else:
        pieces = batches(gen)
    total, weight = torch.zeros(()), 0.0
    for idx in pieces:
        optimizer.zero_grad()
        loss = batch_loss(idx, gen)
        loss, w = loss if isinstance(loss, tuple) else (loss, len(idx))
        loss.backward()
        if config.clip is not None:
            torch.nn.utils.clip_grad_norm_(module.parameters(), config.clip)
        optimizer.step()
        total += loss.detach() * w
        weight += w
    total = float(total)
    if not math.isfinite(total):
        raise PgmkitError(f"training diverged ({config.desc}: the loss is {total}); lower lr or "
                          "check the data scale")
    return -total / max(weight, 1.0)


def _save(path: Path, module, optimizer, gen, state: TrainState) -> None:
    """Write the checkpoint atomically: a crash mid-write leaves the previous one intact."""
    from pgmkit.io.safe import make_dirs, save_weights

    make_dirs(path.parent, "checkpoint folder")
    payload = {"module": module.state_dict(), "optimizer": optimizer.state_dict(),
               "generator": gen.get_state(), "state": dict(vars(state))}
    save_weights(payload, path, "checkpoint")


def _restore(path: Path, module, optimizer, gen) -> TrainState:
    from pgmkit.io.safe import load_weights

    payload = load_weights(path, "checkpoint")
    if not isinstance(payload, dict) or "module" not in payload:
        raise DataError(f"{path}: not a checkpoint written by pgmkit")
    try:
        module.load_state_dict(payload["module"])
    except RuntimeError as exc:
        raise DataError(f"checkpoint {path} does not fit this model: "
                        f"{str(exc).splitlines()[0]}") from None
    optimizer.load_state_dict(payload["optimizer"])
    gen.set_state(payload["generator"])
    return TrainState(**payload["state"])
