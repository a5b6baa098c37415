"""Validation of implicit CPDs and objectives, and the game layout derived from the graph.

Every problem is reported through validation's ``add`` with the key of the spec entry it
is about, so the message carries the file and line (see :mod:`pgmkit.spec.validate`).
"""
from __future__ import annotations

import math

from pgmkit.errors import did_you_mean
from pgmkit.spec.adversarial import ACTIVATIONS, LOSSES, Adversarial, Layout
from pgmkit.spec.kinds.implicit import ImplicitCPD
from pgmkit.spec.kinds.implicit import check_network as implicit_problems
from pgmkit.spec.kinds.neural import NeuralCPD
from pgmkit.spec.kinds.normal import NormalCPD
from pgmkit.spec.kinds.table import TableCPD


def uses_adversarial(spec) -> bool:
    return isinstance(spec.objective, Adversarial)


def implicit_variables(spec) -> tuple[str, ...]:
    return tuple(v.name for v in spec.variables if isinstance(v.cpd, ImplicitCPD))


def layout(spec) -> Layout:
    """The game of a valid adversarial spec: who generates, who is noise, what critics see."""
    order = spec.topological_order()
    generated = tuple(n for n in order if isinstance(spec[n].cpd, ImplicitCPD))
    noise = tuple(n for n in order if spec[n].latent and not spec[n].parents
                  and n not in generated)
    conditions = tuple(n for n in order if not spec[n].latent and n not in generated)
    encoded = tuple(n for n in spec.guide if spec[n].latent)
    if any(not spec[n].latent for n in spec.guide):
        (a,) = [n for n in spec.guide if not spec[n].latent]
        (b,) = spec.guide[a].given
        return Layout("cycle", generated, noise, (), (), (), (a, b))
    inputs = tuple(n for n in order if not spec[n].latent or n in encoded)
    return Layout("joint", generated, noise, conditions, encoded, inputs)


def problems(spec, add) -> None:
    """Implicit CPDs, implicit guides and the objective, checked against each other."""
    for target, q in spec.guide.items():
        if isinstance(q, ImplicitCPD) and target in spec:
            implicit_problems(spec[target], q, add, f"guide.{target}", guide=True,
                              inputs=[spec[g] for g in q.given if g in spec])
    objective = spec.objective
    implicit = implicit_variables(spec) + tuple(
        t for t, q in spec.guide.items() if isinstance(q, ImplicitCPD))
    if not isinstance(objective, Adversarial):
        name = objective.name if objective is not None else "elbo (the default)"
        for n in implicit:
            key = f"{n}.cpd" if n in implicit_variables(spec) else f"guide.{n}"
            add(f"an implicit network has no likelihood, so objective {name} cannot fit it; "
                "name an adversarial objective: 'objective: {adversarial: {loss: "
                "nonsaturating}}'", n, key)
        return
    _objective_problems(spec, objective, add)
    if spec.temporal:
        add("adversarial objectives train static models; this one is temporal", key="objective")
        return
    if not implicit_variables(spec):
        add("the adversarial objective trains implicit CPDs, and no variable has one: give the "
            "generated variable 'cpd: {implicit: {...}}'", key="objective")
        return
    _graph_problems(spec, objective, add)


def _objective_problems(spec, o: Adversarial, add) -> None:
    if o.loss not in LOSSES:
        add(f"adversarial loss '{o.loss}' is unknown{did_you_mean(o.loss, LOSSES)}; expected "
            f"one of {list(LOSSES)}", key="objective.loss")
    if o.critic_activation not in ACTIVATIONS:
        add(f"critic activation '{o.critic_activation}' is unknown"
            f"{did_you_mean(o.critic_activation, ACTIVATIONS)}; expected one of "
            f"{list(ACTIVATIONS)}", key="objective.critic")
    if any((not isinstance(h, int)) or h <= 0 for h in o.critic_hidden):
        add(f"critic hidden sizes must be positive integers; received {list(o.critic_hidden)}",
            key="objective.critic")
    if o.n_critic < 1:
        add("'n_critic' is the number of critic steps per generator step, a whole number >= 1",
            key="objective.n_critic")
    if o.gp_weight is not None and o.loss != "wasserstein_gp":
        add(f"'gp_weight' is the gradient penalty of loss wasserstein_gp; this objective's loss "
            f"is {o.loss}", key="objective.gp_weight")
    elif o.gp_weight is not None and not (o.gp_weight >= 0 and math.isfinite(o.gp_weight)):
        add(f"'gp_weight' must be >= 0; received {o.gp_weight}", key="objective.gp_weight")
    for key in ("lr_generator", "lr_critic"):
        value = getattr(o, key)
        if value is not None and not (value > 0 and math.isfinite(value)):
            add(f"'{key}' must be a learning rate > 0; received {value}", key=f"objective.{key}")
    if not all(0 <= b < 1 for b in o.betas):
        add(f"'betas' must be two numbers in [0, 1); received {list(o.betas)}",
            key="objective.betas")
    if not (o.info_weight > 0 and math.isfinite(o.info_weight)):
        add(f"info 'weight' must be > 0; received {o.info_weight}", key="objective.info")
    if o.cycle is not None and not (o.cycle >= 0 and math.isfinite(o.cycle)):
        add(f"'cycle' is the weight of the cycle-consistency loss, >= 0; received {o.cycle}",
            key="objective.cycle")


def _graph_problems(spec, o: Adversarial, add) -> None:
    for v in spec.variables:
        if isinstance(v.cpd, NeuralCPD):
            add("a neural CPD is fitted by a likelihood objective; under the adversarial "
                "objective give it an implicit CPD (or a fixed prior if it is noise)", v.name,
                f"{v.name}.cpd")
        elif isinstance(v.cpd, ImplicitCPD):
            continue
        elif v.latent and v.parents:
            add("a latent variable with parents needs an implicit CPD under the adversarial "
                "objective", v.name, f"{v.name}.cpd")
        elif v.latent and not isinstance(v.cpd, (NormalCPD, TableCPD)):
            add("a latent noise variable needs a fixed prior to draw from, e.g. "
                "'cpd: {normal: {loc: 0, scale: 1}}' or a table", v.name, f"{v.name}.cpd")
        elif not v.latent and v.parents:
            add("an observed variable with parents needs an implicit CPD under the adversarial "
                "objective (observed roots are conditions taken from the data)", v.name,
                f"{v.name}.cpd")
    for target, q in spec.guide.items():
        if target in spec and not isinstance(q, ImplicitCPD):
            add("under the adversarial objective a guide is an implicit encoder: "
                "'{implicit: {given: [x], ...}}'", target, f"guide.{target}")
    backward = [t for t in spec.guide if t in spec and not spec[t].latent]
    if backward:
        _cycle_problems(spec, o, backward, add)
        return
    if o.cycle is not None:
        add("'cycle' weighs the cycle-consistency loss of a two-domain translation (a guide "
            "that maps an observed variable back); this model has none", key="objective.cycle")
    for target, q in spec.guide.items():
        for g in getattr(q, "given", ()):
            if g in spec and spec[g].latent:
                add(f"an encoder reads observed variables; '{g}' is latent", target,
                    f"guide.{target}")
    noise = {v.name for v in spec.variables if v.latent and not v.parents}
    for code in o.info_codes:
        if code not in spec:
            add(f"info code '{code}' is not a variable{did_you_mean(code, spec.names)}",
                key="objective.info")
        elif code not in noise or code in spec.guide:
            add(f"info code '{code}' must be a latent root (noise fed to the generator) "
                "without a guide: the critic's q head infers it", key="objective.info")


def _cycle_problems(spec, o: Adversarial, backward, add) -> None:
    a = backward[0]
    q = spec.guide[a]
    given = getattr(q, "given", ())
    ok = (len(backward) == 1 and len(spec.variables) == 2 and len(given) == 1
          and given[0] in spec and given[0] != a)
    if ok:
        b = spec[given[0]]
        ok = (not b.latent and not b.is_discrete and not spec[a].is_discrete
              and isinstance(b.cpd, ImplicitCPD) and b.parent_names == (a,)
              and not spec[a].parents)
    if not ok:
        add("a guide on an observed variable makes a two-domain translation: exactly two real "
            "observed variables a and b, b with parents [a] and an implicit CPD (a -> b), and "
            "the guide 'a: {implicit: {given: [b]}}' (b -> a)", a, f"guide.{a}")
    if o.info_codes:
        add("'info' codes need latent noise; a two-domain translation has none",
            key="objective.info")

