"""Spec -> :class:`Program`: a Pyro model function and guide function over a batch.

One small rule per CPD kind (:func:`compile_cpd` dispatches through the table in
``rules.py``), so which kinds the backend supports is read off that table. Every
variable is one sample site inside a ``pyro.plate`` over the rows of the batch;
discrete latents without a guide are enumerated in the model, continuous latents
without a guide get an automatic amortized Gaussian guide.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from typing import Mapping

import torch
from torch import nn

from pgmkit.backends.pyro.sites import (LinearGaussianSite, NeuralSite, NormalSite, Site,
                                        TableSite)
from pgmkit.errors import DataError, Problem, SpecError, UnsupportedError
from pgmkit.spec.cpd import LinearGaussianCPD, NeuralCPD, NormalCPD, TableCPD
from pgmkit.spec.model import ModelSpec, Variable

# The automatic guide for a continuous latent without a ``guide:`` entry: a mean-field
# Gaussian whose loc and scale are a linear function of the observed variables (with no
# observed variables this is a plain learned Normal, as in Pyro's AutoNormal).
AUTO_GUIDE = NeuralCPD(family="normal", hidden=(), activation="relu")


def compile_cpd(cpd, spec: ModelSpec, var: Variable, dtype: torch.dtype) -> Site:
    """The site of one CPD, by this backend's rule for its kind (``rules.py``)."""
    from pgmkit.backends.pyro.rules import ENGINE

    return ENGINE.rule(cpd, var)(cpd, spec, var, dtype)


def table_site(cpd: TableCPD, spec: ModelSpec, var: Variable, dtype: torch.dtype) -> Site:
    return TableSite(var, [spec[p.name] for p in var.parents], cpd.table, dtype)


def normal_site(cpd: NormalCPD, spec: ModelSpec, var: Variable, dtype: torch.dtype) -> Site:
    return NormalSite(var, [spec[p.name] for p in var.parents], cpd, dtype)


def linear_gaussian_site(cpd: LinearGaussianCPD, spec: ModelSpec, var: Variable,
                         dtype: torch.dtype) -> Site:
    return LinearGaussianSite(var, [spec[p.name] for p in var.parents], cpd, dtype)


def neural_site(cpd: NeuralCPD, spec: ModelSpec, var: Variable, dtype: torch.dtype) -> Site:
    return NeuralSite(var, [spec[p.name] for p in var.parents], cpd, dtype)


def supported_kinds() -> tuple[str, ...]:
    """CPD kinds this backend compiles, read from its rule table."""
    from pgmkit.backends.pyro.rules import ENGINE

    return tuple(sorted(ENGINE.compile))


def _site_for(spec: ModelSpec, var: Variable, dtype) -> Site:
    if var.cpd is None:
        if var.is_discrete:  # a table still to learn starts uniform
            return TableSite(var, [spec[p.name] for p in var.parents], None, dtype)
        raise SpecError(Problem("has no CPD; the pyro backend learns real variables only "
                                "through a given form, e.g. {normal: {loc: 0, scale: 1, "
                                "learn: true}} or {neural: {family: normal}}", var.name,
                                spec.lines.get(var.name), spec.source))
    return compile_cpd(var.cpd, spec, var, dtype)


class Program(nn.Module):
    """A compiled model: ``model(data, n)`` and ``guide(data, n)`` for Pyro inference.

    ``data`` maps observed variable names to tensors with ``n`` rows; every variable
    absent from ``data`` is latent for that call. All learnable values are parameters
    of this module, so ``state_dict()`` saves the whole fitted model.

    Examples
    --------
    >>> from pgmkit.api import example_spec
    >>> prog = Program(example_spec("alarm"))          # doctest: +SKIP
    >>> prog.model({"JohnCalls": torch.tensor([1])}, 1)  # doctest: +SKIP
    """

    def __init__(self, spec: ModelSpec, dtype: torch.dtype = torch.float32):
        super().__init__()
        if spec.temporal:
            raise UnsupportedError(f"backend 'pyro' cannot compile temporal model '{spec.name}'; "
                                   "use 'forward_backward' (DynamicBayesNet)")
        self.spec, self.dtype = spec, dtype
        self.order = spec.topological_order()
        self.index = {name: i for i, name in enumerate(spec.names)}
        self.model_nets = nn.ModuleList(_site_for(spec, v, dtype) for v in spec.variables)
        guides = dict(spec.guide)
        for v in spec.variables:
            if v.latent and not v.is_discrete and v.name not in guides:
                guides[v.name] = replace(AUTO_GUIDE, given=spec.observed_names)
        self.guide_order = _guide_order(spec, guides)
        self.guide_given = {n: tuple(guides[n].given) for n in self.guide_order}
        self.guide_nets = nn.ModuleList(
            NeuralSite(spec[n], [spec[g] for g in guides[n].given], guides[n], dtype)
            for n in self.guide_order)
        self.guided = frozenset(self.guide_order)
        # Any discrete variable absent from a call's data and without a guide is summed
        # out exactly, so a Bayes net queried with partial evidence needs no guide at all.
        self.enumerated = frozenset(v.name for v in spec.variables
                                    if v.is_discrete and v.name not in self.guided)

    # -- sites ----------------------------------------------------------------------
    def site(self, name: str) -> Site:
        return self.model_nets[self.index[name]]

    def _scale(self, name: str, beta: bool):
        b = self.spec[name].beta
        if beta and b != 1.0 and name in self.guided:
            import pyro.poutine as poutine

            return poutine.scale(scale=b)
        return nullcontext()

    # -- the two Pyro functions -------------------------------------------------------
    def model(self, data: Mapping[str, torch.Tensor], n: int, beta: bool = True):
        """Sample every variable in topological order; those in ``data`` are observed."""
        import pyro

        pyro.module("model_nets", self.model_nets)
        values: dict[str, torch.Tensor] = {}
        with pyro.plate("data", n, dim=-1):
            for name in self.order:
                site = self.model_nets[self.index[name]]
                fn = site(*[values[p] for p in site.inputs])
                obs = data.get(name)
                infer = ({"enumerate": "parallel"} if obs is None and name in self.enumerated
                         else {})
                with self._scale(name, beta):
                    values[name] = pyro.sample(name, fn, obs=obs, infer=infer)
        return values

    def guide(self, data: Mapping[str, torch.Tensor], n: int, beta: bool = True):
        """Amortized posterior over the guided latents absent from ``data``."""
        import pyro

        pyro.module("guide_nets", self.guide_nets)
        values = dict(data)
        with pyro.plate("data", n, dim=-1):
            for name, net in zip(self.guide_order, self.guide_nets):
                if name in data:
                    continue
                fn = net(*guide_inputs(name, net, values, data))
                infer = {"enumerate": "parallel"} if self.spec[name].is_discrete else {}
                with self._scale(name, beta):
                    values[name] = pyro.sample(name, fn, infer=infer)
        return values

    # -- learned values back to the spec ----------------------------------------------
    def learned_cpds(self) -> dict:
        """CPDs whose numbers were learned (tables, learned normals, linear Gaussians)."""
        out = {}
        for v, site in zip(self.spec.variables, self.model_nets):
            cpd = site.learned_cpd()
            if cpd is not None:
                out[v.name] = cpd
        return out


def _guide_order(spec: ModelSpec, guides: Mapping[str, NeuralCPD]) -> tuple[str, ...]:
    """Guided latents ordered so each one's ``given`` latents are sampled first."""
    problems = []
    for name, q in guides.items():
        for g in q.given:
            if g in spec and spec[g].latent and g not in guides:
                problems.append(Problem(
                    f"guide conditions on latent '{g}', which has no guide and is summed out "
                    f"in the model; give '{g}' a guide (family categorical) or drop it from "
                    "'given'", name, spec.lines.get(f"guide.{name}"), spec.source))
    if problems:
        raise SpecError(problems)
    order, pending = [], list(guides)
    while pending:
        ready = [n for n in pending
                 if all(g not in guides or g in order for g in guides[n].given)]
        if not ready:
            raise SpecError(Problem(f"guide networks condition on each other in a cycle: "
                                    f"{pending}", pending[0], None, spec.source))
        order += ready
        pending = [n for n in pending if n not in ready]
    return tuple(order)


def guide_inputs(name: str, net, values: Mapping, data: Mapping) -> list:
    """The tensors the guide network of ``name`` conditions on; DataError if any is absent."""
    missing = [g for g in net.inputs if g not in values]
    if missing:
        raise DataError(f"the guide for '{name}' conditions on {missing}, which the data does "
                        f"not give; received columns {sorted(data)}")
    return [values[g] for g in net.inputs]


def export(model) -> tuple:
    """The contract's ``export``: the compiled program's ``(model, guide)`` callables,
    each called as ``fn(data, n)`` with ``data`` mapping observed names to tensors."""
    program = model.program if hasattr(model, "program") else Program(model.spec)
    return program.model, program.guide
