"""Temporal models with neural CPDs: HMMs with neural emissions and recurrent models.

A temporal spec whose CPDs include ``neural`` or ``recurrent`` ones runs on pgmkit's
neural temporal engine (:mod:`pgmkit.backends.neural_temporal`): a discrete hidden chain
is summed out exactly by the forward algorithm, a recurrent state is a GRU/LSTM over the
sequence, and every network is trained by maximizing the exact log-likelihood of the
logs. Same long-format logs and the same ``fit(logs, sequence=, order=)`` call as
:class:`~pgmkit.temporal.dynamic.DynamicBayesNet`.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from pgmkit.backends.forward_backward.kernel import single_threaded  # torch-free at import
from pgmkit.networked import NetworkModel
from pgmkit.checks import validated
from pgmkit.errors import DataError, SpecError, UnsupportedError
from pgmkit.results import FitHistory
from pgmkit.spec.model import ModelSpec
from pgmkit.temporal.queries import _frame, per_row_series, samples_frame

from pgmkit.io.saved import SPEC_FILE, WEIGHTS_FILE  # noqa: F401  (re-exported)


class NeuralTemporalModel(NetworkModel):
    """A temporal model with network CPDs, fitted by exact maximum likelihood on logs.

    Examples
    --------
    >>> import pgmkit
    >>> hmm = pgmkit.example("neural_hmm")
    >>> logs = hmm.sample_sequences(20, 15, seed=0).drop(columns=["regime"])
    >>> fitted = hmm.fit(logs, epochs=2, progress=False)
    >>> fitted.log_likelihood(logs) < 0
    True
    """

    saved_what = "neural temporal model"
    operation = "fit_neural_sequences"

    def __init__(self, spec: ModelSpec, backend: str | None = None,
                 weights: Mapping[str, Any] | None = None):
        super().__init__(spec, backend)
        from pgmkit.backends.neural_temporal.compile import roles_of

        self.roles = roles_of(self.spec)
        self._weights = dict(weights) if weights is not None else None
        self.network  # build now: problems surface at construction

    # -- the compiled network ------------------------------------------------------------
    @property
    def network(self):
        """The :class:`~pgmkit.backends.neural_temporal.compile.TemporalNet` (built once)."""
        return self.compiled("torch", lambda: self._build(0))

    def _build(self, seed: int, load: bool = True):
        from pgmkit.backends.neural_temporal.compile import TemporalNet
        from pgmkit.networked import seeded_module

        return seeded_module(lambda: TemporalNet(self.spec), seed,
                             self._weights if load else None, self.spec.name).eval()

    def _events(self, logs, sequence: str, order: str | None):
        from pgmkit.backends.neural_temporal.data import Events
        from pgmkit.data.sequences import pack_logs, read_logs

        logs = read_logs(logs)
        require = [v.name for v in self.roles.modeled + self.roles.inputs]
        batch = pack_logs(self.spec, logs, sequence, order, require=require)
        return logs, batch, Events(batch)

    # -- training ------------------------------------------------------------------------
    @validated
    @single_threaded
    def fit(self, logs, sequence: str = "sequence", order: str = "step", epochs: int = 10,
            batch_size: int = 32, lr: float = 1e-2, seed: int = 0, progress: bool = True,
            validation=None, patience: int | None = None,
            checkpoint_dir: str | os.PathLike | None = None, resume: bool = False,
            clip: float | None = 5.0) -> "NeuralTemporalModel":
        """Maximize the exact log-likelihood of the logs by Adam over minibatches of
        ``batch_size`` sequences (grouped by length); fits in place and returns ``self``.

        ``history.log_likelihood`` holds the mean log-likelihood per event per epoch; with
        ``validation`` (logs of other sequences) the best held-out epoch is kept and
        ``patience`` stops early. ``clip`` bounds the gradient norm (recurrent nets need
        it on long sequences). Learned tables (the hidden chain's) flow into the spec.
        """
        import torch

        from pgmkit.backends.neural_temporal.forward import forward
        from pgmkit.backends.training import TrainConfig, train

        _, _, events = self._events(logs, sequence, order)
        net = self._build(seed, load=False)
        valid_score = None
        if validation is not None:
            _, _, vevents = self._events(validation, sequence, order)
            vpacked = vevents.pack()

            def valid_score():
                return float(self._log_c(net, vpacked, forward).mean())

        def batch_loss(seqs, gen):
            packed = events.pack(seqs)
            log_c = self._log_c(net, packed, forward)
            return -log_c.sum() / packed.num_events, packed.num_events

        config = TrainConfig(epochs, batch_size, lr, seed, progress, patience, checkpoint_dir,
                             resume, clip, desc=f"fit {self.spec.name}")
        with torch.random.fork_rng():
            torch.manual_seed(int(seed))
            state = train(net, events.num_sequences, batch_loss, config, valid_score,
                          batches=lambda gen: events.minibatches(batch_size, gen))
        self._weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self._learned_into_spec(net)
        self._compiled = {"torch": net}
        self.history = FitHistory(tuple(state.train), state.stopped_early, (), "max_likelihood",
                                  {"valid_log_likelihood": tuple(state.valid),
                                   "epochs": state.epoch, "seed": seed,
                                   "events": events.num_events,
                                   "sequences": events.num_sequences,
                                   "objective": "mean log-likelihood per event (nats)"})
        return self

    @staticmethod
    def _log_c(net, packed, forward):
        log_e, _ = net.emission_log_probs(packed)
        log_init, log_trans = net.chain_log_params()
        return forward(log_init, log_trans, log_e, packed.batch_sizes)[0]

    def _learned_into_spec(self, net) -> None:
        from pgmkit.spec.cpd import TableCPD

        tables = net.learned_tables()
        cpds = {k: TableCPD(v) for k, v in tables["cpd"].items()}
        initial = {k: TableCPD(v) for k, v in tables["initial"].items()}
        if cpds or initial:
            self.spec = self.spec.with_cpds(cpds, initial)

    # -- evaluation ----------------------------------------------------------------------
    @single_threaded
    def _run(self, logs, sequence, order):
        """Everything the queries need, from one pass over the logs (no gradients)."""
        import torch

        from pgmkit.backends.neural_temporal.forward import forward

        logs, batch, events = self._events(logs, sequence, order)
        net = self.network
        packed = events.pack()
        with torch.no_grad():
            log_e, outs = net.emission_log_probs(packed)
            log_init, log_trans = net.chain_log_params()
            log_c, log_alpha = forward(log_init, log_trans, log_e, packed.batch_sizes)
        return dict(logs=logs, batch=batch, packed=packed, log_e=log_e, outs=outs,
                    log_init=log_init, log_trans=log_trans, log_c=log_c, log_alpha=log_alpha)

    @validated
    def log_likelihood(self, logs, sequence: str = "sequence", order: str = "step",
                       per_row: bool = False):
        """Exact log-likelihood of the logs (nats): the total, or per event
        ``log p(event_t | events before it)`` as a Series aligned with the input rows."""
        r = self._run(logs, sequence, order)
        if not per_row:
            return float(r["log_c"].double().sum())
        return per_row_series(r["log_c"].double().numpy(), r["batch"].rows, r["logs"].index)

    @validated
    def predict_next(self, logs, sequence: str = "sequence", order: str = "step"):
        """Per event, each modeled variable's distribution given the events before it (and
        the event's own inputs): ``P(var=state)`` columns, ``E(var)`` for real ones."""
        import torch

        from pgmkit.backends.neural_temporal.forward import predictive
        from pgmkit.data.sequences import real_columns

        r = self._run(logs, sequence, order)
        net = self.network
        with torch.no_grad():
            pred = predictive(r["log_init"], r["log_trans"], r["log_alpha"],
                              r["packed"].batch_sizes)
            cols = {}
            for v in self.roles.modeled:
                mean = (pred[:, :, None] * net.mean(v, r["outs"][v.name])).sum(1).double().numpy()
                names = ([f"P({v.name}={s})" for s in v.states] if v.is_discrete else
                         [f"E({c})" for c in real_columns(v.name, v.domain.shape)])
                cols.update({c: mean[:, i] for i, c in enumerate(names)})
        return _frame(r["logs"], r["batch"], cols, sequence, order, None)

    @validated
    def filter(self, logs, sequence: str = "sequence", order: str = "step"):
        """``p(chain_t | events 1..t)`` per event: columns ``P(chain=state)``."""
        r = self._run(logs, sequence, order)
        return self._chain_frame(r, r["log_alpha"].exp(), sequence, order)

    @validated
    def smooth(self, logs, sequence: str = "sequence", order: str = "step"):
        """``p(chain_t | all events of the sequence)`` per event: columns ``P(chain=state)``."""
        from pgmkit.backends.neural_temporal.forward import smooth

        r = self._run(logs, sequence, order)
        self._need_chain("smooth")
        post = smooth(r["log_trans"], r["log_e"], r["log_alpha"], r["packed"].batch_sizes)
        return self._chain_frame(r, post, sequence, order)

    @validated
    def viterbi(self, logs, sequence: str = "sequence", order: str = "step"):
        """The most probable hidden path: the chain's state per event and the path's
        log-probability (joint with the events) per sequence."""
        from pgmkit.backends.neural_temporal.forward import viterbi

        chain = self._need_chain("viterbi")
        r = self._run(logs, sequence, order)
        states, score = viterbi(r["log_init"], r["log_trans"], r["log_e"], r["packed"].batch_sizes)
        cols = {chain.name: np.asarray(chain.states, dtype=object)[states.numpy()],
                "path_log_probability": score.double().numpy()[r["batch"].seq_of_event]}
        return _frame(r["logs"], r["batch"], cols, sequence, order, None)

    def _need_chain(self, what: str):
        if self.roles.chain is None:
            raise UnsupportedError(f"{what} needs a discrete hidden chain; model "
                                   f"'{self.spec.name}' has none")
        return self.roles.chain

    def _chain_frame(self, r, probs, sequence, order):
        chain = self._need_chain("filter")
        arr = probs.double().numpy()
        cols = {f"P({chain.name}={s})": arr[:, i] for i, s in enumerate(chain.states)}
        return _frame(r["logs"], r["batch"], cols, sequence, order, None)

    # -- sampling ------------------------------------------------------------------------
    @validated
    @single_threaded
    def sample_sequences(self, n: int, length: int, seed: int | None = None,
                         sequence: str = "sequence", order: str = "step"):
        """``n`` sequences of ``length`` slices drawn ancestrally, as a long-format log
        (the hidden chain's column included; a recurrent state is not a column)."""
        from pgmkit.backends.neural_temporal.sample import sample

        if n < 1 or length < 1:
            raise DataError(f"sample_sequences needs n >= 1 and length >= 1; received n={n}, "
                            f"length={length}")
        if self.roles.inputs:
            raise SpecError(f"model '{self.spec.name}': variable(s) "
                            f"{[v.name for v in self.roles.inputs]} have no CPD to sample from; "
                            "give them one (a table) to sample whole sequences")
        values = sample(self.network, n, length, 0 if seed is None else seed)
        return samples_frame(self.spec, values, sequence, order)

    # -- size and persistence -----------------------------------------------------------
    def num_parameters(self) -> int:
        """Learnable numbers: network weights and table logits."""
        return self.network.num_parameters()

