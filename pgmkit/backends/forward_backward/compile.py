"""Spec -> a hidden Markov model over the product of the state variables.

The *state* of a slice is every discrete variable that some variable depends on, every
latent variable, and every variable with a lagged parent; the product of their states
is the hidden state of one ``DenseHMM``. Every other observed variable is an
*emission* leaf (a table, or a Gaussian for a real variable) whose parents are all
state variables, so the emission of a product state is the product of the leaves'
CPDs. An observed state variable (a parent of another variable, or one with a lag)
enters through its column as evidence on the product state, so a missing value is
summed out like any hidden one.

Parameters are held per *group* (one model per skill in knowledge tracing) as arrays
with a leading group axis, so many models are run in one batch. One small rule per
CPD kind (``cpd_role``) says what this backend can do with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from pgmkit.errors import CostError, SpecError, UnsupportedError
from pgmkit.spec.cpd import NormalCPD, TableCPD
from pgmkit.spec.model import ModelSpec, Variable

MAX_PRODUCT_STATES = 4096


def cpd_role(cpd, var: Variable) -> str:
    """The part a CPD plays in the HMM layout, by this engine's rule for its kind."""
    from pgmkit.backends.forward_backward.rules import ENGINE

    return ENGINE.rule(cpd, var)(cpd, var)


def table_role(cpd: TableCPD, var: Variable) -> str:
    return "table"


def normal_role(cpd: NormalCPD, var: Variable) -> str:
    return "normal"


@dataclass(frozen=True, eq=False)
class Layout:
    """Which variables form the product state, which are emission leaves."""

    spec: ModelSpec
    state: tuple[str, ...]
    cards: tuple[int, ...]
    emit: tuple[str, ...]      # discrete observed leaves
    gauss: tuple[str, ...]     # real observed leaves

    @property
    def K(self) -> int:
        return int(np.prod(self.cards)) if self.cards else 1

    def axis(self, name: str) -> int:
        return self.state.index(name)

    def state_index(self, name: str) -> np.ndarray:
        """The state of ``name`` in each product state, shape ``(K,)``."""
        return np.unravel_index(np.arange(self.K), self.cards)[self.axis(name)]


def layout_of(spec: ModelSpec) -> Layout:
    """Split ``spec`` into product-state variables and emission leaves.

    Raises ``UnsupportedError`` for what an HMM cannot hold (neural or linear-Gaussian
    CPDs, real variables with children, real latents) and ``CostError`` when the product
    state would be too large.
    """
    depended_on = {p.name for v in spec.variables for p in v.parents}
    for v in spec.variables:
        for c in (v.cpd, v.initial):
            if c is not None:
                cpd_role(c, v)
        if not v.is_discrete and (v.latent or v.name in depended_on or v.lagged_parents):
            raise UnsupportedError(
                f"backend 'forward_backward' needs real variables to be observed leaves without "
                f"lags; '{v.name}' is {'latent' if v.latent else 'a parent or lagged'}: give it a 'neural' "
                f"CPD to run the model on backend 'torch' (NeuralTemporalModel)")
    state = tuple(v.name for v in spec.variables if v.is_discrete and
                  (v.latent or v.name in depended_on or v.lagged_parents))
    cards = tuple(spec[n].card for n in state)
    k = int(np.prod(cards)) if cards else 1
    if k > MAX_PRODUCT_STATES:
        raise CostError(f"model '{spec.name}': the product of the state variables {list(state)} "
                        f"has {k} states; the forward_backward backend handles up to "
                        f"{MAX_PRODUCT_STATES}")
    emit = tuple(v.name for v in spec.variables if v.is_discrete and v.name not in state)
    gauss = tuple(v.name for v in spec.variables if not v.is_discrete)
    return Layout(spec, state, cards, emit, gauss)


# -- parameters ------------------------------------------------------------------------

@dataclass(eq=False)
class Params:
    """CPD arrays with a leading group axis: ``tables[v]`` is ``(G, *parent_cards, card)``,
    ``initial[v]`` the first-slice table of a lagged state variable, and ``loc``/``scale``
    ``(G, *parent_cards, size)`` for a real leaf."""

    tables: dict[str, np.ndarray] = field(default_factory=dict)
    initial: dict[str, np.ndarray] = field(default_factory=dict)
    loc: dict[str, np.ndarray] = field(default_factory=dict)
    scale: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def G(self) -> int:
        for d in (self.tables, self.loc):
            for a in d.values():
                return a.shape[0]
        return 1

    def take(self, groups: Sequence[int] | np.ndarray) -> "Params":
        idx = np.asarray(groups)
        return Params(*({k: a[idx] for k, a in d.items()}
                        for d in (self.tables, self.initial, self.loc, self.scale)))

    def copy(self) -> "Params":
        return self.take(np.arange(self.G))


def params_from_specs(layout: Layout, specs: Sequence[ModelSpec]) -> Params:
    """Stack the CPDs of one spec per group (all with ``layout``'s structure)."""
    out = Params()
    for v in layout.spec.variables:
        vs = [s[v.name] for s in specs]
        if any(x.cpd is None for x in vs):
            continue
        if v.is_discrete:
            out.tables[v.name] = np.stack([x.cpd.table for x in vs])
            if v.name in layout.state and v.lagged_parents and all(x.initial is not None for x in vs):
                out.initial[v.name] = np.stack([x.initial.table for x in vs])
        else:
            shape = tuple(layout.spec[p].card for p in v.parent_names) + (v.domain.size,)
            out.loc[v.name] = np.stack([x.cpd.loc.reshape(shape) for x in vs])
            out.scale[v.name] = np.stack([x.cpd.scale.reshape(shape) for x in vs])
    return out


def spec_for_group(layout: Layout, params: Params, g: int) -> ModelSpec:
    """The spec of group ``g`` with its learned CPDs written back."""
    spec = layout.spec
    cpds, initial = {}, {}
    for v in spec.variables:
        if v.is_discrete and v.name in params.tables:
            cpds[v.name] = TableCPD(params.tables[v.name][g])
            if v.name in params.initial:
                initial[v.name] = TableCPD(params.initial[v.name][g])
        elif v.name in params.loc:
            shape = tuple(spec[p].card for p in v.parent_names) + tuple(v.domain.shape)
            learn = v.cpd.learn if isinstance(v.cpd, NormalCPD) else True
            cpds[v.name] = NormalCPD(params.loc[v.name][g].reshape(shape),
                                     params.scale[v.name][g].reshape(shape), learn)
    return spec.with_cpds(cpds, initial=initial)


def check_complete(layout: Layout, params: Params) -> None:
    missing = [v.name for v in layout.spec.variables
               if (v.name not in params.tables and v.name not in params.loc)
               or (v.name in layout.state and v.lagged_parents and v.name not in params.initial)]
    if missing:
        raise SpecError(f"model '{layout.spec.name}': variable(s) {missing} have no CPD (or no "
                        "initial CPD); give one or fit the model first")


# -- product-state tensors ---------------------------------------------------------------

def place(arr: np.ndarray, axes: Sequence[int], ndim: int) -> np.ndarray:
    """Broadcast ``arr`` (group axis first, then one axis per entry of ``axes``) so that
    its axes land on positions ``axes`` of an ``ndim``-dimensional tensor."""
    order = np.argsort(axes)
    moved = np.transpose(arr, [0] + [1 + int(i) for i in order])
    shape = [arr.shape[0]] + [1] * (ndim - 1)
    for i in order:
        shape[axes[i]] = arr.shape[1 + i]
    return moved.reshape(shape)


def family_axes(layout: Layout, var: Variable, transition: bool) -> list[int]:
    """Axes of ``var``'s table in the (G, prev..., cur...) or (G, cur...) tensor."""
    d = len(layout.state)
    if transition:
        axes = [1 + layout.axis(p.name) + (0 if p.lag else d) for p in var.parents]
        return axes + [1 + d + layout.axis(var.name)]
    return [1 + layout.axis(p) for p in var.parent_names] + [1 + layout.axis(var.name)]


def _log(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(a)


def log_initial(layout: Layout, params: Params) -> np.ndarray:
    """``log p(state_1)`` per group, shape ``(G, K)``."""
    d = len(layout.state)
    total = np.zeros((params.G,) + layout.cards)
    for name in layout.state:
        v = layout.spec[name]
        table = params.initial[name] if v.lagged_parents else params.tables[name]
        total = total + place(_log(table), family_axes(layout, v, False), d + 1)
    return total.reshape(params.G, layout.K)


def log_transition(layout: Layout, params: Params) -> np.ndarray:
    """``log p(state_t | state_t-1)`` per group, shape ``(G, K, K)``."""
    d = len(layout.state)
    total = np.zeros((params.G,) + layout.cards * 2)
    for name in layout.state:
        v = layout.spec[name]
        total = total + place(_log(params.tables[name]), family_axes(layout, v, True), 2 * d + 1)
    return total.reshape(params.G, layout.K, layout.K)


def log_emission_tables(layout: Layout, params: Params) -> dict[str, np.ndarray]:
    """Per discrete leaf, ``log p(leaf | product state)`` of shape ``(G, K, card)``."""
    d = len(layout.state)
    out = {}
    for name in layout.emit:
        v = layout.spec[name]
        axes = [1 + layout.axis(p) for p in v.parent_names] + [1 + d]
        full = np.broadcast_to(place(_log(params.tables[name]), axes, d + 2),
                               (params.G,) + layout.cards + (v.card,))
        out[name] = full.reshape(params.G, layout.K, v.card)
    return out


def gaussian_by_state(layout: Layout, params: Params) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per real leaf, ``(loc, scale)`` of shape ``(G, K, size)``."""
    d = len(layout.state)
    out = {}
    for name in layout.gauss:
        v = layout.spec[name]
        axes = [1 + layout.axis(p) for p in v.parent_names] + [1 + d]
        pair = []
        for arr in (params.loc[name], params.scale[name]):
            full = np.broadcast_to(place(arr, axes, d + 2),
                                   (params.G,) + layout.cards + (arr.shape[-1],))
            pair.append(full.reshape(params.G, layout.K, arr.shape[-1]))
        out[name] = (pair[0], pair[1])
    return out


def to_dense_hmm(spec: ModelSpec):
    """A pomegranate ``DenseHMM`` equal to ``spec`` (discrete leaves, one group).

    Each product state's distribution is ``IndependentComponents`` of one
    ``Categorical`` per discrete leaf; ``ends`` are all 1 (the DBN has no end state).
    Observed state variables and real leaves are not expressible this way.

    Examples
    --------
    >>> import pgmkit
    >>> hmm = to_dense_hmm(pgmkit.example_spec("hmm"))
    >>> hmm.n_distributions
    2
    """
    import torch
    from pomegranate.distributions import Categorical, IndependentComponents
    from pomegranate.hmm import DenseHMM

    layout = layout_of(spec)
    observed_state = [n for n in layout.state if not spec[n].latent]
    if observed_state or layout.gauss:
        raise UnsupportedError(f"model '{spec.name}' has observed state variables or real "
                               "leaves; a plain DenseHMM holds categorical leaves only")
    params = params_from_specs(layout, [spec])
    check_complete(layout, params)
    tables = log_emission_tables(layout, params)
    dists = []
    for k in range(layout.K):
        parts = [Categorical(torch.tensor(np.exp(tables[e][0, k:k + 1]), dtype=torch.float32))
                 for e in layout.emit]
        dists.append(parts[0] if len(parts) == 1 else IndependentComponents(parts))
    pi = np.exp(log_initial(layout, params)[0]).astype(np.float32)     # pomegranate's dtype
    a = np.exp(log_transition(layout, params)[0]).astype(np.float32)
    return DenseHMM(dists, edges=a, starts=pi, ends=np.ones(layout.K, dtype=np.float32))


def export(model):
    """The contract's ``export``: pomegranate's ``DenseHMM`` for the spec
    (``model.to_pomegranate()``)."""
    return to_dense_hmm(model.spec)
