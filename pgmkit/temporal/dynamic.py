"""Dynamic Bayesian networks (HMMs, factorial HMMs, knowledge tracing, ...) on event logs.

A temporal spec is compiled to one hidden Markov model over the product of its state
variables and learned by EM that keeps the spec's factorization (see
:mod:`pgmkit.backends.forward_backward`). Input is a long-format log: one row per event, a
sequence-id column, an order column and one column per observed variable. Every query
returns a DataFrame aligned with the input rows.
"""
from __future__ import annotations

from pgmkit.base import Model
from pgmkit.distributed import route
from pgmkit.errors import DataError, UnsupportedError
from pgmkit.learn import em
from pgmkit.checks import validated
from pgmkit.results import FitHistory
from pgmkit.temporal.groups import GroupedDynamicBayesNet
from pgmkit.temporal.queries import (TemporalQueries, per_row_series,  # noqa: F401  (re-exported)
                                     samples_frame)


class DynamicBayesNet(TemporalQueries, Model):
    """A dynamic Bayesian network learned and queried on long-format event logs.

    Examples
    --------
    >>> import pgmkit
    >>> bkt = pgmkit.example("bkt")
    >>> logs = bkt.sample_sequences(50, 10, seed=1)
    >>> fitted = bkt.fit(logs, sequence="sequence", order="step", seed=0, progress=False)
    >>> fitted is bkt and fitted.history.log_likelihood[-1] >= fitted.history.log_likelihood[0]
    True
    """

    operation = "smooth"

    def __init__(self, spec, backend: str | None = None):
        super().__init__(spec, backend)
        from pgmkit.backends.forward_backward.compile import layout_of

        self.layout = layout_of(self.spec)      # refuses what the backend cannot hold, early

    @validated
    @route.fit("em.fit_dynamic", "logs")
    def fit(self, logs, sequence: str = "sequence", order: str = "step",
            groupby: str | None = None, method: str = "em", max_iter: int = em.MAX_ITER,
            tol: float = em.TOL, restarts: int | None = None, seed: int | None = 0,
            pseudo_count: float = em.PSEUDO_COUNT, progress: bool = True,
            backend: str | None = None, device: str | None = None):
        """Learn every CPD by EM from a long-format log (DataFrame or CSV path).

        NaN observations are summed out; a latent variable's column, where present, acts
        as labels. Without ``groupby`` the model is fitted in place and returned (its
        spec now holds the learned CPDs, ``.history`` the EM trace). With ``groupby`` one
        model per group is fitted, all in one batched EM, and a new
        :class:`GroupedDynamicBayesNet` (a mapping group -> model whose queries route
        each row to its group's model) is returned, each group starting from this
        model's CPDs; this model is left as it was.

        The loop and its defaults are :func:`pgmkit.learn.em.run`'s, shared by every EM
        fit: ``max_iter`` E-steps at most; ``tol`` is the least gain in log-likelihood per
        event that continues EM; ``restarts`` runs (default: one when the spec gives every
        CPD, else three; later ones start random, seeded by ``seed``), keeping the best per
        group; ``pseudo_count`` (default 0, maximum likelihood) is a Dirichlet prior on
        every cell the starting CPD allows (zeros in a given CPD stay zero). Warns
        ``ConvergenceWarning`` / ``CollapseWarning`` when EM hit ``max_iter`` or emptied
        or merged latent states. ``logs`` may also be a Dask DataFrame or a Parquet file
        or folder (:mod:`pgmkit.distributed`).

        ``device`` is where the E-steps run: ``None``/``"cpu"`` (default) is the CPU's
        numpy forward-backward, fastest there; ``"cuda"`` (or ``"cuda:N"``) runs the
        emission log-probabilities, forward and backward passes and expected counts in
        torch on that GPU in float64, and only the statistics return to the CPU for the
        M-step: the same fit as on the CPU (to 1e-9). Asking for CUDA where it is absent
        raises a :class:`~pgmkit.errors.PgmkitError` that says so. On Dask the workers
        run the E-steps on that device. The queries (``filter``, ``smooth``, ``viterbi``,
        ``predict_next``, ``log_likelihood``) run on the CPU.

        Examples
        --------
        >>> import pgmkit
        >>> hmm = pgmkit.example("hmm")
        >>> logs = hmm.sample_sequences(20, 30, seed=0)
        >>> hmm.fit(logs, seed=0, progress=False).history.method
        'em'
        """
        from pgmkit.backends.forward_backward.compile import params_from_specs, spec_for_group
        from pgmkit.backends.forward_backward.learn import run_em
        from pgmkit.data.keep import check_log_columns
        from pgmkit.data.sequences import pack_logs, read_logs
        from pgmkit.distributed.torchrun import engine_device

        self.engine("fit_sequences", backend)
        dev = engine_device(device)
        if method != "em":
            raise UnsupportedError(f"DynamicBayesNet.fit supports method='em'; received "
                                   f"method='{method}'")
        logs = read_logs(logs, order)
        check_log_columns(self.spec, logs, sequence, order, groupby)
        batch = pack_logs(self.spec, logs, sequence, order, groupby)
        start = params_from_specs(self.layout, [self.spec])
        res = run_em(self.layout, start, batch, max_iter=max_iter, tol=tol, restarts=restarts,
                     seed=seed, pseudo_count=pseudo_count, progress=progress, device=dev)
        history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                             {"events": batch.num_events, "sequences": batch.num_sequences,
                              "pseudo_count": pseudo_count})
        if groupby is None:
            return self._refit(spec_for_group(self.layout, res.params, 0), history)
        models = {}
        for g, label in enumerate(batch.groups):
            gh = FitHistory((float(res.group_loglik[g]),), res.converged, (), "em",
                            {"restart": int(res.chosen[g])})
            models[label] = type(self)(spec_for_group(self.layout, res.params, g),
                                       self.backend if self._explicit else None)
            models[label].history = gh
        return GroupedDynamicBayesNet(models, groupby, history)

    @validated
    def sample_sequences(self, n: int, length: int, seed: int | None = None,
                         sequence: str = "sequence", order: str = "step",
                         backend: str | None = None):
        """``n`` sequences of ``length`` slices as a long-format log (latent columns included).

        Examples
        --------
        >>> import pgmkit
        >>> pgmkit.example("bkt").sample_sequences(3, 5, seed=0).shape
        (15, 4)
        """
        from pgmkit.backends.forward_backward.infer import sample_sequences
        from pgmkit.errors import SpecError

        self.engine("smooth", backend)
        if self.spec.missing_cpds:
            raise SpecError(f"model '{self.spec.name}': variable(s) {list(self.spec.missing_cpds)} "
                            "have no CPD to sample from; give one or fit the model first")
        from pgmkit.checks import MAX_RESULT_CELLS, check_size, row_width

        check_size(n * length * row_width(self.spec), MAX_RESULT_CELLS,
                   f"sample_sequences({n}, {length})", "draw fewer sequences per call")
        return samples_frame(self.spec, sample_sequences(self.spec, n, length, seed), sequence, order)

    def _bind(self, logs, sequence, order, groupby):
        from pgmkit.backends.forward_backward.compile import params_from_specs
        from pgmkit.backends.forward_backward.engine import bind
        from pgmkit.data.keep import check_log_columns
        from pgmkit.data.sequences import pack_logs, read_logs

        logs = read_logs(logs, order)
        batch = pack_logs(self.spec, logs, sequence, order, groupby)
        params = self.compiled("params", lambda: params_from_specs(self.layout, [self.spec]))
        return logs, batch, bind(self.layout, params, batch)
