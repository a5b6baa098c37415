"""The ``guide:`` section: amortized posteriors ``q(z | given)`` for latent variables.

A guide entry is a network block of the ``neural`` kind with ``given`` (the variables q
conditions on), or, under an adversarial objective, of the ``implicit`` kind: a
deterministic encoder (BiGAN's ``x -> z``) or a translation's backward map (CycleGAN's
``b -> a``), checked with the objective in :mod:`pgmkit.spec.game`. Parsing, checks and serialization of the section live here, next to
the CPD kinds, so the model readers only call these three functions.
"""
from __future__ import annotations

from typing import Mapping

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds import implicit
from pgmkit.spec.kinds.neural import GUIDE_KEYS, NeuralCPD, check_network, parse_network
from pgmkit.spec.kinds.neural import to_dict as network_dict
from pgmkit.spec.reading import Collector
from pgmkit.spec.yaml_io import line_of


def parse_guide(raw, col: Collector, line) -> dict[str, NeuralCPD | implicit.ImplicitCPD]:
    """The guide section as ``{latent: NeuralCPD}``; problems go to ``col``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        col.add("'guide' must map latent variables to {neural: {...}}", line=line)
        return {}
    out = {}
    for name, body in raw.items():
        name = str(name)
        col.lines[f"guide.{name}"] = line_of(raw, name) or 0
        if isinstance(body, (NeuralCPD, implicit.ImplicitCPD)):
            out[name] = body
            continue
        if (isinstance(body, Mapping) and list(body) == ["implicit"]
                and isinstance(body["implicit"], Mapping)):
            out[name] = implicit.parse_network(name, body["implicit"], col, guide=True)
            continue
        if not (isinstance(body, Mapping) and list(body) == ["neural"]
                and isinstance(body["neural"], Mapping)):
            col.add("a guide entry must be {neural: {given: [...], family: ..., hidden: [...]}} "
                    "or {implicit: {given: [...], hidden: [...]}}",
                    name, line_of(raw, name))
            continue
        out[name] = parse_network(name, body["neural"], GUIDE_KEYS, col)
    return out


def check_guide(spec, add) -> None:
    """Report every problem of ``spec.guide`` through ``add(message, variable, key)``."""
    known = set(spec.names)
    for target, q in spec.guide.items():
        key = f"guide.{target}"
        if target not in known:
            add(f"guide for unknown variable '{target}'{did_you_mean(target, known)}", target, key)
            continue
        var = spec[target]
        if isinstance(q, implicit.ImplicitCPD):
            continue  # an encoder or backward map of an adversarial game: spec.game checks it
        if not var.latent:
            add("has a guide but is observed: guides are for latent variables "
                "(add 'latent: true' or remove the guide)", target, key)
        if not isinstance(q, NeuralCPD):
            add("a guide entry must be a 'neural' network", target, key)
            continue
        if not q.given:
            add("guide needs 'given': the variables q conditions on, e.g. [x]", target, key)
        for g in q.given:
            if g not in known:
                add(f"guide given '{g}' is not a variable of the model{did_you_mean(g, known)}",
                    target, key)
            elif g == target:
                add("guide cannot condition on the variable it infers", target, key)
        check_network(var, q, add, key, guide=True)


def guide_dict(spec) -> dict:
    """The guide section in its YAML form (empty when there is no guide)."""
    return {k: implicit.to_dict(q) if isinstance(q, implicit.ImplicitCPD) else network_dict(q)
            for k, q in spec.guide.items()}
