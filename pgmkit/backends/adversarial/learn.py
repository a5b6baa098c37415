"""Alternating training of a :class:`~pgmkit.backends.adversarial.compile.Game`.

Each minibatch takes one critic step; every ``n_critic``-th minibatch also takes one
generator step (generators and encoders together), reusing that minibatch's generated
rows. Minibatches come from a per-epoch permutation drawn from a ``torch.Generator``
seeded with ``seed`` (the last partial batch is kept); noise, and the gradient penalty's
mixing weights, come from torch's global generator inside ``torch.random.fork_rng``,
continuing the stream that initialised the networks (``Game.rng_after_init``; a fresh
``seed`` when there is none), as a hand-written loop that seeds once does. So a fit is
bit-identical for the same seed and leaves the caller's random state alone.
Both generators' states, both optimizers and the history go into the per-epoch
checkpoint (written atomically), so a resumed run continues exactly where it stopped.
Torch's thread count is never changed.
"""
from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import torch

from pgmkit.backends.adversarial import losses
from pgmkit.backends.adversarial.compile import Game
from pgmkit.errors import DataError, PgmkitError

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one run (see :meth:`pgmkit.adversarial.AdversarialModel.fit`)."""

    epochs: int
    batch_size: int
    lr_generator: float
    lr_critic: float
    seed: int = 0
    progress: bool = True
    checkpoint_dir: str | os.PathLike | None = None
    resume: bool = False


@dataclass
class TrainState:
    """What a run has done so far: per-epoch mean losses, and the global step count."""

    epoch: int = 0
    step: int = 0
    critic: list[float] = field(default_factory=list)
    generator: list[float] = field(default_factory=list)
    info: list[float] = field(default_factory=list)
    cycle: list[float] = field(default_factory=list)


def optimizers(game: Game, config: TrainConfig):
    betas = tuple(game.objective.betas)
    return (torch.optim.Adam(game.generator_parameters(), lr=config.lr_generator, betas=betas),
            torch.optim.Adam(game.critic_parameters(), lr=config.lr_critic, betas=betas))


def train(game: Game, data: Mapping[str, torch.Tensor], config: TrainConfig) -> TrainState:
    """Fit ``game`` in place and return the run's :class:`TrainState`.

    ``data`` maps each observed variable to its rows (state indices for discrete ones); in
    a two-domain game the domains may have different numbers of rows.
    """
    from tqdm.auto import tqdm

    if config.batch_size < 1 or config.epochs < 0 or not config.lr_generator > 0 \
            or not config.lr_critic > 0:
        raise DataError(f"epochs must be >= 0, batch_size >= 1 and learning rates > 0; received "
                        f"epochs={config.epochs}, batch_size={config.batch_size}, "
                        f"lr_generator={config.lr_generator}, lr_critic={config.lr_critic}")
    gopt, copt = optimizers(game, config)
    shuffle = torch.Generator().manual_seed(int(config.seed))
    ckpt = Path(config.checkpoint_dir) / CHECKPOINT if config.checkpoint_dir else None
    state = TrainState()
    epoch_fn = _cycle_epoch if game.layout.mode == "cycle" else _joint_epoch
    data = {k: game.features(k, v) for k, v in data.items()}  # one-hot once, not per batch
    with torch.random.fork_rng():
        if game.rng_after_init is not None:
            torch.set_rng_state(game.rng_after_init)
        else:
            torch.manual_seed(int(config.seed))
        if config.resume and ckpt is not None and ckpt.is_file():
            state = _restore(ckpt, game, gopt, copt, shuffle)
            log.info("resuming from %s after epoch %d", ckpt, state.epoch)
        bar = tqdm(range(state.epoch, config.epochs), disable=not config.progress,
                   desc=f"adversarial {game.spec.name}", unit="epoch", leave=False)
        for epoch in bar:
            sums = epoch_fn(game, data, config.batch_size, shuffle, gopt, copt, state)
            _record(state, sums, game.spec.name)
            bar.set_postfix(critic=f"{state.critic[-1]:.3f}", generator=f"{state.generator[-1]:.3f}")
            state.epoch = epoch + 1
            if ckpt is not None:
                _save(ckpt, game, gopt, copt, shuffle, state)
        bar.close()
    return state


def _record(state: TrainState, sums: dict, name: str) -> None:
    c, g = sums["critic"], sums["generator"]
    means = {k: float(v) / max(1, sums["n_" + ("generator" if k != "critic" else "critic")])
             for k, v in sums.items() if not k.startswith("n_")}
    if not all(math.isfinite(v) for v in means.values()):
        raise PgmkitError(f"adversarial training of model '{name}' diverged (critic loss "
                          f"{float(c)}, generator loss {float(g)}); lower lr")
    state.critic.append(means["critic"])
    state.generator.append(means["generator"])
    if "info" in means:
        state.info.append(means["info"])
    if "cycle" in means:
        state.cycle.append(means["cycle"])


def _joint_epoch(game: Game, data, batch_size, shuffle, gopt, copt, state) -> dict:
    o, lay = game.objective, game.layout
    critic = game.critics["joint"]
    codes, discrete = o.info_codes, {c for c in o.info_codes if game.spec[c].is_discrete}
    penalty = o.penalty
    n = next(iter(data.values())).shape[0]
    perm = torch.randperm(n, generator=shuffle)
    shuffled = {k: v[perm] for k, v in data.items()}  # one gather; minibatches are views
    sums = {"critic": 0.0, "generator": 0.0, "n_critic": 0, "n_generator": 0}
    if codes:
        sums["info"] = 0.0
    for start in range(0, n, batch_size):
        feats = {k: v[start:start + batch_size] for k, v in shuffled.items()}
        m = next(iter(feats.values())).shape[0]
        values = game.generate({k: feats[k] for k in lay.conditions}, m)
        for z in lay.encoded:
            feats[z] = game.encode(z, feats)
        real_in, fake_in = game.critic_input(feats), game.critic_input(values)
        # critic step
        copt.zero_grad()
        real_d, fake_d = real_in.detach(), fake_in.detach()
        if codes:
            d_fake, q = critic.with_codes(fake_d)
            loss_c = losses.critic_loss(o.loss, critic(real_d), d_fake)
            loss_c = loss_c + o.info_weight * losses.info_loss(q, values, discrete)
        else:
            loss_c = losses.critic_loss(o.loss, critic(real_d), critic(fake_d))
        if penalty:
            loss_c = loss_c + penalty * losses.gradient_penalty(critic, real_d, fake_d)
        if not _critic_step(copt, loss_c, sums, state, o.n_critic):
            continue
        # generator step (generators and encoders together)
        gopt.zero_grad()
        if codes:
            d_fake, q = critic.with_codes(fake_in)
            info = losses.info_loss(q, values, discrete)
            loss_g = losses.generator_loss(o.loss, d_fake)
            total = loss_g + o.info_weight * info
            sums["info"] += info.detach()
        else:
            loss_g = total = losses.generator_loss(o.loss, critic(fake_in))
        if lay.encoded:
            enc = losses.encoder_loss(o.loss, critic(real_in))
            loss_g, total = loss_g + enc, total + enc
        total.backward()
        gopt.step()
        sums["generator"] += loss_g.detach()
        sums["n_generator"] += 1
    return sums


def _cycle_epoch(game: Game, data, batch_size, shuffle, gopt, copt, state) -> dict:
    o = game.objective
    a, b = game.layout.domains
    forward, backward = game.generators[b], game.encoders[a]  # a -> b, b -> a
    critic_a, critic_b = game.critics[a], game.critics[b]
    weight = o.cycle if o.cycle is not None else 10.0
    penalty = o.penalty
    xa, xb = data[a], data[b]
    na, nb = xa.shape[0], xb.shape[0]
    pa, pb = torch.randperm(na, generator=shuffle), torch.randperm(nb, generator=shuffle)
    most = max(na, nb)
    sums = {"critic": 0.0, "generator": 0.0, "cycle": 0.0, "n_critic": 0, "n_generator": 0}
    for start in range(0, most, batch_size):
        rows = torch.arange(start, min(start + batch_size, most))
        ra, rb = xa[pa[rows % na]], xb[pb[rows % nb]]  # the smaller domain wraps around
        fake_b, fake_a = forward(ra), backward(rb)
        copt.zero_grad()
        loss_c = (losses.critic_loss(o.loss, critic_b(rb), critic_b(fake_b.detach()))
                  + losses.critic_loss(o.loss, critic_a(ra), critic_a(fake_a.detach())))
        if penalty:
            loss_c = loss_c + penalty * (
                losses.gradient_penalty(critic_b, rb, fake_b.detach())
                + losses.gradient_penalty(critic_a, ra, fake_a.detach()))
        if not _critic_step(copt, loss_c, sums, state, o.n_critic):
            continue
        gopt.zero_grad()
        loss_g = (losses.generator_loss(o.loss, critic_b(fake_b))
                  + losses.generator_loss(o.loss, critic_a(fake_a)))
        cyc = losses.cycle_loss(backward(fake_b), ra) + losses.cycle_loss(forward(fake_a), rb)
        (loss_g + weight * cyc).backward()
        gopt.step()
        sums["generator"] += loss_g.detach()
        sums["cycle"] += cyc.detach()
        sums["n_generator"] += 1
    return sums


def _save(path: Path, game: Game, gopt, copt, shuffle, state: TrainState) -> None:
    """Write the checkpoint atomically: a crash mid-write leaves the previous one intact."""
    from pgmkit.io.safe import make_dirs, save_weights

    make_dirs(path.parent, "checkpoint folder")
    payload = {"game": game.state_dict(), "generator_optimizer": gopt.state_dict(),
               "critic_optimizer": copt.state_dict(), "torch_rng": torch.get_rng_state(),
               "shuffle_rng": shuffle.get_state(), "state": dict(vars(state))}
    save_weights(payload, path, "checkpoint")


def _restore(path: Path, game: Game, gopt, copt, shuffle) -> TrainState:
    from pgmkit.io.safe import load_weights

    payload = load_weights(path, "checkpoint")
    try:
        game.load_state_dict(payload["game"])
        gopt.load_state_dict(payload["generator_optimizer"])
        copt.load_state_dict(payload["critic_optimizer"])
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"checkpoint {path} does not fit model '{game.spec.name}': "
                        f"{str(exc).splitlines()[0]}") from None
    torch.set_rng_state(payload["torch_rng"])
    shuffle.set_state(payload["shuffle_rng"])
    return TrainState(**payload["state"])


def _critic_step(copt, loss_c, sums: dict, state, n_critic: int) -> bool:
    """Apply one critic update and count it; whether the generator steps now (after
    every ``n_critic`` critic steps)."""
    loss_c.backward()
    copt.step()
    sums["critic"] += loss_c.detach()
    sums["n_critic"] += 1
    state.step += 1
    return state.step % n_critic == 0
