"""Stochastic variational inference for a compiled :class:`Program`.

Minibatches come from a per-epoch permutation drawn from a ``torch.Generator``; all
Pyro sampling draws from torch's global generator inside ``torch.random.fork_rng``,
seeded from ``seed``, so a fit is deterministic and leaves the caller's RNG untouched.
Both generators' states go into the per-epoch checkpoint, so a resumed run continues
the very same sequence of minibatches and samples as an uninterrupted one.
"""
from __future__ import annotations

import copy
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import torch

from pgmkit.backends.pyro.compile import Program
from pgmkit.backends.training import TrainConfig as BaseConfig
from pgmkit.backends.training import adam
from pgmkit.errors import DataError, PgmkitError

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig(BaseConfig):
    """Settings of one SVI run (see :meth:`pgmkit.deep.DeepModel.fit`): the torch
    loops' settings, plus where and how wide it runs."""

    distributed: bool = False          # data-parallel under torchrun (pgmkit.distributed.torchrun)
    device: str | None = None          # None = CPU


@dataclass
class TrainState:
    """What a run has done so far; saved in every checkpoint."""

    epoch: int = 0
    train_elbo: list[float] = field(default_factory=list)
    valid_elbo: list[float] = field(default_factory=list)
    best: float = -math.inf
    best_state: dict | None = None
    bad_epochs: int = 0
    stopped_early: bool = False


def make_elbo(program: Program, observed: set[str], num_particles: int = 1):
    """The ELBO estimator the model needs (see :func:`objectives.elbo`)."""
    from pgmkit.backends.pyro.objectives import elbo

    return elbo(program, observed, num_particles)


def evaluate(program: Program, data: Mapping[str, torch.Tensor], n: int,
             num_particles: int = 1) -> float:
    """Mean ELBO per row (no gradients)."""
    elbo = make_elbo(program, set(data), num_particles)
    with torch.no_grad():
        return -float(elbo.loss(program.model, program.guide, data, n)) / n


def train(program: Program, data: Mapping[str, torch.Tensor], n: int, config: TrainConfig,
          validation: tuple[Mapping[str, torch.Tensor], int] | None = None) -> TrainState:
    """Fit ``program`` in place by SVI and return the run's :class:`TrainState`.

    With ``config.distributed`` every rank runs this with the full data and trains its
    share of each global minibatch (see :mod:`pgmkit.distributed.torchrun`).
    """
    from pgmkit.distributed.torchrun import process_group, resolve_device

    config.check()
    from pgmkit.backends.pyro.objectives import make_objective

    device = resolve_device(config.device, config.distributed)
    program.to(device)
    data = {k: v.to(device) for k, v in data.items()}
    if validation is not None:
        validation = ({k: v.to(device) for k, v in validation[0].items()}, validation[1])
    objective = make_objective(program, set(data))  # the spec's objective; the ELBO by default
    if not config.distributed:
        return _train(program, data, n, config, validation, objective, None)
    from pgmkit.distributed.torchrun import DataParallel

    with process_group(device) as (rank, world):
        parallel = DataParallel(program, objective, rank, world, device)
        return _train(program, data, n, config, validation, objective, parallel)


def _train(program, data, n, config, validation, elbo, parallel) -> TrainState:
    import pyro
    from tqdm.auto import tqdm

    writer = parallel is None or parallel.rank == 0       # checkpoints from rank 0 only
    optimizer = adam(program, config.lr)
    shuffle = torch.Generator().manual_seed(int(config.seed))
    state = TrainState()
    ckpt = Path(config.checkpoint_dir) / CHECKPOINT if config.checkpoint_dir else None
    if ckpt is not None and writer:
        from pgmkit.io.safe import make_dirs

        make_dirs(ckpt.parent, "checkpoint folder")     # a file there fails now, not later
    with torch.random.fork_rng(), pyro.get_param_store().scope():
        torch.manual_seed(int(config.seed))
        if config.resume and ckpt is not None and os.path.lexists(ckpt):
            state = _restore(ckpt, program, optimizer, shuffle)
            log.info("resuming from %s after epoch %d", ckpt, state.epoch)
        bar = tqdm(range(state.epoch, config.epochs), disable=not (config.progress and writer),
                   desc=f"SVI {program.spec.name}", unit="epoch", leave=False)
        for epoch in bar:
            state.train_elbo.append(_epoch(program, elbo, optimizer, data, n,
                                           config.batch_size, shuffle, parallel))
            postfix = {"elbo": f"{state.train_elbo[-1]:.3f}"}
            if validation is not None:
                state.valid_elbo.append(evaluate(program, validation[0], validation[1]))
                postfix["valid"] = f"{state.valid_elbo[-1]:.3f}"
                _track_best(state, program)
            bar.set_postfix(postfix)
            state.epoch = epoch + 1
            if config.patience is not None and state.bad_epochs >= config.patience:
                state.stopped_early = True
            if ckpt is not None and writer:
                _save(ckpt, program, optimizer, shuffle, state)
            if state.stopped_early:
                log.info("early stop after epoch %d: no held-out gain in %d epochs",
                         state.epoch, config.patience)
                break
        bar.close()
    if state.best_state is not None:
        program.load_state_dict(state.best_state)  # keep the best held-out parameters
    return state


def _epoch(program, elbo, optimizer, data, n, batch_size, shuffle, parallel=None) -> float:
    perm = torch.randperm(n, generator=shuffle)       # the same on every rank (same seed)
    device = next(iter(data.values())).device
    shuffled = {k: v[perm.to(device)] for k, v in data.items()}  # one gather; batches are views
    total = 0.0
    for start in range(0, n, batch_size):
        batch = {k: v[start:start + batch_size] for k, v in shuffled.items()}
        size = min(batch_size, n - start)
        optimizer.zero_grad()
        if parallel is None:
            loss = elbo.differentiable_loss(program.model, program.guide, batch, size)
        else:
            loss = parallel.loss(batch, size)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) / (parallel.world if parallel else 1)
    if parallel is not None:
        total = parallel.total(total)
    if not math.isfinite(total):
        raise PgmkitError(f"SVI diverged in model '{program.spec.name}' (the ELBO is {total}); "
                          "lower lr or check the data scale")
    return -total / n


def _track_best(state: TrainState, program: Program) -> None:
    if state.valid_elbo[-1] > state.best:
        state.best, state.bad_epochs = state.valid_elbo[-1], 0
        state.best_state = copy.deepcopy(program.state_dict())
    else:
        state.bad_epochs += 1


def _save(path: Path, program, optimizer, shuffle, state: TrainState) -> None:
    """Write the checkpoint atomically: a crash mid-write leaves the previous one intact."""
    from pgmkit.io.safe import save_weights

    payload = {"program": program.state_dict(), "optimizer": optimizer.state_dict(),
               "torch_rng": torch.get_rng_state(), "shuffle_rng": shuffle.get_state(),
               "state": {k: v for k, v in vars(state).items()}}
    save_weights(payload, path, "checkpoint")


def _restore(path: Path, program, optimizer, shuffle) -> TrainState:
    from pgmkit.io.safe import load_weights

    payload = load_weights(path, "checkpoint")
    keys = {"program", "optimizer", "torch_rng", "shuffle_rng", "state"}
    if not isinstance(payload, dict) or not keys <= set(payload):
        raise DataError(f"{path}: not a checkpoint written by pgmkit (expected the keys "
                        f"{sorted(keys)})")
    try:
        program.load_state_dict(payload["program"])
        optimizer.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["torch_rng"])
        shuffle.set_state(payload["shuffle_rng"])
        return TrainState(**payload["state"])
    except (RuntimeError, ValueError, TypeError, KeyError) as exc:
        raise DataError(f"checkpoint {path} does not fit model '{program.spec.name}': "
                        f"{str(exc).splitlines()[0]}") from None
