"""Mixture models: static discrete latent variables with Gaussian or discrete children.

The lecture's Gaussian mixture (``z -> x``) and its relatives are fitted by EM on the
pomegranate backend: each row is treated as a sequence of one slice, so the same
factorized E- and M-steps as for dynamic networks apply (latents summed over, NaN
observations marginalized, a latent column where present used as labels).
"""
from __future__ import annotations

import numpy as np

from pgmkit.backends.forward_backward.kernel import single_threaded  # torch-free at import
from pgmkit.base import Model
from pgmkit.distributed import route
from pgmkit.data.columns import posterior_columns
from pgmkit.learn import em
from pgmkit.checks import validated
from pgmkit.errors import DataError, UnsupportedError
from pgmkit.results import FitHistory

ROW = "__row__"


class MixtureModel(Model):
    """A static model with discrete latents and Gaussian (or discrete) observed children.

    Examples
    --------
    >>> import pgmkit
    >>> gmm = pgmkit.example("gmm")
    >>> data = gmm.sample(500, seed=0)
    >>> fitted = gmm.copy().fit(data.drop(columns=["z"]), seed=0, progress=False)
    >>> sorted(round(float(m)) for m in fitted.spec["x"].cpd.loc)
    [-4, 0, 5]
    """

    operation = "fit_mixture"

    def __init__(self, spec, backend: str | None = None):
        super().__init__(spec, backend)
        from pgmkit.backends.forward_backward.compile import layout_of

        if spec.temporal:
            raise UnsupportedError(f"model '{spec.name}' is temporal: use DynamicBayesNet")
        self.layout = layout_of(self.spec)

    @validated
    @route.fit("em.fit_mixture", "data")
    def fit(self, data, max_iter: int = em.MAX_ITER, tol: float = em.TOL,
            restarts: int | None = None, seed: int | None = 0,
            pseudo_count: float = em.PSEUDO_COUNT, progress: bool = True,
            backend: str | None = None) -> "MixtureModel":
        """Learn every CPD by EM from a DataFrame (one row per sample); in place; returns ``self``.

        The loop and its defaults are :func:`pgmkit.learn.em.run`'s, shared by every EM
        fit: ``restarts`` runs (default: one when the spec gives every CPD, else three;
        later ones start random, seeded by ``seed``; the best log-likelihood wins);
        ``tol`` is the least gain in log-likelihood per row that continues EM;
        ``pseudo_count`` (default 0, maximum likelihood) is a Dirichlet prior on every
        cell the starting CPD allows.
        """
        self.engine("fit_mixture", backend)
        from pgmkit.backends.forward_backward.compile import params_from_specs, spec_for_group
        from pgmkit.backends.forward_backward.learn import run_em

        batch = self._pack(data)
        start = params_from_specs(self.layout, [self.spec])
        res = run_em(self.layout, start, batch, max_iter=max_iter, tol=tol, restarts=restarts,
                     seed=seed, pseudo_count=pseudo_count, progress=progress)
        history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                             {"rows": batch.num_events, "pseudo_count": pseudo_count})
        return self._refit(spec_for_group(self.layout, res.params, 0), history)

    @route.rows("data")
    @single_threaded
    def posterior(self, data, backend: str | None = None, keep=None):
        """``p(latent | row)`` for every row: columns ``P(var=state)``, aligned with ``data``.

        ``keep`` names identifier columns to return unchanged in front of the answers.
        """
        self.engine("fit_mixture", backend)
        import pandas as pd

        from pgmkit.backends.forward_backward import infer as inference
        from pgmkit.data.keep import attach_kept, split_kept

        data, kept = split_kept(data, keep)

        batch, bound = self._bind(data)
        probs = inference.state_posterior(bound, smooth=False)
        cols = {}
        for name, arr in inference.marginals(self.layout, probs, self.spec.latent_names).items():
            for col, values in zip(posterior_columns(name, self.spec[name].states), arr.T):
                placed = np.empty(len(data))
                placed[batch.rows] = values
                cols[col] = placed
        return attach_kept(pd.DataFrame(cols, index=data.index), kept)

    @route.rows("data")
    def predict(self, data, backend: str | None = None, keep=None):
        """The most probable state of each latent variable for every row (``keep`` as in
        :meth:`posterior`)."""
        self.engine("fit_mixture", backend)
        import pandas as pd

        from pgmkit.data.keep import attach_kept, split_kept

        data, kept = split_kept(data, keep)
        post = self.posterior(data, backend)
        out = {}
        for name in self.spec.latent_names:
            cols = posterior_columns(name, self.spec[name].states)
            out[name] = np.asarray(self.spec[name].states, dtype=object)[
                post[cols].to_numpy().argmax(axis=1)]
        return attach_kept(pd.DataFrame(out, index=data.index), kept)

    @single_threaded
    @validated
    @route.rows("data")
    def log_likelihood(self, data, per_row: bool = False, backend: str | None = None):
        """Total ``log p(rows)`` with the latents summed out (NaN cells marginalized); with
        ``per_row=True`` a Series of ``log p(row)`` aligned with ``data.index``."""
        self.engine("fit_mixture", backend)
        from pgmkit.temporal.queries import per_row_series

        batch, bound = self._bind(data)
        values = bound.forward().log_c.numpy()
        return per_row_series(values, batch.rows, data.index) if per_row else float(values.sum())

    @validated
    def sample(self, n: int, seed: int | None = None, backend: str | None = None):
        """``n`` rows drawn from the model (latent columns included)."""
        self.engine("fit_mixture", backend)
        from pgmkit.backends.forward_backward.infer import sample_sequences
        from pgmkit.temporal.queries import samples_frame
        from pgmkit.checks import MAX_RESULT_CELLS, check_size, row_width

        check_size(n * row_width(self.spec), MAX_RESULT_CELLS,
                   f"sample({n})", "draw fewer rows per call")

        frame = samples_frame(self.spec, sample_sequences(self.spec, n, 1, seed), ROW, "__step__")
        return frame.drop(columns=[ROW, "__step__"])

    # -- helpers --------------------------------------------------------------------
    def _pack(self, data):
        import pandas as pd

        from pgmkit.data.sequences import pack_logs

        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame; received {type(data).__name__}")
        if ROW in data.columns:
            raise DataError(f"column '{ROW}' is reserved")
        from pgmkit.data.columns import check_real_columns, real_columns
        from pgmkit.errors import did_you_mean, format_choices

        have = [str(c) for c in data.columns]
        for name in self.spec.observed_names:
            v = self.spec[name]
            if not v.is_discrete:       # x_0 for x[0]: name the spelling pgmkit reads
                check_real_columns(name, v.domain.shape, have)
            for c in [name] if v.is_discrete else real_columns(name, v.domain.shape):
                if c not in have:
                    raise DataError(f"the data has no column '{c}'{did_you_mean(c, have)}; "
                                    f"columns are {format_choices(have)}")

        from pgmkit.data.keep import check_log_columns

        framed = data.reset_index(drop=True).assign(**{ROW: np.arange(len(data))})
        check_log_columns(self.spec, framed, ROW, None, None)
        return pack_logs(self.spec, framed, ROW, None)

    def _bind(self, data):
        from pgmkit.backends.forward_backward.compile import params_from_specs
        from pgmkit.backends.forward_backward.engine import bind

        batch = self._pack(data)
        params = self.compiled("params", lambda: params_from_specs(self.layout, [self.spec]))
        return batch, bind(self.layout, params, batch)
