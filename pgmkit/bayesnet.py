"""BayesNet: a static discrete Bayesian network — queries, MAP, sampling, learning."""
from __future__ import annotations

import logging
import math
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pgmkit.base import Model
from pgmkit.errors import DataError, EvidenceError, SpecError, did_you_mean
from pgmkit.results import Assignment, Distribution, FitHistory
from pgmkit.spec.model import ModelSpec

log = logging.getLogger(__name__)

FIT_METHODS = ("mle", "bayes", "em")
SAMPLE_METHODS = ("rejection", "likelihood")


class BayesNet(Model):
    """A discrete, static Bayesian network.

    Exact queries run on pgmpy's variable elimination; tables of evidence rows run on
    the batched contraction engine (:meth:`query_batch`). Build one from YAML with
    :func:`pgmkit.load`, from a dict with :func:`pgmkit.model`, or by name with
    :func:`pgmkit.example`.

    Examples
    --------
    >>> import pgmkit
    >>> bn = pgmkit.example("alarm")
    >>> round(bn.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})["yes"], 4)
    0.2842
    """

    default_backend = "pgmpy"
    backends = ("pgmpy", "batched")

    def __init__(self, spec: ModelSpec, backend: str | None = None):
        super().__init__(spec, backend)
        if spec.temporal or not spec.is_discrete:
            raise SpecError(f"BayesNet takes static discrete models; '{spec.name}' is "
                            f"{'temporal' if spec.temporal else 'not all discrete'}: use "
                            "pgmkit.load/wrap to get the right model class")

    # -- checks ------------------------------------------------------------------------
    def _require_cpds(self) -> None:
        missing = self.spec.missing_cpds
        if missing:
            raise SpecError(f"model '{self.name}': variable(s) {list(missing)} have no CPD; give "
                            "one in the spec or fit the model first")

    def _variables(self, variables: str | Iterable[str] | None, what: str = "query") -> list[str]:
        if variables is None:
            return []
        names = [variables] if isinstance(variables, str) else list(variables)
        if not names:
            raise EvidenceError(f"{what} needs at least one variable")
        for v in names:
            if v not in self.spec:
                raise EvidenceError(f"{what} names unknown variable '{v}'"
                                    f"{did_you_mean(v, self.spec.names)}")
        if len(set(names)) != len(names):
            raise EvidenceError(f"{what} lists a variable twice: {names}")
        return names

    def _evidence(self, evidence: Mapping[str, object] | None, targets: Sequence[str] = (),
                  ) -> dict[str, str]:
        from pgmkit.data.evidence import check_evidence

        return check_evidence(self.spec, evidence, targets)

    def _ve(self):
        self._require_cpds()
        from pgmkit.backends.pgmpy.infer import engine

        return self.compiled("pgmpy", lambda: engine(self.spec))

    # -- exact inference -----------------------------------------------------------------
    def query(self, variables: str | Iterable[str], evidence: Mapping[str, object] | None = None
              ) -> Distribution:
        """Posterior of one variable, or the joint posterior of several, given evidence.

        Raises ``EvidenceError`` for unknown variables or states, a variable both
        queried and observed, and impossible evidence.
        """
        from pgmkit.backends.pgmpy.infer import joint

        names = self._variables(variables)
        ev = self._evidence(evidence, names)
        # pgmpy prunes an observed root's own prior, so P(B | A=a) comes back finite even
        # when P(A=a) = 0: check the evidence itself first.
        if ev and self._log_probability(ev) == -math.inf:
            raise EvidenceError(f"the evidence {ev} is impossible (probability 0 under the model)")
        values = joint(self._ve(), self.spec, names, ev)
        return Distribution(tuple(names), {v: self.spec[v].states for v in names}, values, ev)

    def probability(self, assignment: Mapping[str, object]) -> float:
        """Joint probability of a full or partial assignment (others summed out).

        Examples
        --------
        >>> import pgmkit
        >>> bn = pgmkit.example("alarm")
        >>> round(bn.probability({"Burglary": "yes"}), 6)
        0.001
        """
        ev = self._evidence(assignment)
        if not ev:
            return 1.0
        self._require_cpds()
        if len(ev) == len(self.spec):
            from pgmkit.backends.ancestral import log_prob
            from pgmkit.data.tables import encode_frame

            codes = encode_frame(self.spec, pd.DataFrame([ev]))
            return float(np.exp(log_prob(self.spec, codes, list(ev))[0]))
        return math.exp(self._log_probability(ev))

    def _log_probability(self, ev: dict[str, str]) -> float:
        """log P(ev) by the chain rule: one single-variable query per assigned variable."""
        from pgmkit.backends.pgmpy.infer import joint

        total, given = 0.0, {}
        for name in self.spec.topological_order():
            if name not in ev:
                continue
            try:
                p = joint(self._ve(), self.spec, [name], given)[self.spec[name].index(ev[name])]
            except EvidenceError:
                return -math.inf
            if p <= 0:
                return -math.inf
            total += math.log(p)
            given[name] = ev[name]
        return total

    def map(self, variables: str | Iterable[str] | None = None,
            evidence: Mapping[str, object] | None = None) -> Assignment:
        """Most probable joint assignment of ``variables`` given evidence.

        With ``variables=None`` every unobserved variable is assigned (the most probable
        explanation). With a subset, the other variables are summed out (marginal MAP).
        """
        from pgmkit.backends.maxproduct import mpe
        from pgmkit.backends.pgmpy.infer import map_joint

        names = self._variables(variables, "map")
        ev = self._evidence(evidence, names)
        log_evidence = self._log_probability(ev)
        if log_evidence == -math.inf:
            raise EvidenceError(f"the evidence {ev} is impossible (probability 0 under the model)")
        if names:
            states = map_joint(self._ve(), self.spec, names, ev)
            log_joint = self._log_probability({**states, **ev})
        else:
            codes, log_joint = mpe(self.spec, {k: self.spec[k].index(s) for k, s in ev.items()})
            states = {k: self.spec[k].states[c] for k, c in codes.items()}
        if not states:
            raise EvidenceError("every variable is observed: nothing left to assign")
        order = [n for n in self.spec.names if n in states]
        return Assignment({k: states[k] for k in order}, math.exp(log_joint - log_evidence), ev)

    # -- sampling ----------------------------------------------------------------------
    def sample(self, n: int, evidence: Mapping[str, object] | None = None, seed: int | None = None,
               method: str = "rejection") -> pd.DataFrame:
        """Draw ``n`` joint samples as a DataFrame of state names.

        Without evidence: ancestral sampling. With evidence, ``method="rejection"``
        (default) returns exact posterior samples by ancestral sampling and rejection;
        ``method="likelihood"`` clamps the evidence and adds a ``weight`` column
        (likelihood weighting: weights are P(evidence | parents), not normalized).
        """
        from pgmkit.backends.ancestral import forward

        if not isinstance(n, (int, np.integer)) or n < 1:
            raise DataError(f"sample size must be a positive integer; received {n!r}")
        if method not in SAMPLE_METHODS:
            raise EvidenceError(f"unknown sampling method '{method}'; expected one of "
                                f"{list(SAMPLE_METHODS)}")
        self._require_cpds()
        ev = self._evidence(evidence)
        rng = np.random.default_rng(seed)
        clamp = {k: self.spec[k].index(v) for k, v in ev.items()}
        if not ev:
            codes, _ = forward(self.spec, n, rng)
            return self._frame(codes, n)
        p = math.exp(self._log_probability(ev))
        if p <= 0:
            raise EvidenceError(f"the evidence {ev} is impossible (probability 0 under the model)")
        if method == "likelihood":
            codes, logw = forward(self.spec, n, rng, clamp)
            frame = self._frame(codes, n)
            frame["weight"] = np.exp(logw)
            return frame
        return self._rejection(n, clamp, p, rng)

    def _rejection(self, n, clamp, p, rng) -> pd.DataFrame:
        from pgmkit.backends.ancestral import forward

        if n / p > 5e8:
            raise EvidenceError(f"the evidence has probability {p:.3g}: rejection sampling would "
                                "need too many draws; use method='likelihood'")
        kept, have = [], 0
        batch = int(min(max(2 * n / p, 1024), 2_000_000))
        while have < n:
            codes, _ = forward(self.spec, batch, rng)
            ok = np.all([codes[k] == v for k, v in clamp.items()], axis=0)
            if ok.any():
                kept.append({k: c[ok] for k, c in codes.items()})
                have += int(ok.sum())
        codes = {k: np.concatenate([b[k] for b in kept])[:n] for k in self.spec.names}
        return self._frame(codes, n)

    def _frame(self, codes: dict[str, np.ndarray], n: int) -> pd.DataFrame:
        from pgmkit.data.tables import decode

        return pd.DataFrame({k: decode(self.spec, k, codes[k]) for k in self.spec.names},
                            index=pd.RangeIndex(n))

    # -- data --------------------------------------------------------------------------
    def log_likelihood(self, data: pd.DataFrame, per_row: bool = False):
        """log P(data): the sum over rows of log P(row's observed cells).

        NaN cells and absent columns are marginalized (exactly, by the batched engine).
        Returns the total (a float), or with ``per_row=True`` a Series of per-row values
        aligned with ``data.index``.
        """
        from pgmkit.data.tables import encode_frame

        self._require_cpds()
        codes = encode_frame(self.spec, data)     # checks the frame, its columns and states
        if codes.shape[1] == len(self.spec) and (codes >= 0).all():
            from pgmkit.backends.ancestral import log_prob

            rows = log_prob(self.spec, codes, list(data.columns))
        else:
            from pgmkit.backends.contraction.infer import log_likelihood_rows

            rows = np.asarray(log_likelihood_rows(self.spec, data, codes=codes))
        if per_row:
            from pgmkit.data.columns import LOG_LIKELIHOOD

            return pd.Series(rows, index=data.index, name=LOG_LIKELIHOOD)
        return float(rows.sum())

    def fit(self, data: pd.DataFrame, method: str = "mle", prior: str = "BDeu",
            pseudo_count: float | None = None, **em_options) -> "BayesNet":
        """Learn every table CPD from data, in place; returns this BayesNet, fitted.

        The spec the model holds is replaced by one with the learned CPDs (use
        ``bn.copy().fit(data)`` to keep ``bn`` as it was).

        ``method="mle"`` (maximum likelihood) and ``"bayes"`` (posterior mean under a
        Dirichlet prior: ``prior`` is ``"BDeu"`` with equivalent sample size
        ``pseudo_count``, default 1, ``"K2"``, or ``"dirichlet"`` adding ``pseudo_count``
        per cell) need complete data: a NaN cell raises ``DataError`` naming it. ``"em"``
        keeps every row, marginalizing missing cells and latent variables (columns absent
        from the data); its ``pseudo_count`` is the Dirichlet prior of every EM fit
        (default 0: maximum likelihood, see :mod:`pgmkit.learn.em`) and ``em_options`` go
        to it (``max_iter``, ``tol``, ``restarts``, ``seed``, ``progress``).

        Examples
        --------
        >>> import pgmkit
        >>> truth = pgmkit.example("alarm")
        >>> fitted = truth.copy().fit(truth.sample(20000, seed=0))
        >>> abs(fitted.query("Alarm")["yes"] - truth.query("Alarm")["yes"]) < 0.01
        True
        >>> import pandas as pd
        >>> blank = pgmkit.model({"variables": {"Coin": {"states": ["h", "t"]}}})
        >>> blank.fit(pd.DataFrame({"Coin": ["h", "t", "t", "t"]})) is blank, blank.query("Coin")["t"]
        (True, 0.75)
        """
        from pgmkit.data.tables import check_columns, check_frame, encode_frame

        if method not in FIT_METHODS:
            raise DataError(f"unknown fit method '{method}'{did_you_mean(method, FIT_METHODS)}; "
                            f"expected one of {list(FIT_METHODS)}")
        check_frame(data)
        if method == "em":
            from pgmkit.backends.contraction.learn import fit_em

            from pgmkit.learn.em import PSEUDO_COUNT

            spec, history = fit_em(self.spec, data, **em_options, pseudo_count=(
                PSEUDO_COUNT if pseudo_count is None else pseudo_count))
            return self._refit(spec, history)
        if em_options:
            raise DataError(f"options {sorted(em_options)} apply to method='em' only")
        # Before the column check: a latent variable has no column by design, and the
        # remedy is EM, not adding the column.
        if self.spec.latent_names:
            raise DataError(f"latent variable(s) {list(self.spec.latent_names)} cannot be "
                            "counted: use method='em'")
        check_columns(self.spec, data, required=self.spec.names)
        codes = encode_frame(self.spec, data, self.spec.names, allow_missing=False,
                             missing_hint=": method='mle'/'bayes' need complete rows; "
                                          "method='em' marginalizes missing cells")
        from pgmkit.backends.ancestral import log_prob
        from pgmkit.estimate import fit_tables

        cpds, extra = fit_tables(self.spec, codes, list(self.spec.names), method, prior,
                                 1.0 if pseudo_count is None else pseudo_count)
        fitted = self.spec.with_cpds(cpds)
        ll = float(log_prob(fitted, codes, list(fitted.names)).sum())
        return self._refit(fitted, FitHistory((ll,), True, (), method, extra))

    # -- tables of evidence (batched engine) --------------------------------------------
    def query_batch(self, variables: str | Iterable[str], evidence: pd.DataFrame,
                    joint: bool = False, **options) -> pd.DataFrame:
        """Posteriors for every row of ``evidence`` at once (NaN = unobserved).

        Returns a DataFrame aligned with the input rows: a ``P(Var=state)`` column per
        state (``P(A=a,B=b)`` per joint state with ``joint=True``), ``log_evidence`` and
        ``impossible``.
        """
        from pgmkit.backends.contraction.infer import query_batch

        self._require_cpds()
        names = self._variables(variables)
        return query_batch(self.spec, names, evidence, joint=joint, **options)

    def predict(self, data: pd.DataFrame, target: str) -> pd.DataFrame:
        """Classify ``target`` for each row from the other columns (missing cells allowed)."""
        from pgmkit.backends.contraction.infer import predict

        self._require_cpds()
        self._variables(target, "predict")
        return predict(self.spec, data, target)
