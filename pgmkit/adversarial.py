"""Models with implicit CPDs, trained by an adversarial objective (GANs and their family).

A GAN is the Bayes net ``z -> x`` whose CPD is implicit: a deterministic network of its
parents, with noise entering through the latent parents. The critic belongs to the
objective named in the spec (:mod:`pgmkit.spec.adversarial`), not to the model. The
same facade runs conditional GANs (a label parent), InfoGAN (codes inferred by the
critic's q head), BiGAN (an implicit guide ``x -> z``) and CycleGAN (two domains).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from pgmkit.base import Model
from pgmkit.checks import validated
from pgmkit.errors import DataError, SpecError, UnsupportedError, did_you_mean, format_choices
from pgmkit.spec.game import layout
from pgmkit.spec.model import ModelSpec

from pgmkit.io.saved import SPEC_FILE, WEIGHTS_FILE  # noqa: F401  (re-exported)
EPOCHS, BATCH_SIZE, LR = 200, 64, 1e-3


@dataclass(frozen=True)
class AdversarialHistory:
    """Per-epoch mean losses of a fit: the critic's and the generator's adversarial loss,
    plus the InfoGAN term (``info``) and the cycle-consistency term (``cycle``) if any."""

    critic: tuple[float, ...]
    generator: tuple[float, ...]
    info: tuple[float, ...] = ()
    cycle: tuple[float, ...] = ()
    method: str = "adversarial"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self):
        import pandas as pd

        cols = {"critic": self.critic, "generator": self.generator}
        cols.update({k: getattr(self, k) for k in ("info", "cycle") if getattr(self, k)})
        frame = pd.DataFrame(cols)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
        return frame

    def __str__(self) -> str:
        if not self.critic:
            return "adversarial fit: 0 epochs"
        return (f"adversarial fit ({self.extra.get('loss', '')}): {len(self.critic)} epoch(s), "
                f"final critic loss {self.critic[-1]:.4g}, generator loss {self.generator[-1]:.4g}")


class AdversarialModel(Model):
    """A model whose implicit CPDs are trained against critics (GAN, WGAN-GP, cGAN, ...).

    Parameters
    ----------
    spec : ModelSpec
        A validated spec with an adversarial objective.
    backend : str, optional
        Only ``"adversarial"`` (the torch engine of :mod:`pgmkit.backends.adversarial`).
    weights : dict, optional
        A state dict of the compiled game (generators, encoders, critics).

    Examples
    --------
    >>> import pgmkit
    >>> from pgmkit.datasets import digits
    >>> gan = pgmkit.example("gan")
    >>> x, _ = digits.load("train", binarize=False)
    >>> gan.fit(x, epochs=1, progress=False).history.critic[0] > 0
    True
    >>> gan.sample(4, seed=0)["x"].shape
    (4, 64)
    """

    operation = "fit_adversarial"

    def __init__(self, spec: ModelSpec, backend: str | None = None,
                 weights: Mapping[str, Any] | None = None):
        super().__init__(spec, backend)
        from pgmkit.spec.game import uses_adversarial

        if not uses_adversarial(self.spec):
            raise SpecError(f"model '{spec.name}' names no adversarial objective; "
                            "AdversarialModel trains implicit CPDs against a critic")
        self._weights = dict(weights) if weights is not None else None
        self.layout = layout(self.spec)
        self.game  # compile now: problems surface at construction, not at first use

    # -- compiled game ------------------------------------------------------------------
    @property
    def game(self):
        """The compiled :class:`~pgmkit.backends.adversarial.compile.Game` (built once)."""
        return self.compiled("torch", lambda: self._build(seed=0))

    def _build(self, seed: int):
        import torch

        from pgmkit.backends.adversarial.compile import Game
        from pgmkit.networked import seeded_module

        def make():
            game = Game(self.spec)
            # training's noise continues this stream, as a loop that seeds once: reseeding
            # would make the first noise draws repeat the random numbers of the weights
            game.rng_after_init = torch.get_rng_state()
            return game

        return seeded_module(make, seed, self._weights, self.spec.name)

    def roles(self) -> dict[str, Any]:
        """What each variable is in the game: ``image`` (the generated observed variable),
        ``label`` (an observed discrete parent of it), ``code`` (a categorical InfoGAN code),
        ``codes`` (every InfoGAN code), ``encoded`` (latents with an encoder), ``domains``
        (the two domains of a translation)."""
        lay = self.layout
        if lay.mode == "cycle":
            return {"image": lay.domains[1], "domains": lay.domains}
        image = next(n for n in lay.generated if not self.spec[n].latent)
        labels = [p for p in self.spec[image].parent_names
                  if self.spec[p].is_discrete and not self.spec[p].latent]
        codes = self.spec.objective.info_codes
        cat = [c for c in codes if self.spec[c].is_discrete]
        return {"image": image, "label": labels[0] if labels else None,
                "code": cat[0] if cat else None, "codes": codes, "encoded": lay.encoded}

    # -- training -----------------------------------------------------------------------
    @validated
    def fit(self, data, epochs: int = EPOCHS, batch_size: int = BATCH_SIZE, lr: float = LR,
            seed: int = 0, progress: bool = True,
            checkpoint_dir: str | os.PathLike | None = None,
            resume: bool = False) -> "AdversarialModel":
        """Train in place by alternating critic and generator steps (Adam); return ``self``.

        Parameters
        ----------
        data : array or dict
            An (n, ...) array when the model has one observed variable, else a dict keyed by
            variable (a cgan takes ``{"x": images, "y": labels}``; a two-domain model takes
            ``{a: A, b: B}`` with any numbers of rows, unpaired).
        epochs, batch_size : passes over the data, rows per minibatch (the last partial
            minibatch is kept).
        lr : float
            Adam's learning rate for both players, unless the objective names
            ``lr_generator`` / ``lr_critic``; Adam's betas are the objective's
            (default 0.5, 0.999).
        seed : int
            Seeds network initialisation, minibatch order and every noise draw: two fits
            with the same seed give bit-identical weights.
        progress : bool
            A tqdm bar with both losses.
        checkpoint_dir, resume : write ``checkpoint.pt`` there after every epoch
            (atomically); with ``resume`` continue from it, exactly as if never stopped.
        """
        from pgmkit.backends.adversarial.learn import TrainConfig, train

        o = self.spec.objective
        game = self._build(seed)  # a loaded or fitted model trains on from its weights
        tensors = self._training_tensors(data)
        config = TrainConfig(int(epochs), int(batch_size), o.lr_generator or lr,
                             o.lr_critic or lr, seed, progress, checkpoint_dir, resume)
        state = train(game, tensors, config)
        self.history = AdversarialHistory(
            tuple(state.critic), tuple(state.generator), tuple(state.info), tuple(state.cycle),
            extra={"epochs": state.epoch, "seed": seed, "loss": o.loss,
                   "lr_generator": config.lr_generator, "lr_critic": config.lr_critic,
                   "batch_size": batch_size})
        self._compiled["torch"] = game
        self._weights = game.state_dict()
        return self

    def _training_tensors(self, data) -> dict:
        from pgmkit.backends.pyro.data import to_tensors

        if self.layout.mode == "cycle":
            if not isinstance(data, Mapping) or set(map(str, data)) != set(self.layout.domains):
                got = sorted(map(str, data)) if isinstance(data, Mapping) else type(data).__name__
                raise DataError(f"model '{self.spec.name}' translates between domains "
                                f"{list(self.layout.domains)}: pass {{domain: array}} for both "
                                f"(unpaired, any numbers of rows); received {got}")
            return {d: to_tensors(self.spec, {d: data[d]})[0][d] for d in self.layout.domains}
        tensors, _ = to_tensors(self.spec, data, allow_latent=False)
        missing = [n for n in self.spec.observed_names if n not in tensors]
        if missing:
            raise DataError(f"the data has no values for observed variable(s) {missing} of "
                            f"model '{self.spec.name}'; it gives {sorted(tensors)}")
        return tensors

    # -- generation and codes -----------------------------------------------------------
    def _given(self, given: Mapping[str, Any] | None, n: int) -> dict:
        """Features of the fixed variables: a state or one row broadcast, or n rows."""
        from pgmkit.backends.pyro.data import to_tensors

        out = {}
        for name, value in (given or {}).items():
            if name not in self.spec:
                raise DataError(f"given names '{name}', which is not a variable of model "
                                f"'{self.spec.name}'{did_you_mean(name, self.spec.names)}; "
                                f"variables are {format_choices(self.spec.names)}")
            var = self.spec[name]
            if var.is_discrete:
                rows = list(np.ravel(np.asarray(value, dtype=object)))
                rows = rows * n if len(rows) == 1 else rows
            else:
                arr = np.asarray(value, dtype=float)
                rows = np.broadcast_to(arr, (n,) + var.domain.shape) \
                    if arr.shape == var.domain.shape else arr
            tensor = to_tensors(self.spec, {name: rows})[0][name]
            if tensor.shape[0] != n:
                raise DataError(f"given '{name}' has {tensor.shape[0]} rows; expected one value "
                                f"for all {n} samples or {n} rows")
            out[name] = self.game.features(name, tensor)
        return out

    @validated
    def sample(self, n: int, given: Mapping[str, Any] | None = None,
               seed: int | None = None) -> dict[str, np.ndarray]:
        """Draw ``n`` samples, keyed by variable (the ``given`` ones left out).

        ``given`` fixes variables, e.g. ``{"y": "7"}`` for a cgan draws sevens; in a
        two-domain model ``{a: images}`` translates them (``n`` = their number of rows).
        Discrete values come back as state names.

        Examples
        --------
        >>> import pgmkit
        >>> pgmkit.example("cgan").sample(3, given={"y": "7"}, seed=0)["x"].shape
        (3, 64)
        """
        import torch

        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise DataError(f"n must be a whole number >= 1; received {n!r}")
        fixed = self._given(given, int(n))
        with _seeded(seed if seed is not None else 0), torch.no_grad():
            if self.layout.mode == "cycle":
                values = self._translate(fixed)
            else:
                values = self.game.generate(fixed, int(n))
        return {k: self._decode(k, v) for k, v in values.items() if k not in fixed}

    def _translate(self, fixed: dict) -> dict:
        a, b = self.layout.domains
        if len(fixed) != 1:
            raise DataError(f"model '{self.spec.name}' translates one domain into the other: "
                            f"give exactly one of {[a, b]}, e.g. given={{'{a}': images}}")
        if a in fixed:
            return {b: self.game.generators[b](fixed[a])}
        return {a: self.game.encoders[a](fixed[b])}

    @validated
    def encode(self, x, variable: str | None = None) -> np.ndarray:
        """Per row of ``x``: the encoder's code (BiGAN), or the critic's q head for an InfoGAN
        code (class probabilities for a categorical code, the mean for a real one).

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> pgmkit.example("infogan").encode(np.zeros((2, 64)), "c").shape
        (2, 10)
        """
        import torch

        from pgmkit.backends.pyro.data import to_tensors

        choices = list(self.layout.encoded) + list(self.spec.objective.info_codes)
        if not choices:
            raise UnsupportedError(f"model '{self.spec.name}' has no encoder and no info code "
                                   "to encode with")
        name = variable or choices[0]
        if name not in choices:
            raise DataError(f"cannot encode '{name}' in model '{self.spec.name}'"
                            f"{did_you_mean(name, choices)}; encodable: {choices}")
        tensors, _ = to_tensors(self.spec, x, allow_latent=False)
        feats = {k: self.game.features(k, v) for k, v in tensors.items()}
        with torch.no_grad():
            if name in self.layout.encoded:
                return self.game.encode(name, feats).double().numpy()
            missing = [c for c in self.layout.critic_inputs if c not in feats]
            if missing:
                raise DataError(f"encoding '{name}' needs {missing} too (the critic sees them)")
            _, q = self.game.critics["joint"].with_codes(self.game.critic_input(feats))
            out = q[name]
            if self.spec[name].is_discrete:
                out = torch.softmax(out, dim=1)
            return out.double().numpy()

    @validated
    def interpolate(self, start, end, steps: int = 8, variable: str | None = None,
                    given: Mapping[str, Any] | None = None, seed: int = 0) -> np.ndarray:
        """Generated images along the straight line between two codes of a latent.

        ``start``/``end`` are inputs to encode when the latent has an encoder (BiGAN), else
        values of the latent itself. Other noise is drawn once (``seed``) and held fixed;
        ``given`` fixes conditions such as a cgan's label.

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> pgmkit.example("gan").interpolate(np.zeros(16), np.ones(16), steps=5).shape
        (5, 64)
        """
        import torch

        if self.layout.mode == "cycle":
            raise UnsupportedError(f"model '{self.spec.name}' has no latent to interpolate")
        real = [n for n in self.layout.noise if not self.spec[n].is_discrete]
        name = variable or (self.layout.encoded[0] if self.layout.encoded else
                            (real[0] if real else None))
        if name is None or name not in self.layout.noise or self.spec[name].is_discrete:
            raise DataError(f"interpolate needs a real latent of model '{self.spec.name}'; "
                            f"received {variable!r}, real latents are {real}")
        if name in self.layout.encoded and np.size(start) != self.spec[name].domain.size:
            ends = [self.encode(_one_row(v), name)[0] for v in (start, end)]
        else:
            ends = [np.broadcast_to(np.asarray(v, dtype=float), self.spec[name].domain.shape)
                    for v in (start, end)]
        w = np.linspace(0.0, 1.0, int(steps))[:, None]
        path = (1 - w) * ends[0].reshape(1, -1) + w * ends[1].reshape(1, -1)
        fixed = self._given(given, int(steps))
        fixed[name] = torch.as_tensor(path, dtype=self.game.dtype)
        with _seeded(seed), torch.no_grad():
            one = self.game.generate({k: v[:1] for k, v in fixed.items()}, 1)
            held = {k: v.expand(int(steps), -1) for k, v in one.items()
                    if k in self.layout.noise and k not in fixed}
            values = self.game.generate({**fixed, **held}, int(steps))
        return self._decode(self.roles()["image"], values[self.roles()["image"]])

    def _decode(self, name: str, value) -> np.ndarray:
        var = self.spec[name]
        arr = value.detach().double().numpy()
        if var.is_discrete:
            return np.asarray(var.states, dtype=object)[arr.argmax(axis=1)]
        return arr.reshape((len(arr),) + tuple(var.domain.shape))

    # -- evaluation -----------------------------------------------------------------------
    @validated
    def score(self, n: int = 1000, seed: int = 0) -> dict[str, Any]:
        """The digit scores of :func:`pgmkit.evaluate.score` (Frechet distance, MMD, classes
        covered, and class accuracy / code matching / class kept where they apply)."""
        from pgmkit.evaluate import score

        return score(self, n=n, seed=seed)

    # -- size and persistence -----------------------------------------------------------
    def num_parameters(self) -> int:
        """Weights of the model's networks (implicit CPDs and encoders; critics excluded:
        they belong to the objective)."""
        return int(sum(p.numel() for p in self.game.generator_parameters()))

    def save(self, path: str | os.PathLike, fmt: str | None = None) -> Path:
        """Write a directory: ``model.yaml`` (the spec) and ``weights.pt`` (every network,
        critics included, so training can go on)."""
        from pgmkit.io.saved import save_model_dir

        return save_model_dir(self.spec, self.game.state_dict(), path)

    @classmethod
    def load_dir(cls, path: str | os.PathLike) -> "AdversarialModel":
        """Read a directory written by :meth:`save` (weights loaded with ``weights_only``)."""
        from pgmkit.io.saved import load_model_dir

        return load_model_dir(path, lambda spec, weights: cls(spec, weights=weights),
                              "adversarial model")

    def copy(self) -> "AdversarialModel":
        """A model with the same spec and a copy of the weights (fit it, keep this one)."""
        import copy

        weights = copy.deepcopy(self._weights) if self._weights is not None else None
        out = AdversarialModel(self.spec, self.backend, weights=weights)
        out.history = self.history
        return out


def _one_row(x):
    arr = np.asarray(x, dtype=float)
    return arr[None] if arr.ndim == 1 else arr[:1]


@contextlib.contextmanager
def _seeded(seed: int):
    """Seed torch's global generator for a block and restore it afterwards."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(int(seed))
        yield
