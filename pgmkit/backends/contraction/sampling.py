"""Exact samples given evidence: filter up a junction tree, sample down it.

The collect pass of the junction tree (see ``jtree`` and ``propagate``) is run once
for the evidence. Each clique's collect belief is then proportional to the joint of
its variables and the evidence in its subtree, so drawing the root's variables from
its belief and each child's remaining variables from its belief given the separator
already drawn (forward filtering, backward sampling) gives exact samples of
P(everything | evidence). The cost is one pass plus O(states) per sample and clique:
it does not depend on how improbable the evidence is, unlike rejection sampling.
"""
from __future__ import annotations

import numpy as np

from pgmkit.backends.contraction.compile import compile_net
from pgmkit.backends.contraction.jtree import build_tree
from pgmkit.backends.contraction.propagate import collect
from pgmkit.errors import EvidenceError
from pgmkit.spec.model import ModelSpec


def sample_given(spec: ModelSpec, n: int, evidence: dict[str, int], rng: np.random.Generator
                 ) -> dict[str, np.ndarray]:
    """``n`` exact samples (codes per variable) of the network given ``evidence`` codes."""
    net = compile_net(spec)
    ev = {net.index[k]: v for k, v in evidence.items()}
    key = ("sampling", tuple(sorted(ev)))
    plan = net.plans.get(key)
    if plan is None:
        plan = net.plans[key] = build_tree(net, sorted(ev), (), fold=False)
        plan.needed = frozenset(plan.order)
    codes = {v: np.array([c], dtype=np.int64) for v, c in ev.items()}
    log_ev, beliefs, _ = collect(plan, codes, 1)
    if not np.isfinite(log_ev[0]):
        text = ", ".join(f"{k}={spec[k].states[c]}" for k, c in evidence.items())
        raise EvidenceError(f"the evidence {text} is impossible (probability 0 under the model)")
    drawn: dict[int, np.ndarray] = {}
    for c in reversed(plan.order):           # parents before children
        cl = plan.cliques[c]
        belief = beliefs[c][..., 0] if c in beliefs else cl.belief
        parent = plan.cliques[cl.parent].variables if cl.parent >= 0 else ()
        sep = [i for i, u in enumerate(cl.variables) if u in parent]
        new = [i for i, u in enumerate(cl.variables) if u not in parent]
        if not new:
            continue
        shape = [belief.shape[i] for i in new]
        table = belief.transpose(sep + new).reshape(-1, int(np.prod(shape)))
        if sep:
            row = np.ravel_multi_index([drawn[cl.variables[i]] for i in sep],
                                       [belief.shape[i] for i in sep])
            probs = table[row]
        else:
            probs = np.broadcast_to(table, (n, table.shape[1]))
        cdf = np.cumsum(probs, axis=1)
        u = rng.random(n) * cdf[:, -1]
        flat = np.minimum((u[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1)
        for i, value in zip(new, np.unravel_index(flat, shape)):
            drawn[cl.variables[i]] = value.astype(np.int64)
    return {net.names[v]: drawn[v] for v in range(len(net.names))}


def sample(model, n: int, clamp: dict[str, int], seed: int | None, method: str = "exact",
           p_evidence: float = 1.0):
    """The engine's ``sample`` operation: ``method="exact"`` with evidence draws from the
    junction tree; anything else is the numpy kernels' (ancestral, rejection, likelihood
    weighting)."""
    from pgmkit.backends.numpy.sample import sample as kernel

    if clamp and method == "exact":
        return sample_given(model.spec, n, clamp, np.random.default_rng(seed)), None
    return kernel(model, n, clamp, seed, "rejection" if method == "exact" else method,
                  p_evidence)
