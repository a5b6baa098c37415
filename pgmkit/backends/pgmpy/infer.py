"""Exact queries through pgmpy's variable elimination, returned in pgmkit's axis order."""
from __future__ import annotations

import math
import warnings

import numpy as np

from pgmkit.errors import CostError, EvidenceError
from pgmkit.spec.model import ModelSpec

#: Largest joint table ``map`` builds over the queried variables (entries).
MAP_JOINT_LIMIT = 10_000_000


def engine(spec: ModelSpec):
    """A pgmpy ``VariableElimination`` over the compiled network."""
    from pgmpy.inference import VariableElimination

    from pgmkit.backends.pgmpy.compile import compile_model

    return VariableElimination(compile_model(spec))


def _evidence_text(evidence: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in evidence.items())


def joint(ve, spec: ModelSpec, variables: list[str], evidence: dict[str, str]) -> np.ndarray:
    """P(variables | evidence) with axes in ``variables`` order and states in spec order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factor = ve.query(variables=list(variables), evidence=dict(evidence) or None,
                          joint=True, show_progress=False)
    values = np.asarray(factor.values, dtype=float)
    # pgmpy's factor may order axes and states its own way: map both back.
    values = np.transpose(values, [factor.variables.index(v) for v in variables])
    index = tuple(np.array([factor.state_names[v].index(s) for s in spec[v].states])
                  for v in variables)
    values = values[np.ix_(*index)]
    if not np.all(np.isfinite(values)) or values.sum() <= 0:
        raise EvidenceError(f"the evidence {_evidence_text(evidence)} is impossible "
                            "(probability 0 under the model)")
    return values / values.sum()


def map_joint(ve, spec: ModelSpec, variables: list[str], evidence: dict[str, str]) -> dict[str, str]:
    """Most probable joint assignment of ``variables`` given evidence (others summed out)."""
    size = math.prod(spec[v].card for v in variables)
    if size > MAP_JOINT_LIMIT:
        raise CostError(f"map over {len(variables)} variables needs a joint table of {size:.3g} "
                        f"entries (limit {MAP_JOINT_LIMIT:.0e}); query fewer variables, or "
                        "call map() with variables=None for the most probable explanation of all")
    values = joint(ve, spec, variables, evidence)
    idx = np.unravel_index(int(np.argmax(values)), values.shape)
    return {v: spec[v].states[i] for v, i in zip(variables, idx)}
