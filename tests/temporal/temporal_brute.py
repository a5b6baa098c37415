"""Brute force over the unrolled network: enumerate every unknown of every slice."""
from __future__ import annotations

import itertools
import math

import numpy as np


def slice_cpd(var, t):
    """The CPD and parents that ``var`` uses in slice ``t``."""
    if t == 0 and var.lagged_parents:
        return var.initial, [p for p in var.parents if p.lag == 0]
    return var.cpd, list(var.parents)


def joint_terms(spec, T: int, evidence: dict):
    """Yield (assignment, probability) over every completion of ``evidence``
    ({(t, var): code}) for a discrete temporal spec of ``T`` slices."""
    unknown = [(t, v.name) for t in range(T) for v in spec.variables if (t, v.name) not in evidence]
    cards = [spec[n].card for _, n in unknown]
    for combo in itertools.product(*(range(c) for c in cards)):
        a = dict(evidence)
        a.update(zip(unknown, combo))
        p = 1.0
        for t in range(T):
            for v in spec.variables:
                cpd, parents = slice_cpd(v, t)
                key = tuple(a[(t - q.lag, q.name)] for q in parents) + (a[(t, v.name)],)
                p *= cpd.table[key]
                if p == 0.0:
                    break
        yield a, p


def evidence_of(spec, rows: list[dict]) -> dict:
    """Rows (one dict of state names per slice, None/NaN = missing) -> {(t, var): code}."""
    ev = {}
    for t, row in enumerate(rows):
        for name, value in row.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            ev[(t, name)] = spec[name].states.index(str(value))
    return ev


def marginal(spec, T, evidence, query: tuple[int, str]) -> np.ndarray:
    out = np.zeros(spec[query[1]].card)
    for a, p in joint_terms(spec, T, evidence):
        out[a[query]] += p
    return out / out.sum()


def log_likelihood(spec, T, evidence) -> float:
    return math.log(sum(p for _, p in joint_terms(spec, T, evidence)))


def map_path(spec, T, evidence, latent: list[str]):
    """The most probable joint assignment of the latents (other unknowns summed out)."""
    scores: dict = {}
    for a, p in joint_terms(spec, T, evidence):
        key = tuple(a[(t, n)] for t in range(T) for n in latent)
        scores[key] = scores.get(key, 0.0) + p
    best = max(scores, key=scores.get)
    return best, math.log(scores[best])
