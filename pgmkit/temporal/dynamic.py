"""Dynamic Bayesian networks (HMMs, factorial HMMs, knowledge tracing, ...) on event logs.

A temporal spec is compiled to one hidden Markov model over the product of its state
variables and learned by EM that keeps the spec's factorization (see
:mod:`pgmkit.backends.forward_backward`). Input is a long-format log: one row per event, a
sequence-id column, an order column and one column per observed variable. Every query
returns a DataFrame aligned with the input rows.
"""
from __future__ import annotations

import numpy as np

from pgmkit.base import Model
from pgmkit.learn import em
from pgmkit.errors import DataError, UnsupportedError, did_you_mean, format_choices
from pgmkit.backends.forward_backward.kernel import single_threaded  # torch-free at import
from pgmkit.results import FitHistory


class TemporalQueries:
    """Queries shared by a single model and a per-group family of models.

    Subclasses provide ``spec`` (the structure) and ``_bind(logs, sequence, order,
    groupby)``, which packs the logs and binds the right parameters.
    """

    def filter(self, logs, sequence: str = "sequence", order: str = "step",
               groupby: str | None = None):
        """``p(latent_t | events 1..t)`` per event: columns ``P(var=state)``.

        Examples
        --------
        >>> import pgmkit
        >>> bkt = pgmkit.example("bkt")
        >>> logs = bkt.sample_sequences(2, 4, seed=0)
        >>> bkt.filter(logs).shape[0]
        8
        """
        return self._posterior(logs, sequence, order, groupby, smooth=False)

    def smooth(self, logs, sequence: str = "sequence", order: str = "step",
               groupby: str | None = None):
        """``p(latent_t | all events of the sequence)`` per event: columns ``P(var=state)``."""
        return self._posterior(logs, sequence, order, groupby, smooth=True)

    @single_threaded
    def viterbi(self, logs, sequence: str = "sequence", order: str = "step",
                groupby: str | None = None):
        """The most probable joint path of the latent variables: one column per latent
        variable holding its state, and ``path_log_probability`` (per sequence)."""
        from pgmkit.backends.forward_backward import infer as inference

        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        codes, score = inference.viterbi_states(bound)
        cols = {n: np.asarray(self.spec[n].states, dtype=object)[codes[n]]
                for n in self.spec.latent_names}
        cols["path_log_probability"] = score[batch.seq_of_event]
        return _frame(logs, batch, cols, sequence, order, groupby)

    @single_threaded
    def predict_next(self, logs, sequence: str = "sequence", order: str = "step",
                     groupby: str | None = None):
        """For each event, the distribution of its observed variables given the events
        before it in its sequence (what knowledge tracing is scored on): columns
        ``P(var=state)`` for discrete variables, ``E(var)`` for real ones."""
        from pgmkit.backends.forward_backward import infer as inference
        from pgmkit.data.columns import expectation_column, posterior_columns, real_columns

        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        cols = {}
        for name, arr in inference.predict_next(bound).items():
            v = self.spec[name]
            if v.is_discrete:
                cols.update(dict(zip(posterior_columns(name, v.states), arr.T)))
            else:
                cols.update({expectation_column(c): arr[:, i]
                             for i, c in enumerate(real_columns(name, v.domain.shape))})
        return _frame(logs, batch, cols, sequence, order, groupby)

    @single_threaded
    def log_likelihood(self, logs, sequence: str = "sequence", order: str = "step",
                       groupby: str | None = None, per_row: bool = False):
        """``log p(logs)``, the total over every sequence (a float); with ``per_row=True``
        a Series aligned with the input rows holding each event's
        ``log p(event_t | events 1..t-1)``, which sums to the total.

        Examples
        --------
        >>> import pgmkit
        >>> hmm = pgmkit.example("hmm")
        >>> logs = hmm.sample_sequences(3, 5, seed=0)
        >>> rows = hmm.log_likelihood(logs, per_row=True)
        >>> bool(abs(rows.sum() - hmm.log_likelihood(logs)) < 1e-9)
        True
        """
        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        values = bound.forward().log_c.numpy()
        if not per_row:
            return float(values.sum())
        return per_row_series(values, batch.rows, logs.index)

    @single_threaded
    def _posterior(self, logs, sequence, order, groupby, smooth: bool):
        from pgmkit.backends.forward_backward import infer as inference
        from pgmkit.data.columns import posterior_columns

        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        probs = inference.state_posterior(bound, smooth)
        cols = {}
        for name, arr in inference.marginals(bound.layout, probs, self.spec.latent_names).items():
            cols.update(dict(zip(posterior_columns(name, self.spec[name].states), arr.T)))
        return _frame(logs, batch, cols, sequence, order, groupby)


def per_row_series(values, rows, index):
    """Packed per-event values -> a ``log_likelihood`` Series in the input's row order."""
    import pandas as pd

    from pgmkit.data.columns import LOG_LIKELIHOOD

    placed = np.empty(len(index))
    placed[rows] = values
    return pd.Series(placed, index=index, name=LOG_LIKELIHOOD)


def _frame(logs, batch, cols: dict, sequence: str, order: str | None, groupby: str | None):
    """Packed arrays -> a DataFrame in the input's row order and index."""
    import pandas as pd

    out = {}
    for key in (sequence, order, groupby):
        if key:
            out[key] = logs[key].to_numpy()
    for name, arr in cols.items():
        arr = np.asarray(arr)
        placed = np.empty(len(logs), dtype=arr.dtype)
        placed[batch.rows] = arr
        out[name] = placed
    return pd.DataFrame(out, index=logs.index)


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

    default_backend = "pomegranate"
    backends = ("pomegranate",)

    def __init__(self, spec, backend: str | None = None):
        super().__init__(spec, backend)
        from pgmkit.backends.forward_backward.compile import layout_of

        self.layout = layout_of(self.spec)      # refuses what the backend cannot hold, early

    def fit(self, logs, sequence: str = "sequence", order: str = "step",
            groupby: str | None = None, method: str = "em", max_iter: int = em.MAX_ITER,
            tol: float = em.TOL, restarts: int | None = None, seed: int | None = 0,
            pseudo_count: float = em.PSEUDO_COUNT, progress: bool = True):
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
        or merged latent states.

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
        from pgmkit.data.sequences import pack_logs, read_logs

        if method != "em":
            raise UnsupportedError(f"DynamicBayesNet.fit supports method='em'; received "
                                   f"method='{method}'")
        logs = read_logs(logs, order)
        batch = pack_logs(self.spec, logs, sequence, order, groupby)
        start = params_from_specs(self.layout, [self.spec])
        res = run_em(self.layout, start, batch, max_iter=max_iter, tol=tol, restarts=restarts,
                     seed=seed, pseudo_count=pseudo_count, progress=progress)
        history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                             {"events": batch.num_events, "sequences": batch.num_sequences,
                              "pseudo_count": pseudo_count})
        if groupby is None:
            return self._refit(spec_for_group(self.layout, res.params, 0), history)
        models = {}
        for g, label in enumerate(batch.groups):
            gh = FitHistory((float(res.group_loglik[g]),), res.converged, (), "em",
                            {"restart": int(res.chosen[g])})
            models[label] = type(self)(spec_for_group(self.layout, res.params, g), self.backend)
            models[label].history = gh
        from pgmkit.temporal.groups import GroupedDynamicBayesNet

        return GroupedDynamicBayesNet(models, groupby, history)

    def sample_sequences(self, n: int, length: int, seed: int | None = None,
                         sequence: str = "sequence", order: str = "step"):
        """``n`` sequences of ``length`` slices as a long-format log (latent columns included).

        Examples
        --------
        >>> import pgmkit
        >>> pgmkit.example("bkt").sample_sequences(3, 5, seed=0).shape
        (15, 4)
        """
        from pgmkit.backends.forward_backward.infer import sample_sequences
        from pgmkit.errors import SpecError

        if self.spec.missing_cpds:
            raise SpecError(f"model '{self.spec.name}': variable(s) {list(self.spec.missing_cpds)} "
                            "have no CPD to sample from; give one or fit the model first")
        if n < 1 or length < 1:
            raise DataError(f"sample_sequences needs n >= 1 and length >= 1; received n={n}, "
                            f"length={length}")
        return samples_frame(self.spec, sample_sequences(self.spec, n, length, seed), sequence, order)

    def _bind(self, logs, sequence, order, groupby):
        from pgmkit.backends.forward_backward.compile import params_from_specs
        from pgmkit.backends.forward_backward.engine import bind
        from pgmkit.data.sequences import pack_logs, read_logs

        logs = read_logs(logs, order)
        batch = pack_logs(self.spec, logs, sequence, order, groupby)
        params = self.compiled("params", lambda: params_from_specs(self.layout, [self.spec]))
        return logs, batch, bind(self.layout, params, batch)


def samples_frame(spec, values: dict, sequence: str = "sequence", order: str = "step"):
    """Sampled arrays (``(n, length[, ...])`` per variable) -> a long-format DataFrame."""
    import pandas as pd

    from pgmkit.data.columns import real_columns

    n, length = next(iter(values.values())).shape[:2]
    out = {sequence: np.repeat(np.arange(n), length), order: np.tile(np.arange(length), n)}
    for v in spec.variables:
        arr = values[v.name]
        if v.is_discrete:
            out[v.name] = np.asarray(v.states, dtype=object)[arr.reshape(-1)]
        else:
            flat = arr.reshape(n * length, -1)
            out.update({c: flat[:, i] for i, c in enumerate(real_columns(v.name, v.domain.shape))})
    return pd.DataFrame(out)


def unknown_group(label, known) -> DataError:
    names = [str(k) for k in known]
    return DataError(f"group '{label}' has no fitted model{did_you_mean(str(label), names)}; "
                     f"groups are {format_choices(names)}")
