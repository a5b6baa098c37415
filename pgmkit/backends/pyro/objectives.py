"""The training objectives of the Pyro backend, one factory per name in
:data:`pgmkit.spec.objectives.OBJECTIVES` (registered in ``rules.py``).

A factory takes the compiled program, the names observed in the data and the options
the spec gives, and returns an object with ``differentiable_loss(model, guide, data, n)``
and ``loss(model, guide, data, n)``: Pyro's ELBO classes, or the small ones below that
reuse the importance weights of :mod:`pgmkit.backends.pyro.infer`.
"""
from __future__ import annotations

import math

import torch

from pgmkit.backends.pyro.compile import Program
from pgmkit.errors import UnsupportedError


def elbo(program: Program, observed: set[str], num_particles: int = 1):
    """The ELBO estimator the model needs.

    ``TraceEnum_ELBO`` when discrete latents are summed (in the model or the guide);
    ``TraceMeanField_ELBO`` (analytic KL where Pyro has one) when no guide conditions
    on another latent; ``Trace_ELBO`` otherwise.
    """
    import pyro.infer as infer

    kw = dict(num_particles=num_particles, vectorize_particles=num_particles > 1,
              max_plate_nesting=1)
    unobserved = [v for v in program.spec.variables if v.name not in observed]
    if any(v.is_discrete for v in unobserved):
        return infer.TraceEnum_ELBO(**kw)
    latent_given = any(g not in observed for n in program.guide_order
                       for g in program.guide_given[n])
    if not latent_given:
        return infer.TraceMeanField_ELBO(**kw)
    return infer.Trace_ELBO(**kw)


class _ScaledLatents:
    """An ELBO whose guided latent sites (log q and log p of them: their KL term) are
    weighed by ``beta``; observed sites keep weight 1."""

    def __init__(self, base, program: Program, beta: float):
        self.base, self.names, self.beta = base, program.guided, float(beta)

    def _wrap(self, fn):
        from pyro.poutine.messenger import Messenger

        names, beta = self.names, self.beta

        class Scale(Messenger):
            def _process_message(self, msg):
                if msg["type"] == "sample" and msg["name"] in names and not msg["is_observed"]:
                    msg["scale"] = beta * msg["scale"]

        def scaled(*args, **kwargs):
            with Scale():
                return fn(*args, **kwargs)
        return scaled

    def differentiable_loss(self, model, guide, *args, **kwargs):
        return self.base.differentiable_loss(self._wrap(model), self._wrap(guide), *args, **kwargs)

    def loss(self, model, guide, *args, **kwargs):
        return self.base.loss(self._wrap(model), self._wrap(guide), *args, **kwargs)


def beta_elbo(program: Program, observed: set[str], beta: float = 1.0, num_particles: int = 1):
    """The ELBO with every guided latent's KL term weighed by ``beta`` (a beta-VAE)."""
    return _ScaledLatents(elbo(program, observed, num_particles), program, beta)


class _Bound:
    """``-sum_rows log mean_k w_k`` from :func:`pgmkit.backends.pyro.infer._log_weights`
    (discrete latents summed exactly; ``particles`` importance samples of the rest)."""

    def __init__(self, program: Program, particles: int):
        self.program, self.particles = program, int(particles)

    def differentiable_loss(self, model, guide, data, n, **kwargs):
        from pgmkit.backends.pyro.infer import _log_weights

        logw = _log_weights(self.program, data, n, self.particles)
        return -(torch.logsumexp(logw, dim=0) - math.log(self.particles)).sum()

    def loss(self, model, guide, data, n, **kwargs):
        with torch.no_grad():
            return float(self.differentiable_loss(model, guide, data, n))


def iwae(program: Program, observed: set[str], num_particles: int = 8):
    """The importance-weighted bound with ``num_particles`` samples (IWAE)."""
    return _Bound(program, num_particles)


def exact(program: Program, observed: set[str]):
    """The exact log-likelihood: every latent is discrete and summed out by enumeration."""
    guided = [n for n in program.guide_order if n not in observed]
    if guided:
        raise UnsupportedError(f"objective 'exact' needs every latent summed out exactly; "
                               f"model '{program.spec.name}' guides {guided}: use 'elbo' or "
                               "'iwae'")
    return _Bound(program, 1)


def make_objective(program: Program, observed: set[str]):
    """The objective the program's spec names (the ELBO when it names none)."""
    from pgmkit.backends.contract import resolve
    from pgmkit.backends.pyro.rules import ENGINE
    from pgmkit.spec.objectives import DEFAULT

    chosen = program.spec.objective
    name = chosen.name if chosen is not None else DEFAULT
    options = dict(chosen.options) if chosen is not None else {}
    if name not in ENGINE.objectives:
        raise UnsupportedError(f"backend 'pyro' has no objective '{name}'; it trains with "
                               f"{list(ENGINE.objectives)}")
    return resolve(ENGINE.objectives[name])(program, observed, **options)
