"""The queries every temporal model answers (filter, smooth, Viterbi, one-step
prediction, log-likelihood), and the frames they return.

Shared by :class:`~pgmkit.temporal.dynamic.DynamicBayesNet` and
:class:`~pgmkit.temporal.groups.GroupedDynamicBayesNet`; imports neither, so the two
modules import this one and never each other in a cycle.
"""
from __future__ import annotations

import numpy as np

from pgmkit.backends.forward_backward.kernel import single_threaded  # torch-free at import
from pgmkit.errors import DataError, did_you_mean, format_choices
from pgmkit.distributed import route


class TemporalQueries:
    """Queries shared by a single model and a per-group family of models.

    Subclasses are models (``spec``, ``engine(operation, backend)``) that provide
    ``_bind(logs, sequence, order, groupby)``, which packs the logs and binds the right
    parameters. Every query runs the forward-backward engine's ``smooth`` operation;
    ``backend=`` naming another engine is refused with the engines that can.
    """

    @route.sequences()
    def filter(self, logs, sequence: str = "sequence", order: str = "step",
               groupby: str | None = None, backend: str | None = None, keep=None):
        """``p(latent_t | events 1..t)`` per event: columns ``P(var=state)``.

        Examples
        --------
        >>> import pgmkit
        >>> bkt = pgmkit.example("bkt")
        >>> logs = bkt.sample_sequences(2, 4, seed=0)
        >>> bkt.filter(logs).shape[0]
        8
        """
        self.engine("smooth", backend)
        return self._posterior(logs, sequence, order, groupby, smooth=False, keep=keep)

    @route.sequences()
    def smooth(self, logs, sequence: str = "sequence", order: str = "step",
               groupby: str | None = None, backend: str | None = None, keep=None):
        """``p(latent_t | all events of the sequence)`` per event: columns ``P(var=state)``.

        Every query takes ``keep``: columns of ``logs`` that are not variables (an id, a
        timestamp) returned unchanged next to the answers; other unknown columns are
        refused.
        """
        self.engine("smooth", backend)
        return self._posterior(logs, sequence, order, groupby, smooth=True, keep=keep)

    @route.sequences()
    @single_threaded
    def viterbi(self, logs, sequence: str = "sequence", order: str = "step",
                groupby: str | None = None, backend: str | None = None, keep=None):
        """The most probable joint path of the latent variables: one column per latent
        variable holding its state, and ``path_log_probability`` (per sequence)."""
        self.engine("smooth", backend)
        from pgmkit.backends.forward_backward import infer as inference

        logs, kept = self._split(logs, sequence, order, groupby, keep)
        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        codes, score = inference.viterbi_states(bound)
        cols = {n: np.asarray(self.spec[n].states, dtype=object)[codes[n]]
                for n in self.spec.latent_names}
        cols["path_log_probability"] = score[batch.seq_of_event]
        return _frame(logs, batch, cols, sequence, order, groupby, kept)

    @route.sequences()
    @single_threaded
    def predict_next(self, logs, sequence: str = "sequence", order: str = "step",
                     groupby: str | None = None, backend: str | None = None, keep=None):
        """For each event, the distribution of its observed variables given the events
        before it in its sequence (what knowledge tracing is scored on): columns
        ``P(var=state)`` for discrete variables, ``E(var)`` for real ones."""
        self.engine("smooth", backend)
        from pgmkit.backends.forward_backward import infer as inference
        from pgmkit.data.columns import expectation_column, posterior_columns, real_columns

        logs, kept = self._split(logs, sequence, order, groupby, keep)
        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        cols = {}
        for name, arr in inference.predict_next(bound).items():
            v = self.spec[name]
            if v.is_discrete:
                cols.update(dict(zip(posterior_columns(name, v.states), arr.T)))
            else:
                cols.update({expectation_column(c): arr[:, i]
                             for i, c in enumerate(real_columns(name, v.domain.shape))})
        return _frame(logs, batch, cols, sequence, order, groupby, kept)

    @route.sequences()
    @single_threaded
    def log_likelihood(self, logs, sequence: str = "sequence", order: str = "step",
                       groupby: str | None = None, per_row: bool = False,
                       backend: str | None = None):
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
        self.engine("smooth", backend)
        logs, _ = self._split(logs, sequence, order, groupby, None)
        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        values = bound.forward().log_c.numpy()
        if not per_row:
            return float(values.sum())
        return per_row_series(values, batch.rows, logs.index)

    @single_threaded
    def _posterior(self, logs, sequence, order, groupby, smooth: bool, keep=None):
        from pgmkit.backends.forward_backward import infer as inference
        from pgmkit.data.columns import posterior_columns

        logs, kept = self._split(logs, sequence, order, groupby, keep)
        logs, batch, bound = self._bind(logs, sequence, order, groupby)
        probs = inference.state_posterior(bound, smooth)
        cols = {}
        for name, arr in inference.marginals(bound.layout, probs, self.spec.latent_names).items():
            cols.update(dict(zip(posterior_columns(name, self.spec[name].states), arr.T)))
        return _frame(logs, batch, cols, sequence, order, groupby, kept)


    def plot_sequence(self, logs, path, sequence_id=None, sequence: str = "sequence",
                      order: str = "step", how: str = "smooth", groupby: str | None = None):
        """Draw one sequence's filtered or smoothed posteriors over time, its Viterbi path
        and its observations to ``path`` (PNG, SVG or PDF by extension)."""
        from pgmkit.draw import plot_sequence

        return plot_sequence(self, logs, path, sequence_id, sequence=sequence, order=order,
                             how=how, groupby=groupby)

    def _split(self, logs, sequence, order, groupby, keep):
        """The logs without the kept columns, and the kept ones; unknown columns refused."""
        from pgmkit.data.keep import check_log_columns, split_kept
        from pgmkit.data.sequences import read_logs

        logs, kept = split_kept(read_logs(logs, order), keep)
        check_log_columns(self.spec, logs, sequence, order,
                          groupby or getattr(self, "groupby", None))
        return logs, kept


def per_row_series(values, rows, index):
    """Packed per-event values -> a ``log_likelihood`` Series in the input's row order."""
    import pandas as pd

    from pgmkit.data.columns import LOG_LIKELIHOOD

    placed = np.empty(len(index))
    placed[rows] = values
    return pd.Series(placed, index=index, name=LOG_LIKELIHOOD)


def _frame(logs, batch, cols: dict, sequence: str, order: str | None, groupby: str | None,
           kept=None):
    """Packed arrays -> a DataFrame in the input's row order and index (kept columns in front
    of the answers, after the keys)."""
    import pandas as pd

    from pgmkit.data.keep import attach_kept

    out = {}
    for key in (sequence, order, groupby):
        if key:
            out[key] = logs[key].to_numpy()
    for name, arr in cols.items():
        arr = np.asarray(arr)
        placed = np.empty(len(logs), dtype=arr.dtype)
        placed[batch.rows] = arr
        out[name] = placed
    keys = [k for k in (sequence, order, groupby) if k]
    return attach_kept(pd.DataFrame(out, index=logs.index), kept, keys)


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
