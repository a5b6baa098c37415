"""Spec -> plain dict in the YAML language's readable form (the inverse of ``build_spec``)."""
from __future__ import annotations

import itertools

import numpy as np

from pgmkit.spec.cpd import LinearGaussianCPD, NeuralCPD, NormalCPD, TableCPD
from pgmkit.spec.model import ModelSpec, ParentRef, Variable


def _num(x) -> float | list:
    if isinstance(x, np.ndarray):
        return [_num(v) for v in x] if x.ndim else float(x)
    return float(x)


def _table(spec: ModelSpec, cpd: TableCPD, parents: tuple[ParentRef, ...]):
    if not parents:
        return _num(cpd.table)
    pstates = [spec[p.name].states for p in parents]
    rows = cpd.rows()
    return {", ".join(a): _num(row) for a, row in zip(itertools.product(*pstates), rows)}


def _by_parents(spec: ModelSpec, arr: np.ndarray, parents, tail_ndim: int):
    if not parents:
        return _num(arr) if tail_ndim else float(arr)
    pstates = [spec[p.name].states for p in parents]
    flat = arr.reshape((-1,) + arr.shape[arr.ndim - tail_ndim:])
    return {", ".join(a): _num(v) if tail_ndim else float(v)
            for a, v in zip(itertools.product(*pstates), flat)}


def _uniform(value: np.ndarray):
    """Write one number instead of an array whose entries are all equal."""
    if value.size and np.all(value == value.flat[0]):
        return float(value.flat[0])
    return None


def neural_dict(cpd: NeuralCPD) -> dict:
    out: dict = {"family": cpd.family}
    if cpd.given:
        out["given"] = list(cpd.given)
    out["hidden"] = list(cpd.hidden)
    out["activation"] = cpd.activation
    if cpd.scale is not None:
        out["scale"] = float(cpd.scale)
    return {"neural": out}


def cpd_dict(spec: ModelSpec, var: Variable, cpd, parents):
    if isinstance(cpd, TableCPD):
        return _table(spec, cpd, parents)
    if isinstance(cpd, NormalCPD):
        tail = len(var.domain.shape)
        body = {}
        for key, arr in (("loc", cpd.loc), ("scale", cpd.scale)):
            u = _uniform(arr)
            body[key] = u if u is not None else _by_parents(spec, arr, parents, tail)
        if cpd.learn:
            body["learn"] = True
        return {"normal": body}
    if isinstance(cpd, LinearGaussianCPD):
        return {"linear_gaussian": {
            "bias": _num(cpd.bias), "scale": _num(cpd.scale),
            "weights": {str(p): _num(w) for p, w in zip(parents, cpd.weights)}}}
    if isinstance(cpd, NeuralCPD):
        return neural_dict(cpd)
    raise TypeError(f"cannot serialize {type(cpd).__name__}")


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
        out["guide"] = {k: neural_dict(q) for k, q in spec.guide.items()}
    return out
