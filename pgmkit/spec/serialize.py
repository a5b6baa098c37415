"""Spec -> plain dict in the YAML language's readable form (the inverse of ``build_spec``)."""
from __future__ import annotations

from pgmkit.spec import kinds
from pgmkit.spec import adversarial
from pgmkit.spec.guide import guide_dict
from pgmkit.spec.objectives import objective_dict
from pgmkit.spec.kinds.neural import to_dict as neural_dict  # noqa: F401  (kept importable)
from pgmkit.spec.model import ModelSpec, Variable


def cpd_dict(spec: ModelSpec, var: Variable, cpd, parents):
    """One CPD in its readable YAML form, written by its kind's module."""
    kind = kinds.kind_of(cpd)
    if kind is None:
        raise TypeError(f"cannot serialize {type(cpd).__name__}: not a registered CPD kind")
    return kind.to_dict(cpd, spec, var, parents)


def to_dict(spec: ModelSpec) -> dict:
    """A plain dict that ``build_spec`` reads back to an equal spec."""
    out: dict = {"name": spec.name}
    if spec.description:
        out["description"] = spec.description
    if spec.temporal:
        out["temporal"] = True
    variables = {}
    for v in spec.variables:
        d: dict = {}
        if v.is_discrete:
            d["states"] = list(v.states)
        else:
            d["real"] = list(v.domain.shape)
        if v.latent:
            d["latent"] = True
        if v.beta != 1.0:
            d["beta"] = float(v.beta)
        if v.parents:
            d["parents"] = [str(p) for p in v.parents]
        if v.cpd is not None:
            d["cpd"] = cpd_dict(spec, v, v.cpd, v.parents)
        if v.initial is not None:
            d["initial"] = cpd_dict(spec, v, v.initial, tuple(p for p in v.parents if p.lag == 0))
        variables[v.name] = d
    out["variables"] = variables
    if spec.guide:
        out["guide"] = guide_dict(spec)
    if spec.objective is not None:
        out["objective"] = (adversarial.to_dict(spec.objective)
                            if isinstance(spec.objective, adversarial.Adversarial)
                            else objective_dict(spec.objective))
    return out
