"""BayesNet: a static discrete Bayesian network — queries, MAP, sampling, learning."""
from __future__ import annotations

import logging
import math
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pgmkit.base import Model
from pgmkit.distributed import route
from pgmkit.checks import validated
from pgmkit.errors import DataError, EvidenceError, SpecError, did_you_mean
from pgmkit.results import Assignment, Distribution, FitHistory
from pgmkit.spec.model import ModelSpec

log = logging.getLogger(__name__)

FIT_METHODS = ("mle", "bayes", "em")
SAMPLE_METHODS = ("exact", "rejection", "likelihood")


class BayesNet(Model):
    """A discrete, static Bayesian network.

    Every method runs on an engine of the backend contract: pgmpy, pgmkit's contraction
    engine or Pyro enumeration, by ``backend=`` on the model or the method, else by
    :data:`pgmkit.api.PREFERENCE` (tables of evidence rows default to the contraction
    engine). Build one from YAML with
    :func:`pgmkit.load`, from a dict with :func:`pgmkit.model`, or by name with
    :func:`pgmkit.example`.

    Examples
    --------
    >>> import pgmkit
    >>> bn = pgmkit.example("alarm")
    >>> round(bn.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})["yes"], 4)
    0.2842
    """

    operation = "query"

    def __init__(self, spec: ModelSpec, backend: str | None = None):
        if spec.temporal or not spec.is_discrete:
            raise SpecError(f"BayesNet takes static discrete models; '{spec.name}' is "
                            f"{'temporal' if spec.temporal else 'not all discrete'}: use "
                            "pgmkit.load/wrap to get the right model class")
        super().__init__(spec, backend)

    # -- checks ------------------------------------------------------------------------
    def _require_cpds(self) -> None:
        missing = self.spec.missing_cpds
        if missing:
            raise SpecError(f"model '{self.name}': variable(s) {list(missing)} have no CPD; give "
                            "one in the spec or fit the model first")

    def _variables(self, variables: str | Iterable[str] | None, what: str = "query") -> list[str]:
        if variables is None and what == "map":
            return []
        if variables is None or isinstance(variables, (Mapping, bytes)) or not isinstance(
                variables, (str, Iterable)):
            raise EvidenceError(f"{what} needs a variable name or a list of them; received "
                                f"{variables!r}")
        names = [variables] if isinstance(variables, str) else list(variables)
        if not names:
            raise EvidenceError(f"{what} needs at least one variable")
        for v in names:
            if not isinstance(v, str):
                raise EvidenceError(f"{what}: variable names are text; received {v!r}")
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

    def _log_evidence(self, ev: dict[str, str], backend: str | None) -> float:
        """log P(ev) on the engine that runs ``probability``; ``EvidenceError`` at zero.

        Engines that prune an observed root's own prior (pgmpy) return a finite posterior
        even when P(ev) = 0, so the evidence itself is checked first.
        """
        log_p = self.run("probability", ev, backend=backend) if ev else 0.0
        if log_p == -math.inf:
            shown = ", ".join(f"{k}={v}" for k, v in list(ev.items())[:8])
            more = f", ... ({len(ev)} in all)" if len(ev) > 8 else ""
            raise EvidenceError(f"the evidence {{{shown}{more}}} is impossible (probability 0 "
                                "under the model)")
        return log_p

    # -- exact inference -----------------------------------------------------------------
    @validated
    def query(self, variables: str | Iterable[str], evidence: Mapping[str, object] | None = None,
              backend: str | None = None, soft_evidence: Mapping[str, object] | None = None
              ) -> Distribution:
        """Posterior of one variable, or the joint posterior of several, given evidence.

        ``backend`` names the engine (``pgmpy``, ``contraction``, ``pyro``); by default
        the first that supports the model in :data:`pgmkit.api.PREFERENCE`. Raises
        ``EvidenceError`` for unknown variables or states, a variable both queried and
        observed, and impossible evidence.

        ``soft_evidence`` (pgmpy's virtual evidence) gives, per variable, a likelihood of
        each state: ``{"XRay": {"yes": 0.8, "no": 0.2}}`` or a list in state order. It
        weighs the posterior by that likelihood, as an unseen noisy sensor reading of the
        variable would (a likelihood of 1 for one state and 0 elsewhere is hard evidence).

        Examples
        --------
        >>> import pgmkit
        >>> bn = pgmkit.example("alarm")
        >>> unsure = bn.query("Burglary", soft_evidence={"JohnCalls": {"yes": 0.9, "no": 0.1}})
        >>> sure = bn.query("Burglary", {"JohnCalls": "yes"})
        >>> bn.query("Burglary")["yes"] < unsure["yes"] < sure["yes"]
        True
        """
        names = self._variables(variables)
        ev = self._evidence(evidence, names)
        self._require_cpds()
        engine = self.engine("query", backend)
        self._log_evidence(ev, engine.name)
        soft = self._soft(soft_evidence, ev)
        extra = [v for v in soft if v not in names]
        values = engine.implementation("query")(self, names + extra, ev)
        for axis, var in enumerate(names + extra):
            if var in soft:
                shape = [1] * values.ndim
                shape[axis] = -1
                values = values * soft[var].reshape(shape)
        values = values.sum(axis=tuple(range(len(names), len(names) + len(extra))))
        if soft and not values.sum() > 0:
            raise EvidenceError(f"the soft evidence on {sorted(soft)} is impossible together "
                                "with the rest (probability 0 under the model)")
        return Distribution(tuple(names), {v: self.spec[v].states for v in names},
                            values / values.sum(), ev)

    def _soft(self, soft_evidence, hard: Mapping[str, str]) -> dict[str, np.ndarray]:
        """Likelihood vectors in state order; EvidenceError naming a bad entry."""
        out = {}
        for var, given in (soft_evidence or {}).items():
            if var not in self.spec:
                raise EvidenceError(f"soft evidence names unknown variable '{var}'"
                                    f"{did_you_mean(var, self.spec.names)}")
            if var in hard:
                raise EvidenceError(f"'{var}' has both hard and soft evidence; give one")
            states = self.spec[var].states
            if isinstance(given, Mapping):
                from pgmkit.data.states import state_text

                bad = [str(k) for k in given if state_text(k, states) not in states]
                if bad:
                    raise EvidenceError(f"soft evidence on '{var}' names {bad}, not states of "
                                        f"'{var}'; states are {list(states)}")
                text = {state_text(k, states): v for k, v in given.items()}
                values = [float(text.get(st, 0.0)) for st in states]
            else:
                values = [float(v) for v in given]
            lik = np.asarray(values, dtype=float)
            if lik.shape != (len(states),) or not np.all(np.isfinite(lik)) or (lik < 0).any() \
                    or lik.sum() <= 0:
                raise EvidenceError(f"soft evidence on '{var}' must give one non-negative "
                                    f"likelihood per state {list(states)}, not all 0; "
                                    f"received {given!r}")
            out[var] = lik
        return out

    @validated
    def probability(self, assignment: Mapping[str, object], backend: str | None = None) -> float:
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
        return math.exp(self.run("probability", ev, backend=backend))

    @validated
    def map(self, variables: str | Iterable[str] | None = None,
            evidence: Mapping[str, object] | None = None, backend: str | None = None
            ) -> Assignment:
        """Most probable joint assignment of ``variables`` given evidence.

        With ``variables=None`` every unobserved variable is assigned (the most probable
        explanation). With a subset, the other variables are summed out (marginal MAP).
        """
        names = self._variables(variables, "map")
        ev = self._evidence(evidence, names)
        self._require_cpds()
        engine = self.engine("map", backend)
        log_evidence = self._log_evidence(ev, None if backend is None and not self._explicit
                                          else engine.name)
        if not names and len(ev) == len(self.spec):
            raise EvidenceError("every variable is observed: nothing left to assign")
        states, log_joint = engine.implementation("map")(self, names, ev)
        order = [n for n in self.spec.names if n in states]
        return Assignment({k: states[k] for k in order}, math.exp(log_joint - log_evidence), ev)

    # -- sampling ----------------------------------------------------------------------
    @validated
    def sample(self, n: int, evidence: Mapping[str, object] | None = None, seed: int | None = None,
               method: str = "exact", backend: str | None = None) -> pd.DataFrame:
        """Draw ``n`` joint samples as a DataFrame of state names.

        Without evidence: ancestral sampling. With evidence, ``method="exact"``
        (default) draws exact posterior samples from the junction tree (forward
        filtering, backward sampling: the cost does not grow as P(evidence) shrinks; on
        pgmpy, by rejection); ``method="rejection"`` by ancestral sampling and
        rejection; ``method="likelihood"`` clamps the
        evidence and adds a ``weight`` column (likelihood weighting: weights are
        P(evidence | parents), not normalized).
        """
        from pgmkit.checks import MAX_RESULT_CELLS, check_size

        check_size(n * len(self.spec), MAX_RESULT_CELLS, f"sample({n}) of {len(self.spec)} "
                   "variables", "draw fewer rows per call")
        if method not in SAMPLE_METHODS:
            raise EvidenceError(f"unknown sampling method '{method}'; expected one of "
                                f"{list(SAMPLE_METHODS)}")
        self._require_cpds()
        engine = self.engine("sample", backend)
        ev = self._evidence(evidence)
        clamp = {k: self.spec[k].index(v) for k, v in ev.items()}
        p = 1.0
        if ev:
            p = math.exp(self._log_evidence(ev, None if backend is None and not self._explicit
                                            else engine.name))
        codes, logw = engine.implementation("sample")(self, int(n), clamp, seed, method, p)
        frame = self._frame(codes, int(n))
        if logw is not None:
            frame["weight"] = np.exp(logw)
        return frame

    def _frame(self, codes: dict[str, np.ndarray], n: int) -> pd.DataFrame:
        from pgmkit.data.tables import decode

        return pd.DataFrame({k: decode(self.spec, k, codes[k]) for k in self.spec.names},
                            index=pd.RangeIndex(n))

    # -- data --------------------------------------------------------------------------
    @validated
    @route.rows("data")
    def log_likelihood(self, data: pd.DataFrame, per_row: bool = False,
                       backend: str | None = None):
        """log P(data): the sum over rows of log P(row's observed cells).

        NaN cells and absent columns are marginalized exactly. Returns the total (a
        float), or with ``per_row=True`` a Series of per-row values aligned with
        ``data.index``.
        """
        from pgmkit.data.tables import encode_frame

        self._require_cpds()
        engine = self.engine("log_likelihood", backend)
        codes = encode_frame(self.spec, data)     # checks the frame, its columns and states
        rows = np.asarray(engine.implementation("log_likelihood")(self, data, codes), dtype=float)
        if per_row:
            from pgmkit.data.columns import LOG_LIKELIHOOD

            return pd.Series(rows, index=data.index, name=LOG_LIKELIHOOD)
        return float(rows.sum())

    @validated
    @route.fit("tables.fit_bayesnet", "data")
    def fit(self, data: pd.DataFrame, method: str = "mle", prior: str = "BDeu",
            pseudo_count: float | None = None, backend: str | None = None,
            **em_options) -> "BayesNet":
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
        to it (``max_iter``, ``tol``, ``restarts``, ``seed``, ``progress``). ``backend``
        names the engine (counting: ``contraction``'s numpy kernel or ``pgmpy``'s
        estimators).

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
        from pgmkit.backends.numpy.estimate import PRIORS
        from pgmkit.data.tables import check_columns, check_frame, encode_frame

        if method not in FIT_METHODS:
            raise DataError(f"unknown fit method '{method}'{did_you_mean(method, FIT_METHODS)}; "
                            f"expected one of {list(FIT_METHODS)}")
        if method == "bayes" and prior not in PRIORS:
            raise DataError(f"unknown prior '{prior}'{did_you_mean(str(prior), PRIORS)}; "
                            f"expected one of {list(PRIORS)}")
        check_frame(data)
        if method == "em":
            from pgmkit.backends.contraction.learn import fit_em
            from pgmkit.checks import options_of, unknown_options
            from pgmkit.learn.em import PSEUDO_COUNT

            unknown_options(em_options, options_of(fit_em, ("spec", "df", "pseudo_count")),
                            "BayesNet.fit(method='em')")
            check_columns(self.spec, data)     # a column that is no variable is a DataError

            spec, history = self.run("fit_em", data, backend=backend, **em_options, pseudo_count=(
                PSEUDO_COUNT if pseudo_count is None else pseudo_count))
            return self._refit(spec, history)
        if em_options:
            raise DataError(f"options {sorted(em_options)} apply to method='em' only")
        engine = self.engine("fit", backend)
        # Before the column check: a latent variable has no column by design, and the
        # remedy is EM, not adding the column.
        if self.spec.latent_names:
            raise DataError(f"latent variable(s) {list(self.spec.latent_names)} cannot be "
                            "counted: use method='em'")
        check_columns(self.spec, data, required=self.spec.names)
        codes = encode_frame(self.spec, data, self.spec.names, allow_missing=False,
                             missing_hint=": method='mle'/'bayes' need complete rows; "
                                          "method='em' marginalizes missing cells")
        from pgmkit.backends.numpy.ancestral import log_prob

        cpds, extra = engine.implementation("fit")(self, codes, list(self.spec.names), method,
                                                   prior, 1.0 if pseudo_count is None
                                                   else pseudo_count)
        fitted = self.spec.with_cpds(cpds)
        ll = float(log_prob(fitted, codes, list(fitted.names)).sum())
        return self._refit(fitted, FitHistory((ll,), True, (), method, extra))

    # -- tables of evidence ------------------------------------------------------------
    @validated
    @route.rows("evidence")
    def query_batch(self, variables: str | Iterable[str] | None, evidence: pd.DataFrame,
                    joint: bool = False, backend: str | None = None,
                    keep: str | Sequence[str] | None = None, **options) -> pd.DataFrame:
        """Posteriors for every row of ``evidence`` at once (NaN = unobserved).

        ``variables=None`` asks for every variable of the model: the junction tree gives
        all their marginals from one pass, at about the cost of one.

        Returns a DataFrame aligned with the input rows: a ``P(Var=state)`` column per
        state (``P(A=a,B=b)`` per joint state with ``joint=True``), ``log_evidence`` and
        ``impossible``. ``keep`` names columns that are not variables (an id) to return
        unchanged in front of the answers; any other unknown column is refused.
        ``options`` (``chunk_size``, ``max_cost``, ``strategy``, ``progress``...) tune
        the contraction engine.

        Examples
        --------
        >>> import pandas as pd, pgmkit
        >>> rows = pd.DataFrame({"patient": [17, 18], "xray": ["yes", "no"]})
        >>> out = pgmkit.example("asia").query_batch("lung", rows, keep="patient")
        >>> list(out.columns[:3]), out["patient"].tolist()
        (['patient', 'P(lung=yes)', 'P(lung=no)'], [17, 18])
        """
        from pgmkit.data.keep import attach_kept, split_kept
        from pgmkit.backends.contraction.infer import query_batch
        from pgmkit.checks import options_of, unknown_options
        from pgmkit.data.tables import check_frame

        unknown_options(options, options_of(query_batch, ("spec", "variables", "evidence",
                                                          "joint")), "BayesNet.query_batch()")
        self._require_cpds()
        names = list(self.spec.names) if variables is None else self._variables(variables)
        check_frame(evidence)
        evidence, kept = split_kept(evidence, keep)
        return attach_kept(self.run("query_batch", names, evidence, joint=joint,
                                    backend=backend, **options), kept)

    def impute(self, data: pd.DataFrame, **options) -> pd.DataFrame:
        """Fill every missing cell with its most probable state given the rest of its row.

        All the missing cells of a row are answered by one pass of the junction tree
        (the same cost per row whatever the row observes). Returns the columns of
        ``data`` as state names, NaN cells filled, followed by ``"<column>.probability"``
        for each column that had missing cells: the posterior probability of the state
        filled in (NaN where the cell was observed). A row whose observed cells are
        impossible under the model keeps its gaps (probability NaN), with a warning.

        Examples
        --------
        >>> import pandas as pd, pgmkit
        >>> bn = pgmkit.example("alarm")
        >>> bn.impute(pd.DataFrame({"Burglary": [None], "Alarm": ["yes"]})).iloc[0, 0]
        'no'
        """
        from pgmkit.backends.contraction.infer import query_batch
        from pgmkit.data.columns import posterior_columns
        from pgmkit.data.tables import decode, encode_frame

        self._require_cpds()
        codes = encode_frame(self.spec, data)
        columns = [str(c) for c in data.columns]
        gaps = [c for j, c in enumerate(columns) if (codes[:, j] < 0).any()]
        filled = {}
        for j, c in enumerate(columns):
            values = decode(self.spec, c, np.maximum(codes[:, j], 0))
            values[codes[:, j] < 0] = None
            filled[c] = values
        if not gaps:
            return pd.DataFrame(filled, index=data.index)
        post = query_batch(self.spec, gaps, data, **options)
        ok = ~post["impossible"].to_numpy()
        if not ok.all():
            log.warning("%d row(s) have impossible evidence (first: %r); their gaps stay empty",
                        int((~ok).sum()), data.index[np.flatnonzero(~ok)[0]])
        chance = {}
        for c in gaps:
            j = columns.index(c)
            probs = post[posterior_columns(c, self.spec[c].states)].to_numpy()
            fill = (codes[:, j] < 0) & ok
            best = probs[fill].argmax(axis=1)
            filled[c][fill] = decode(self.spec, c, best)
            prob = np.full(len(data), np.nan)
            prob[fill] = probs[fill][np.arange(len(best)), best]
            chance[f"{c}.probability"] = prob
        return pd.DataFrame(filled | chance, index=data.index)

    @route.rows("data")
    def predict(self, data: pd.DataFrame, target: str, backend: str | None = None,
                keep: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Classify ``target`` for each row from the other columns (missing cells allowed).

        Columns ``target`` (the most probable state), ``probability`` and
        ``P(target=state)`` per state; ``keep`` passes identifier columns through (see
        :meth:`query_batch`).
        """
        from pgmkit.data.keep import attach_kept, split_kept

        self._require_cpds()
        self._variables(target, "predict")
        data, kept = split_kept(data, keep)
        return attach_kept(self.run("predict", data, target, backend=backend), kept)

    def predict_proba(self, data: pd.DataFrame, target: str, backend: str | None = None,
                      keep: str | Sequence[str] | None = None) -> pd.DataFrame:
        """``P(target = state | row)`` for every row: one ``P(target=state)`` column per state.

        scikit-learn's spelling; ``.to_numpy()`` is its ``(n_rows, n_states)`` array, with
        the states in the spec's order. A row whose evidence is impossible gets NaN.

        Examples
        --------
        >>> import pandas as pd, pgmkit
        >>> p = pgmkit.example("alarm").predict_proba(pd.DataFrame({"JohnCalls": ["yes"]}),
        ...                                         "Burglary")
        >>> list(p.columns), round(float(p.iloc[0].sum()), 12)
        (['P(Burglary=no)', 'P(Burglary=yes)'], 1.0)
        """
        from pgmkit.data.columns import posterior_columns
        from pgmkit.data.keep import keep_list

        out = self.predict(data, target, backend=backend, keep=keep)
        return out[keep_list(keep) + posterior_columns(target, self.spec[target].states)]
