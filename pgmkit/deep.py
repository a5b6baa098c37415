"""Deep latent-variable models (neural CPDs, amortized guides) fitted by SVI on Pyro.

A VAE is the two-node net ``z -> x`` whose CPD ``p(x | z)`` is an MLP, with a guide
``q(z | x)``; the same facade runs beta-VAEs, conditional VAEs, Gaussian mixtures fitted
by SVI, and models that mix enumerated discrete latents with neural CPDs.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from pgmkit.base import Model
from pgmkit.checks import validated
from pgmkit.errors import DataError, UnsupportedError
from pgmkit.results import FitHistory
from pgmkit.spec.model import ModelSpec

from pgmkit.io.saved import SPEC_FILE, WEIGHTS_FILE  # noqa: F401  (re-exported)
_CHUNK = 512  # rows per evaluation call: bounds memory of K particles x enumerated states


class DeepModel(Model):
    """A model with neural CPDs or continuous latents, fitted by stochastic variational inference.

    Parameters
    ----------
    spec : ModelSpec
        The validated model.
    backend : str, optional
        Only ``"pyro"``.
    weights : dict, optional
        A state dict of the compiled program (neural weights and learned CPD values).

    Examples
    --------
    >>> import pgmkit
    >>> from pgmkit.datasets import digits
    >>> vae = pgmkit.example("vae")
    >>> x, _ = digits.load("train")
    >>> fitted = vae.copy().fit(x, epochs=2, progress=False)       # doctest: +SKIP
    >>> fitted.elbo(digits.load("test")[0]) > vae.elbo(digits.load("test")[0])  # doctest: +SKIP
    True
    """

    operation = "fit_svi"

    def __init__(self, spec: ModelSpec, backend: str | None = None,
                 weights: Mapping[str, Any] | None = None):
        super().__init__(spec, backend)
        self._weights = dict(weights) if weights is not None else None
        self.program  # compile now: spec problems surface at construction, not at first use

    # -- compiled program ---------------------------------------------------------------
    @property
    def program(self):
        """The compiled :class:`~pgmkit.backends.pyro.compile.Program` (built once)."""
        return self.compiled("pyro", lambda: self._build(seed=0))

    def _build(self, seed: int):
        from pgmkit.backends.pyro.compile import Program
        from pgmkit.networked import seeded_module

        return seeded_module(lambda: Program(self.spec), seed, self._weights, self.spec.name)

    def _tensors(self, data, allow_latent: bool = True):
        from pgmkit.backends.pyro.data import to_tensors

        return to_tensors(self.spec, data, self.program.dtype, allow_latent)

    # -- training -----------------------------------------------------------------------
    @validated
    def fit(self, data, epochs: int = 50, batch_size: int = 100, lr: float = 1e-3,
            seed: int = 0, progress: bool = True, validation=None, patience: int | None = None,
            checkpoint_dir: str | os.PathLike | None = None, resume: bool = False,
            backend: str | None = None, distributed: bool = False,
            device: str | None = None) -> "DeepModel":
        """Fit by SVI (Adam) in place and return ``self``; ``history`` holds the per-epoch ELBO.

        Parameters
        ----------
        data : array, dict or DataFrame
            An array when the model has one observed variable, else keyed by variable name.
        epochs, batch_size, lr : training length, minibatch size, Adam learning rate.
        seed : int
            Seeds network initialisation (for a model without weights), minibatch order and
            every sample drawn: two fits with the same seed give the same parameters.
        progress : bool
            Show a tqdm bar with the running ELBO.
        validation : data, optional
            Held-out data; its ELBO is computed after every epoch.
        patience : int, optional
            With ``validation``: stop after this many epochs without a held-out gain. The
            returned model keeps the parameters of the best held-out epoch.
        checkpoint_dir : path, optional
            Write ``checkpoint.pt`` there after every epoch (atomically).
        resume : bool
            Continue from the checkpoint in ``checkpoint_dir`` if there is one.
        distributed : bool
            Data-parallel training under ``torchrun``: call ``fit`` on every rank with the
            full data; ``batch_size`` is the global minibatch, gradients are all-reduced
            (DistributedDataParallel), and only rank 0 writes checkpoints and ``save``
            files (see :mod:`pgmkit.distributed.torchrun`).
        device : str, optional
            ``"cpu"`` (default) or ``"cuda"``/``"cuda:N"``; asking for CUDA where it is
            absent raises a PgmkitError that says so.

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> m = pgmkit.example("vae")
        >>> x = (np.random.default_rng(0).random((200, 64)) > 0.5).astype(float)
        >>> m.fit(x, epochs=1, progress=False).history.method
        'svi'
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.learn import TrainConfig, train

        program = self._build(seed)
        tensors, n = self._tensors(data)
        from pgmkit.classify import warn_unscaled

        warn_unscaled(self.spec, tensors)
        valid = self._tensors(validation) if validation is not None else None
        if patience is not None and valid is None:
            raise DataError("early stopping (patience) needs validation data")
        config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                             progress=progress, patience=patience,
                             checkpoint_dir=checkpoint_dir, resume=resume,
                             distributed=distributed, device=device)
        state = train(program, tensors, n, config, valid)
        program.to("cpu")          # the fitted model lives on the CPU whatever trained it
        history = FitHistory(tuple(state.train_elbo), converged=state.stopped_early,
                             method="svi", extra={"valid_elbo": tuple(state.valid_elbo),
                                                  "epochs": state.epoch, "seed": seed,
                                                  "objective": "elbo per row"})
        learned = program.learned_cpds()
        self._weights = program.state_dict()
        self._writer = not distributed or _rank() == 0
        return self._refit(self.spec.with_cpds(learned) if learned else self.spec, history)

    # -- evaluation ---------------------------------------------------------------------
    @validated
    def elbo(self, x, num_samples: int = 1, seed: int = 0, backend: str | None = None
             ) -> float:
        """Mean ELBO per row of ``x`` (with each latent's ``beta`` on its KL term).

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> m = pgmkit.example("vae")
        >>> m.elbo(np.zeros((3, 64))) < 0
        True
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.learn import evaluate

        tensors, n = self._tensors(x)
        total = 0.0
        with _seeded(seed):
            for part, size in _chunks(tensors, n):
                total += evaluate(self.program, part, size, num_samples) * size
        return total / n

    @validated
    def log_likelihood(self, x, num_samples: int = 100, seed: int = 0,
                       per_row: bool = False, backend: str | None = None):
        """Importance-weighted bound on ``log p(x)`` with K = ``num_samples`` (IWAE).

        Discrete latents are summed exactly, so the bound is tighter than the ELBO and
        rises with K; with no continuous latent it is the exact log-likelihood. Returns the
        total over the rows (a float, like every class's ``log_likelihood``), or with
        ``per_row=True`` a Series of per-row values aligned with ``x`` (its index when it
        is a DataFrame).
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.infer import iwae

        if num_samples < 1:
            raise DataError(f"num_samples must be >= 1; received {num_samples}")
        tensors, n = self._tensors(x)
        parts = []
        with _seeded(seed):
            for part, size in _chunks(tensors, n):
                parts.append(iwae(self.program, part, size, num_samples).double().numpy())
        values = np.concatenate(parts)
        if not per_row:
            return float(values.sum())
        import pandas as pd

        from pgmkit.data.columns import LOG_LIKELIHOOD

        index = x.index if isinstance(x, pd.DataFrame) else pd.RangeIndex(len(values))
        return pd.Series(values, index=index, name=LOG_LIKELIHOOD)

    # -- generation and codes -----------------------------------------------------------
    @validated
    def sample(self, n: int, given: Mapping[str, Any] | None = None, seed: int | None = None,
               mean: bool = False, backend: str | None = None) -> dict[str, np.ndarray]:
        """Draw ``n`` joint samples (ancestrally), optionally with some variables fixed.

        ``given`` fixes variables for every sample, e.g. ``{"y": "3"}`` for a cvae draws
        images of a 3. With ``mean=True`` real variables report their distribution's mean
        (e.g. pixel probabilities) instead of a draw. Discrete values come back as state names.

        Examples
        --------
        >>> import pgmkit
        >>> pgmkit.example("vae").sample(4, seed=0)["x"].shape
        (4, 64)
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.ops import run_model
        from pgmkit.checks import MAX_RESULT_CELLS, check_size, row_width

        from pgmkit.data.evidence import check_evidence

        check_size(n * row_width(self.spec), MAX_RESULT_CELLS,
                   f"sample({n})", "draw fewer samples per call")
        fixed = {}
        for name, value in check_evidence(self.spec, given, what="given", error=DataError).items():
            var = self.spec[name]
            fixed[name] = [value] * n if var.is_discrete else _given_array(name, value, var, n)
        tensors, _ = self._tensors(fixed) if fixed else ({}, n)
        with _seeded(seed if seed is not None else 0):
            values = run_model(self.program, tensors, n, mean)
        return {k: self._decode(k, v) for k, v in values.items() if k not in fixed}

    def predict_proba(self, data, target: str | None = None, keep=None):
        """``P(target = state | row)`` for a discrete variable absent from ``data``, exactly
        (by enumeration): one ``P(target=state)`` column per state (see
        :func:`pgmkit.classify.predict_proba`; a neural categorical child is a classifier)."""
        from pgmkit.classify import predict_proba

        return predict_proba(self, data, target, keep)

    def predict(self, data, target: str | None = None, keep=None):
        """The most probable state of ``target`` per row, its ``probability`` and the
        ``P(target=state)`` columns (see :func:`pgmkit.classify.predict`)."""
        from pgmkit.classify import predict

        return predict(self, data, target, keep)

    def encode(self, x, variable: str | None = None, backend: str | None = None
               ) -> np.ndarray:
        """Per row: the guide's mean of a latent (class probabilities if it is discrete).

        A discrete latent summed out in the model (no guide, e.g. a mixture's component)
        gets its exact posterior ``P(z | x)`` by enumeration when the model has no guides.

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> pgmkit.example("vae").encode(np.zeros((2, 64))).shape
        (2, 8)
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.infer import marginals
        from pgmkit.backends.pyro.ops import guide_means

        program = self.program
        name = variable or self._default_latent()
        tensors, n = self._tensors(x)
        if name in program.enumerated and name not in tensors and not program.guide_order:
            with _seeded(0), _no_grad():
                return marginals(program, tensors, n, [name])[name].double().numpy()
        with _seeded(0):
            means = guide_means(program, tensors)
        if name not in means:
            raise DataError(f"'{name}' has no guide to encode with; guided latents are "
                            f"{list(program.guide_order)}")
        return means[name].double().numpy()

    def reconstruct(self, x, backend: str | None = None) -> np.ndarray | dict[str, np.ndarray]:
        """Decode the encoded latents back to the observed variables' means.

        Returns an array when one variable is reconstructed, else a dict.
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.ops import reconstruct

        tensors, n = self._tensors(x)
        with _seeded(0):
            out = {k: v.double().numpy() for k, v in reconstruct(self.program, tensors, n).items()}
        return next(iter(out.values())) if len(out) == 1 else out

    @validated
    def interpolate(self, x1, x2, steps: int = 8, variable: str | None = None,
                    backend: str | None = None) -> np.ndarray:
        """Decoded means along the straight line between the codes of two inputs.

        Everything discrete stays as it is for ``x1`` along the path: a given label (cvae)
        or the most likely class of a guided discrete latent (m2).

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> pgmkit.example("vae").interpolate(np.zeros(64), np.ones(64), steps=4).shape
        (4, 64)
        """
        self.engine("fit_svi", backend)
        from pgmkit.backends.pyro.ops import codes, decode

        name = variable or self._default_latent()
        if self.spec[name].is_discrete:
            raise UnsupportedError(f"cannot interpolate discrete latent '{name}'")
        (t1, _), (t2, _) = self._tensors(_one_row(x1)), self._tensors(_one_row(x2))
        with _seeded(0):
            c1, c2 = codes(self.program, t1)[1], codes(self.program, t2)[1]
            w = torch_linspace(steps, c1[name])
            fixed = {k: v.expand((steps,) + v.shape[1:]) for k, v in {**t1, **c1}.items()
                     if self.spec[k].is_discrete}
            out = decode(self.program, {name: (1 - w) * c1[name] + w * c2[name], **fixed}, steps)
        return next(iter(out.values())).double().numpy()

    def _default_latent(self) -> str:
        guided = [n for n in self.program.guide_order if not self.spec[n].is_discrete]
        if guided:
            return guided[0]
        if self.spec.latent_names:
            return self.spec.latent_names[0]
        raise UnsupportedError(f"model '{self.spec.name}' has no latent variable to encode")

    def _decode(self, name: str, value) -> np.ndarray:
        var = self.spec[name]
        arr = value.detach().double().numpy()
        if var.is_discrete:
            return np.asarray(var.states, dtype=object)[arr.astype(np.int64)]
        return arr

    # -- size and persistence -----------------------------------------------------------
    def num_parameters(self) -> int:
        """Learnable numbers: network weights plus learned CPD entries."""
        return int(sum(p.numel() for p in self.program.parameters()))

    def save(self, path: str | os.PathLike, fmt: str | None = None) -> Path:
        """Write a directory: ``model.yaml`` (the spec) and ``weights.pt`` (state dicts).

        Examples
        --------
        >>> import pgmkit, tempfile
        >>> d = pgmkit.example("vae").save(tempfile.mkdtemp() + "/vae")
        >>> pgmkit.load(d).spec == pgmkit.example("vae").spec
        True
        """
        from pgmkit.io.saved import save_model_dir

        if not getattr(self, "_writer", True):      # a data-parallel fit: rank 0 writes
            return Path(path)
        return save_model_dir(self.spec, self.program.state_dict(), path)

    @classmethod
    def load_dir(cls, path: str | os.PathLike) -> "DeepModel":
        """Read a directory written by :meth:`save` (weights loaded with ``weights_only=True``)."""
        from pgmkit.io.saved import load_model_dir

        return load_model_dir(path, lambda spec, weights: cls(spec, weights=weights),
                              "deep model")

    def copy(self) -> "DeepModel":
        """A model with the same spec and a copy of the weights (fit it, keep this one)."""
        import copy

        # Weights are None until a fit or a load: the copy then initialises from the fit's
        # seed exactly as this model would.
        weights = copy.deepcopy(self._weights) if self._weights is not None else None
        out = DeepModel(self.spec, self.backend, weights=weights)
        out.history = self.history
        return out


def _given_array(name: str, value, var, n: int) -> np.ndarray:
    """A fixed value of a real variable for ``n`` samples: one value of its shape."""
    shape = tuple(var.domain.shape)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"given '{name}' must be numbers of shape {list(shape)}; received "
                        f"{type(value).__name__}") from None
    if arr.shape not in (shape, ()) or not np.all(np.isfinite(arr)):
        raise DataError(f"given '{name}' must be finite numbers of shape {list(shape)} (one "
                        f"value for every sample); received shape {list(arr.shape)}")
    return np.broadcast_to(arr, (n,) + shape)


def _one_row(x):
    if isinstance(x, Mapping):
        return x
    arr = np.asarray(x, dtype=float)
    return arr[None] if arr.ndim == 1 else arr[:1]


def _chunks(tensors: Mapping, n: int):
    for start in range(0, n, _CHUNK):
        size = min(_CHUNK, n - start)
        yield {k: v[start:start + size] for k, v in tensors.items()}, size


def torch_linspace(steps: int, like):
    """Weights 0..1 shaped to broadcast against a batch of codes like ``like``."""
    import torch

    return torch.linspace(0.0, 1.0, steps, dtype=like.dtype).reshape((steps,) + (1,) * (like.dim() - 1))


def _no_grad():
    import torch

    return torch.no_grad()


@contextlib.contextmanager
def _seeded(seed: int):
    """Seed torch's generator for a block, with a private Pyro parameter store; restore both."""
    import pyro
    import torch

    with torch.random.fork_rng(), pyro.get_param_store().scope():
        torch.manual_seed(int(seed))
        yield


def _rank() -> int:
    """This process's rank under torchrun (0 when not distributed)."""
    return int(os.environ.get("RANK", "0"))
