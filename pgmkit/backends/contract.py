"""The backend contract: what each engine runs, read from its own rule tables.

Every engine package ``pgmkit/backends/<engine>/`` has a ``rules.py`` that imports no
engine and defines ``ENGINE``, an :class:`Engine` with two tables:

- ``compile``: one rule per CPD kind it runs (kind name -> ``"module:function"``). The
  engine's ``compile.py`` dispatches through this same table, so what ``supports``
  claims and what compiles cannot drift apart (ibis computes ``has_operation`` from its
  ``translate`` registry the same way).
- ``operations``: one :class:`Operation` per operation it implements (the operation's
  name -> implementation and the model structure it needs).

``supports(spec, operation)`` is then a lookup: the operation is registered, the spec
has the structure it needs, and every CPD kind the spec uses has a rule. The facade
(:mod:`pgmkit.api`) picks an engine per operation from these answers and one
preference list; a backend named by the user that cannot run the operation raises
``UnsupportedError`` naming the operation, the CPD kind and the backends that can.

Operation signatures (what an implementation receives) are listed in :data:`OPERATIONS`;
``model`` is the facade object (``model.spec``, ``model.compiled(key, build)``).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Mapping

from pgmkit.errors import UnsupportedError, did_you_mean, format_choices

#: The operations of the contract and what an implementation is called with / returns.
OPERATIONS: dict[str, str] = {
    "query": "(model, names, evidence) -> array P(names | evidence), axes in names order",
    "probability": "(model, evidence) -> log P(evidence), -inf when impossible",
    "map": "(model, names or [], evidence) -> ({name: state}, log P(states, evidence))",
    "sample": "(model, n, clamp codes, seed, method) -> ({name: codes}, log weights or None)",
    "log_likelihood": "(model, frame, codes) -> log P(observed cells) per row",
    "query_batch": "(model, names, evidence frame, joint, **options) -> DataFrame",
    "predict": "(model, frame, target) -> DataFrame of predictions",
    "fit": "(spec, codes, columns, method, prior, strength) -> (CPDs, extra)",
    "fit_em": "(spec, frame, **options) -> (fitted spec, history)",
    "smooth": "temporal filter/smooth/viterbi/predict_next/log_likelihood/sample over sequences",
    "fit_sequences": "temporal EM over long-format logs",
    "fit_mixture": "static discrete-latent mixture: EM, posterior, log_likelihood, sample",
    "fit_svi": "stochastic variational inference; elbo, iwae, sample, encode",
    "fit_adversarial": "implicit CPDs trained against critics; sample, encode, interpolate",
    "export": "the engine's own model object for the spec (to_pgmpy / to_pomegranate / to_pyro)",
    "fit_exact": "autoregressive models: exact log-likelihood, maximum-likelihood fit, sample, "
                 "complete",
    "fit_neural_sequences": "temporal models with network CPDs: exact likelihood training, "
                            "filter/smooth/viterbi/predict_next on long-format logs",
}


def _real_leaves(spec) -> bool:
    parents = {p.name for v in spec.variables for p in v.parents}
    return all(v.is_discrete or not (v.latent or v.name in parents or v.lagged_parents)
               for v in spec.variables)


#: Structural needs an operation may declare: name -> (test, what it means in a message).
REQUIREMENTS: dict[str, tuple[Callable, str]] = {
    "static": (lambda s: not s.temporal, "a static (non-temporal) model"),
    "temporal": (lambda s: s.temporal, "a temporal model"),
    "discrete": (lambda s: s.is_discrete, "every variable discrete"),
    "discrete_latents": (lambda s: all(v.is_discrete for v in s.variables if v.latent),
                         "every latent variable discrete"),
    "real_leaves": (_real_leaves, "real variables observed, without children or lags"),
    "latent": (lambda s: bool(s.latent_names), "at least one latent variable"),
    "autoregressive": (lambda s: "autoregressive" in s.kinds(), "an autoregressive variable"),
    "adversarial": (lambda s: getattr(s.objective, "name", "") == "adversarial",
                    "an adversarial objective ('objective: {adversarial: ...}')"),
}


def resolve(path: str):
    """The object a ``"module:attribute"`` rule names (imported on first use)."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Operation:
    """One operation an engine implements.

    ``impl`` is ``"module:function"``; ``needs`` names entries of :data:`REQUIREMENTS`;
    ``kinds`` the CPD kinds it runs (``None``: every kind the engine compiles);
    ``check``, a ``"module:function"`` of the spec returning why its structure is out
    of reach (``None`` when it is not), for what ``needs`` cannot say (the module must
    stay light: it is imported whenever the contract is asked).
    """

    impl: str
    needs: tuple[str, ...] = ()
    kinds: tuple[str, ...] | None = None
    check: str | None = None


@dataclass(frozen=True)
class Engine:
    """An engine as the contract sees it: its name, rule tables and aliases."""

    name: str
    compile: Mapping[str, str]
    operations: Mapping[str, Operation]
    aliases: tuple[str, ...] = ()
    summary: str = ""
    public: bool = True
    objectives: Mapping[str, str] = field(default_factory=dict)

    def kinds(self, operation: str | None = None) -> tuple[str, ...]:
        """CPD kinds this engine runs (for ``operation``, when it narrows them)."""
        op = self.operations.get(operation) if operation else None
        return tuple(op.kinds) if op is not None and op.kinds is not None else tuple(self.compile)

    def has_operation(self, operation: str) -> bool:
        return operation in self.operations

    def problem(self, spec, operation: str) -> str | None:
        """Why this engine cannot run ``operation`` on ``spec``; ``None`` when it can."""
        why = self.structure_problem(spec, operation)
        if why is not None:
            return why
        allowed = self.kinds(operation)
        for kind, names in spec.kinds().items():
            if kind not in allowed:
                can = [e.name for e in engines().values() if e.public and kind in e.compile]
                return (f"variable '{names[0]}' has a CPD of kind '{kind}', which it has no "
                        f"'{operation}' rule for (it runs {list(allowed)}; kind '{kind}' runs "
                        f"on {format_choices(can) if can else 'no backend'})")
        return None

    def structure_problem(self, spec, operation: str) -> str | None:
        """Why the spec's structure (not its CPD kinds) rules ``operation`` out here."""
        why = self.needs_problem(spec, operation)
        if why is not None:
            return why
        check = self.operations[operation].check
        return resolve(check)(spec) if check else None

    def needs_problem(self, spec, operation: str) -> str | None:
        """The first of the operation's ``needs`` the spec lacks (before its ``check``)."""
        op = self.operations.get(operation)
        if op is None:
            return f"it has no '{operation}' operation"
        for need in op.needs:
            test, text = REQUIREMENTS[need]
            if not test(spec):
                return f"'{operation}' needs {text}"
        return None

    def supports(self, spec, operation: str) -> bool:
        return self.problem(spec, operation) is None

    def rule(self, cpd, var) -> Callable:
        """The compile rule for ``cpd`` (raises ``UnsupportedError`` for a kind without one)."""
        path = self.compile.get(cpd.kind)
        if path is None:
            can = [e.name for e in engines().values() if cpd.kind in e.compile and e.public]
            raise UnsupportedError(f"backend '{self.name}' cannot compile a CPD of kind "
                                   f"'{cpd.kind}' (variable '{var.name}'); backends that can: "
                                   f"{format_choices(can) if can else 'none'}")
        return resolve(path)

    def implementation(self, operation: str) -> Callable:
        return resolve(self.operations[operation].impl)


#: The engine packages, each with a ``rules`` module defining ``ENGINE``. Add one here.
ENGINE_MODULES = (
    "pgmkit.backends.pgmpy.rules",
    "pgmkit.backends.contraction.rules",
    "pgmkit.backends.forward_backward.rules",
    "pgmkit.backends.pyro.rules",
    "pgmkit.backends.numpy.rules",
    "pgmkit.backends.autoregressive.rules",
    "pgmkit.backends.neural_temporal.rules",
    "pgmkit.backends.adversarial.rules",
)

_ENGINES: dict[str, Engine] = {}


def engines() -> dict[str, Engine]:
    """Every registered engine by name (the engine-free numpy kernels included)."""
    if not _ENGINES:
        for module in ENGINE_MODULES:
            eng = importlib.import_module(module).ENGINE
            _ENGINES[eng.name] = eng
    return _ENGINES


def public_names() -> tuple[str, ...]:
    return tuple(n for n, e in engines().items() if e.public)


def engine(name: str) -> Engine:
    """The engine called ``name`` (or one of its aliases, e.g. ``batched``)."""
    for eng in engines().values():
        if name == eng.name or name in eng.aliases:
            return eng
    choices = list(public_names())
    raise UnsupportedError(f"unknown backend '{name}'{did_you_mean(str(name), choices)}; "
                           f"expected one of {choices}")


def canonical(name: str | None) -> str | None:
    """The engine's own name for ``name`` (``batched`` -> ``contraction``)."""
    return None if name is None else engine(name).name


def supports(spec, operation: str, backend: str) -> bool:
    """Whether ``backend`` runs ``operation`` on ``spec``."""
    return engine(backend).supports(spec, operation)


def able(spec, operation: str, order) -> tuple[str, ...]:
    """The backends in ``order`` that run ``operation`` on ``spec``."""
    return tuple(n for n in order if engine(n).supports(spec, operation))


def choose(spec, operation: str, backend: str | None, order) -> Engine:
    """The engine that runs ``operation``: ``backend`` if given (refused with
    ``UnsupportedError`` when it cannot), else the first of ``order`` that can."""
    if backend is not None:
        eng = engine(backend)
        why = eng.problem(spec, operation)
        if why is None:
            return eng
        can = able(spec, operation, order)
        raise UnsupportedError(f"backend '{eng.name}' cannot run '{operation}' on model "
                               f"'{spec.name}': {why}; backends that can: "
                               f"{format_choices(can) if can else 'none'}")
    for name in order:
        eng = engine(name)
        if eng.supports(spec, operation):
            return eng
    reasons = "; ".join(f"'{n}': {engine(n).problem(spec, operation)}" for n in order)
    raise UnsupportedError(f"no backend runs '{operation}' on model '{spec.name}' ({reasons})")
