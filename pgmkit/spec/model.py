"""The model IR: variables, their domains and parents, and the model spec.

Plain immutable data. Nothing here imports an engine, so ``import pgmkit`` stays light.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Iterator, Mapping, Union

from pgmkit.errors import SpecError, did_you_mean

if TYPE_CHECKING:  # the kinds import this module: no import cycle at run time
    from pgmkit.spec.kinds import CPD
    from pgmkit.spec.kinds.neural import NeuralCPD
    from pgmkit.spec.objectives import Objective


@dataclass(frozen=True)
class Discrete:
    """A finite domain of named states. State names are strings, kept as written."""

    states: tuple[str, ...]

    @property
    def card(self) -> int:
        return len(self.states)

    def index(self, state) -> int:
        return self.states.index(str(state))


@dataclass(frozen=True)
class Real:
    """A real vector domain of the given shape (``()`` for a scalar)."""

    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


Domain = Union[Discrete, Real]

_PARENT_RE = re.compile(r"^\s*(?P<name>[^\[\]]+?)\s*(\[\s*t\s*(?P<sign>[-+])?\s*(?P<lag>\d+)?\s*\])?\s*$")


@dataclass(frozen=True)
class ParentRef:
    """A parent of a variable; ``lag=1`` is the previous time slice (``X[t-1]``)."""

    name: str
    lag: int = 0

    def __str__(self) -> str:
        return f"{self.name}[t-{self.lag}]" if self.lag else self.name

    @classmethod
    def parse(cls, text: str) -> "ParentRef":
        """Parse ``"X"``, ``"X[t]"`` or ``"X[t-1]"``. Raises ``SpecError`` otherwise."""
        m = _PARENT_RE.match(str(text))
        if not m:
            raise SpecError(f"cannot read parent '{text}': expected a name or 'Name[t-1]'")
        lag = int(m.group("lag") or 0)
        if m.group("sign") == "+" and lag:
            raise SpecError(f"parent '{text}' points forward in time: lags point backwards, "
                            f"write '{m.group('name')}[t-{lag}]'")
        if m.group("lag") and not m.group("sign"):
            raise SpecError(f"cannot read parent '{text}': expected 'Name[t-1]'")
        return cls(m.group("name"), lag)


@dataclass(frozen=True)
class Variable:
    """A node: name, domain, parents, CPD (``None`` until learned), latent flag.

    In a temporal spec ``cpd`` is the transition CPD over all parents (lagged ones
    included) and ``initial`` the CPD of the first slice over the lag-0 parents only;
    a variable without lagged parents uses ``cpd`` in every slice. ``beta`` weighs
    the KL term of a latent variable in the ELBO (a beta-VAE; 1 is the plain ELBO).
    """

    name: str
    domain: Domain
    parents: tuple[ParentRef, ...] = ()
    cpd: CPD | None = None
    latent: bool = False
    initial: CPD | None = None
    beta: float = 1.0

    @property
    def is_discrete(self) -> bool:
        return isinstance(self.domain, Discrete)

    @property
    def states(self) -> tuple[str, ...]:
        if not isinstance(self.domain, Discrete):
            raise SpecError(f"variable '{self.name}' is real-valued and has no states")
        return self.domain.states

    @property
    def card(self) -> int:
        return self.domain.card if isinstance(self.domain, Discrete) else 0

    def index(self, state) -> int:
        """Position of ``state`` in the variable's states."""
        return self.states.index(str(state))

    @property
    def parent_names(self) -> tuple[str, ...]:
        """Names of the parents in the same slice (lag 0)."""
        return tuple(p.name for p in self.parents if p.lag == 0)

    @property
    def lagged_parents(self) -> tuple[ParentRef, ...]:
        return tuple(p for p in self.parents if p.lag > 0)


@dataclass(frozen=True)
class ModelSpec:
    """A whole model: ordered variables, temporal flag, guide networks, the training
    objective it names (``None``: the engine's default), metadata.

    ``source`` and ``lines`` record where the spec was read from, for error messages;
    they take no part in equality.
    """

    name: str
    variables: tuple[Variable, ...]
    temporal: bool = False
    guide: Mapping[str, NeuralCPD] = field(default_factory=dict)
    description: str = ""
    objective: Objective | None = None  # or pgmkit.spec.adversarial.Adversarial
    source: str | None = field(default=None, compare=False)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "guide", MappingProxyType(dict(self.guide)))
        object.__setattr__(self, "lines", MappingProxyType(dict(self.lines)))

    def __hash__(self):
        return hash((self.name, self.variables, self.temporal, tuple(self.guide.items()),
                     self.objective))

    # -- lookup -------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def __iter__(self) -> Iterator[Variable]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    def __contains__(self, name: str) -> bool:
        return any(v.name == name for v in self.variables)

    def __getitem__(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise SpecError(f"model '{self.name}' has no variable '{name}'" + did_you_mean(name, self.names))

    # -- kinds --------------------------------------------------------------------
    @property
    def is_discrete(self) -> bool:
        return all(v.is_discrete for v in self.variables)

    @property
    def has_neural(self) -> bool:
        """Whether any CPD's parameters are network weights (a registered ``network`` kind),
        or the spec has guide networks."""
        from pgmkit.spec import kinds

        return bool(self.guide) or any(kinds.kind_of(c).network for c in self.cpds())

    def cpds(self) -> Iterator:
        """Every CPD the variables carry (``cpd`` and ``initial``), in variable order."""
        for v in self.variables:
            for c in (v.cpd, v.initial):
                if c is not None:
                    yield c

    def kinds(self) -> dict[str, tuple[str, ...]]:
        """The CPD kinds the spec uses, each with the variables that use it (spec order);
        guide networks count as their kind under their latent's name."""
        out: dict[str, list[str]] = {}
        for v in self.variables:
            for c in (v.cpd, v.initial):
                if c is not None and v.name not in out.setdefault(c.kind, []):
                    out[c.kind].append(v.name)
        for name, q in self.guide.items():
            if name not in out.setdefault(q.kind, []):
                out[q.kind].append(name)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def latent_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if v.latent)

    @property
    def observed_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if not v.latent)

    @property
    def missing_cpds(self) -> tuple[str, ...]:
        """Variables that still need a CPD (or, in a temporal spec, an initial CPD)."""
        out = []
        for v in self.variables:
            # a neural or recurrent CPD reads absent lagged inputs as zero in the first slice
            needs_initial = getattr(v.cpd, "kind", "") not in ("neural", "recurrent")
            if v.cpd is None or (self.temporal and v.lagged_parents and v.initial is None
                                 and needs_initial):
                out.append(v.name)
        return tuple(out)

    def cards(self) -> dict[str, int]:
        """State counts of the discrete variables."""
        return {v.name: v.card for v in self.variables if v.is_discrete}

    def states(self) -> dict[str, tuple[str, ...]]:
        return {v.name: v.domain.states for v in self.variables if v.is_discrete}

    def topological_order(self) -> tuple[str, ...]:
        """Names ordered parents-first over the lag-0 edges (stable: ties keep spec order)."""
        indeg = {v.name: len(set(v.parent_names)) for v in self.variables}
        children: dict[str, list[str]] = {v.name: [] for v in self.variables}
        for v in self.variables:
            for p in set(v.parent_names):
                if p in children:
                    children[p].append(v.name)
        order, ready = [], [n for n in self.names if indeg[n] == 0]
        while ready:
            n = ready.pop(0)
            order.append(n)
            for c in children[n]:
                indeg[c] -= 1
                if indeg[c] == 0:
                    ready.append(c)
        if len(order) != len(self.variables):
            raise SpecError(f"model '{self.name}' has a cycle")
        return tuple(order)

    def num_parameters(self) -> int:
        """Free parameters of the CPDs that have a fixed count (tables, Gaussians)."""
        total = 0
        for v in self.variables:
            for c in (v.cpd, v.initial):
                if c is not None and c.num_parameters() is not None:
                    total += c.num_parameters()
        return total

    # -- derived specs -------------------------------------------------------------
    def with_cpds(self, cpds: Mapping[str, CPD], initial: Mapping[str, CPD] | None = None,
                  name: str | None = None) -> "ModelSpec":
        """A copy with some CPDs (and initial CPDs) replaced. The result is validated."""
        from pgmkit.spec.validate import check

        initial = initial or {}
        unknown = [n for n in list(cpds) + list(initial) if n not in self]
        if unknown:
            raise SpecError(f"cannot set CPDs of unknown variables {unknown}")
        variables = tuple(
            replace(v, cpd=cpds.get(v.name, v.cpd), initial=initial.get(v.name, v.initial))
            for v in self.variables)
        return check(replace(self, variables=variables, name=name or self.name))

    def replace(self, **changes) -> "ModelSpec":
        return replace(self, **changes)
