"""Neural autoregressive models: FVSBN, NADE, MADE and PixelCNN with exact likelihoods.

A model holds one variable ``x`` with an ``autoregressive`` CPD and, optionally, observed
parents ``y`` (a conditional model ``p(x | y)``). ``log_likelihood`` is exact, ``fit``
maximizes it, ``sample`` draws ancestrally dimension by dimension and ``complete`` fills
the NaN entries of partly observed rows.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Mapping

import numpy as np

from pgmkit.backends.forward_backward.kernel import single_threaded  # torch-free at import
from pgmkit.networked import NetworkModel
from pgmkit.checks import validated
from pgmkit.errors import DataError, did_you_mean, format_choices
from pgmkit.results import FitHistory
from pgmkit.spec.model import ModelSpec

from pgmkit.io.saved import SPEC_FILE, WEIGHTS_FILE  # noqa: F401  (re-exported)
_CHUNK = 4096  # rows per evaluation call


class AutoregressiveModel(NetworkModel):
    """An exact-likelihood model ``p(x | parents) = prod_d p(x_d | x_<d, parents)``.

    Parameters
    ----------
    spec : ModelSpec
        A validated spec with one ``autoregressive`` variable and only its parents besides.
    backend : str, optional
        Only ``"autoregressive"`` (pgmkit's torch engine for exact-likelihood models).
    weights : dict, optional
        A state dict of the network (as written by :meth:`save`).

    Examples
    --------
    >>> import pgmkit, numpy as np
    >>> m = pgmkit.model({"name": "tiny", "variables": {"x": {"real": [3], "cpd": {
    ...     "autoregressive": {"network": "fvsbn", "family": "bernoulli"}}}}})
    >>> grid = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], float)
    >>> round(float(np.exp(m.log_likelihood(grid, per_row=True)).sum()), 9)
    1.0
    """

    saved_what = "autoregressive model"
    operation = "fit_exact"

    def __init__(self, spec: ModelSpec, backend: str | None = None,
                 weights: Mapping[str, Any] | None = None):
        super().__init__(spec, backend)
        from pgmkit.backends.autoregressive.compile import autoregressive_variable

        self.var = autoregressive_variable(self.spec)
        self._weights = dict(weights) if weights is not None else None
        self.network  # build now: a spec the engine cannot run fails at construction

    # -- the compiled network ------------------------------------------------------------
    @property
    def network(self):
        """The :class:`~pgmkit.backends.autoregressive.compile.Autoregressive` module."""
        return self.compiled("torch", lambda: self._build(0))

    def _build(self, seed: int, load: bool = True):
        from pgmkit.backends.autoregressive.compile import Autoregressive
        from pgmkit.networked import seeded_module

        return seeded_module(lambda: Autoregressive(self.spec), seed,
                             self._weights if load else None, self.spec.name).eval()

    def _exact(self):
        """A float64 copy for evaluation: sums over 2^D configurations must hit 1 to 1e-9."""
        return self.compiled("torch64", lambda: copy.deepcopy(self.network).double().eval())

    # -- data ----------------------------------------------------------------------------
    def _data(self, data, allow_missing: bool = False):
        """``data`` -> (x as ``(n, D)`` float64 array, parents' values by name, n)."""
        var = self.var
        if isinstance(data, Mapping):
            unknown = [k for k in data if k not in self.spec]
            if unknown:
                raise DataError(f"data names '{unknown[0]}', which is not a variable of model "
                                f"'{self.spec.name}'{did_you_mean(unknown[0], self.spec.names)}")
            if var.name not in data:
                raise DataError(f"data has no '{var.name}'; expected a mapping with "
                                f"{format_choices(self.spec.names)}")
            x, given = data[var.name], {k: v for k, v in data.items() if k != var.name}
        else:
            x, given = data, {}
        x = self._rows(x)
        n = x.shape[0]
        if not allow_missing and np.isnan(x).any():
            r = int(np.flatnonzero(np.isnan(x).any(1))[0])
            raise DataError(f"row {r} of '{var.name}' has NaN entries; the likelihood needs "
                            "complete rows (complete() fills missing entries)")
        self._check_values(x)
        return x, self._parents(given, n), n

    def _rows(self, x) -> np.ndarray:
        var, shape = self.var, tuple(self.var.domain.shape)
        try:
            arr = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"'{var.name}' must be numbers of shape {list(shape)} per row; "
                            f"received {type(x).__name__}") from None
        if arr.shape == shape or (arr.ndim == 1 and arr.size == var.domain.size):
            arr = arr[None]
        if arr.ndim >= 1 and arr.shape[1:] in (shape, (var.domain.size,)) and arr.shape[0]:
            return arr.reshape(arr.shape[0], var.domain.size)
        raise DataError(f"'{var.name}' has shape {list(arr.shape)}; expected [n, "
                        f"{', '.join(map(str, shape))}]" +
                        (f" or [n, {var.domain.size}]" if len(shape) > 1 else ""))

    def _check_values(self, x: np.ndarray) -> None:
        cpd, seen = self.var.cpd, x[~np.isnan(x)]
        if cpd.family == "bernoulli" and not np.isin(seen, (0.0, 1.0)).all():
            bad = seen[~np.isin(seen, (0.0, 1.0))][0]
            raise DataError(f"'{self.var.name}' is bernoulli: entries must be 0 or 1; received {bad:g}")
        if cpd.family == "categorical":
            ok = (seen == np.round(seen)) & (seen >= 0) & (seen < cpd.categories)
            if not ok.all():
                raise DataError(f"'{self.var.name}' is categorical: entries must be whole numbers "
                                f"0..{cpd.categories - 1}; received {seen[~ok][0]:g}")
        if not np.isfinite(seen).all():
            raise DataError(f"'{self.var.name}' has infinite entries")

    def _parents(self, given: Mapping, n: int) -> dict[str, np.ndarray]:
        from pgmkit.data.sequences import encode_states

        out = {}
        for p in self.var.parents:
            pv = self.spec[p.name]
            if p.name not in given:
                raise DataError(f"'{self.var.name}' is conditioned on '{p.name}': pass it, e.g. "
                                f"{{'{self.var.name}': x, '{p.name}': ...}}")
            raw = given[p.name]
            if pv.is_discrete:
                values = np.broadcast_to(np.asarray(raw, dtype=object), (n,))
                codes, bad = encode_states(values, pv.states)
                if len(bad) or (codes < 0).any():
                    r = int(bad[0]) if len(bad) else int(np.flatnonzero(codes < 0)[0])
                    raise DataError(f"row {r}: '{p.name}' = {values[r]!r} is not a state; states "
                                    f"are {list(pv.states)}")
                out[p.name] = codes
            else:
                arr = np.asarray(raw, dtype=float).reshape(-1, pv.domain.size)
                out[p.name] = np.broadcast_to(arr, (n, pv.domain.size))
        return out

    def _tensors(self, x, given, dtype):
        import torch

        net = self.network
        xt = torch.as_tensor(x, dtype=dtype)
        y = net.conditioning({k: torch.as_tensor(np.ascontiguousarray(v)) for k, v in given.items()},
                             x.shape[0], dtype)
        return xt, y

    # -- likelihood and training -----------------------------------------------------------
    @validated
    @single_threaded
    def log_likelihood(self, x, per_row: bool = False):
        """Exact ``log p(x | parents)`` in nats: the total, or one value per row.

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> m = pgmkit.example("fvsbn")
        >>> m.log_likelihood(np.zeros((2, 64)), per_row=True).shape
        (2,)
        """
        import pandas as pd
        import torch

        xs, given, n = self._data(x)
        net, parts = self._exact(), []
        with torch.no_grad():
            for start in range(0, n, _CHUNK):
                sl = slice(start, start + _CHUNK)
                xt, y = self._tensors(xs[sl], {k: v[sl] for k, v in given.items()}, torch.float64)
                parts.append(net.log_prob(xt, y).numpy())
        values = np.concatenate(parts)
        if not per_row:
            return float(values.sum())
        from pgmkit.data.columns import LOG_LIKELIHOOD

        return pd.Series(values, name=LOG_LIKELIHOOD)

    @validated
    def bits_per_dim(self, x) -> float:
        """Mean negative log-likelihood in bits per dimension (``-log2 p(x) / D``)."""
        n = self._rows(x if not isinstance(x, Mapping) else x[self.var.name]).shape[0]
        return -self.log_likelihood(x) / (n * self.var.domain.size * np.log(2.0))

    @validated
    @single_threaded
    def fit(self, data, epochs: int = 50, batch_size: int = 100, lr: float = 1e-3,
            seed: int = 0, progress: bool = True, validation=None, patience: int | None = None,
            checkpoint_dir: str | os.PathLike | None = None,
            resume: bool = False) -> "AutoregressiveModel":
        """Maximize the exact log-likelihood by minibatch Adam, in place; returns ``self``.

        The loss is the mean negative log-likelihood per row. ``seed`` fixes the network's
        initialisation, the minibatch order and (MADE with several orderings) the ordering
        of each minibatch: two fits with the same seed give the same weights. With
        ``validation`` the held-out log-likelihood is tracked every epoch and the best
        epoch's weights are kept; ``patience`` stops after that many epochs without a gain.
        ``checkpoint_dir`` gets ``checkpoint.pt`` after every epoch; ``resume`` continues it.
        ``history.log_likelihood`` holds the mean training log-likelihood per row per epoch.

        Examples
        --------
        >>> import pgmkit
        >>> from pgmkit.datasets import digits
        >>> m = pgmkit.example("fvsbn").fit(digits.load("train")[0], epochs=2, progress=False)
        >>> len(m.history.log_likelihood)
        2
        """
        import torch

        from pgmkit.backends.training import TrainConfig, train

        xs, given, n = self._data(data)
        net = self._build(seed, load=False)      # a fit starts afresh: same seed, same weights
        x32, y32 = self._tensors(xs, given, torch.float32)
        valid_score = None
        if validation is not None:
            vx, vgiven, vn = self._data(validation)
            vx32, vy32 = self._tensors(vx, vgiven, torch.float32)

            def valid_score():
                return float(net.log_prob(vx32, vy32).mean())

        def batch_loss(idx, gen):
            return net.training_loss(x32[idx], y32[idx] if y32 is not None else None, gen)

        config = TrainConfig(epochs, batch_size, lr, seed, progress, patience, checkpoint_dir,
                             resume, desc=f"fit {self.spec.name}")
        with torch.random.fork_rng():
            torch.manual_seed(int(seed))
            state = train(net, n, batch_loss, config, valid_score)
        self._weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self._compiled = {"torch": net}
        self.history = FitHistory(tuple(state.train), state.stopped_early, (), "max_likelihood",
                                  {"valid_log_likelihood": tuple(state.valid),
                                   "epochs": state.epoch, "seed": seed,
                                   "objective": "mean log-likelihood per row (nats)"})
        return self

    # -- generation ------------------------------------------------------------------------
    @validated
    def sample(self, n: int, given: Mapping[str, Any] | None = None,
               seed: int | None = None) -> dict[str, np.ndarray]:
        """``n`` exact draws ``{"x": (n, *shape)}``, given the parents' values if any.

        Examples
        --------
        >>> import pgmkit
        >>> pgmkit.example("pixelcnn").sample(2, seed=0)["x"].shape
        (2, 8, 8)
        """
        if int(n) < 1:
            raise DataError(f"sample needs n >= 1; received n={n}")
        blank = np.full((int(n), self.var.domain.size), np.nan)
        out = self._fill(blank, given or {}, seed, particles=1)
        return {self.var.name: out}

    @validated
    def complete(self, x, given: Mapping[str, Any] | None = None, seed: int | None = 0,
                 particles: int = 64) -> np.ndarray:
        """Fill the NaN entries of ``x`` by drawing them given the observed ones.

        When every row's missing entries come after its observed ones in the ordering (the
        lower half of an image in raster order) each draw is exact. Otherwise, and with
        several orderings, ``particles`` completions per row are drawn forward and one is
        resampled by importance weight ``p(x) / q(x_missing)`` (exact as particles grow).
        Observed entries come back unchanged; bernoulli entries are 0 or 1.

        Examples
        --------
        >>> import pgmkit, numpy as np
        >>> x = np.zeros((1, 64)); x[:, 32:] = np.nan
        >>> out = pgmkit.example("made").complete(x, seed=0)
        >>> bool(np.isin(out, (0, 1)).all() and (out[:, :32] == 0).all())
        True
        """
        if isinstance(x, Mapping):
            given = {k: v for k, v in x.items() if k != self.var.name}
            x = x[self.var.name]
        rows = self._rows(x)
        if int(particles) < 1:
            raise DataError(f"particles must be >= 1; received {particles}")
        return self._fill(rows, given or {}, seed, particles)

    @single_threaded
    def _fill(self, rows: np.ndarray, given: Mapping, seed, particles: int) -> np.ndarray:
        import torch

        unknown = [k for k in given if k not in self.var.parent_names]
        if unknown:
            raise DataError(f"given names '{unknown[0]}', which is not a parent of "
                            f"'{self.var.name}'; parents are {list(self.var.parent_names)}")
        self._check_values(rows)
        n = rows.shape[0]
        parents = self._parents(given, n)
        net = self._exact()
        missing = np.isnan(rows)
        exact = net.num_orders == 1 and _is_suffix(missing, net.orders[0])
        reps = 1 if exact else int(particles)
        x = np.where(missing, 0.0, rows)
        gen = torch.Generator().manual_seed(int(seed if seed is not None else 0))
        out = np.empty_like(x)
        for start in range(0, n, max(1, _CHUNK // reps)):
            sl = slice(start, min(n, start + max(1, _CHUNK // reps)))
            m = sl.stop - sl.start
            xt, y = self._tensors(np.repeat(x[sl], reps, 0),
                                  {k: np.repeat(v[sl], reps, 0) for k, v in parents.items()},
                                  torch.float64)
            miss = torch.as_tensor(np.repeat(missing[sl], reps, 0))
            orders = torch.randint(net.num_orders, (m * reps,), generator=gen)
            filled = net.fill(xt, miss, y, orders, gen)
            if reps > 1:
                logw = net.proposal_log_weights(filled, miss.to(filled.dtype), y).view(m, reps)
                pick = torch.multinomial(torch.softmax(logw, 1), 1, generator=gen)[:, 0]
                filled = filled.view(m, reps, -1)[torch.arange(m), pick]
            out[sl] = filled.numpy()
        return out.reshape((n,) + tuple(self.var.domain.shape))

    # -- size and persistence -----------------------------------------------------------
    def num_parameters(self) -> int:
        """Weights that reach the output (masked-out connections are not counted)."""
        return int(self.network.num_parameters())



def _is_suffix(missing: np.ndarray, order: np.ndarray) -> bool:
    """Whether, in every row, no observed entry comes after a missing one in ``order``."""
    m = missing[:, order]
    return not bool((m[:, :-1] & ~m[:, 1:]).any())
