"""The conformance suite's fixtures: one ``backend`` fixture over every public engine.

A test asks the contract whether the backend runs what it is about to do
(:func:`expect_support`); where it does not, the test becomes a strict xfail that must
raise ``UnsupportedError`` (ibis' ``notimpl`` markers, computed here from the engines'
own rule tables instead of written by hand). So a gap that silently starts "working",
or fails any other way, turns the suite red.
"""
from __future__ import annotations

import string

import numpy as np
import pytest

from pgmkit.backends.contract import engine, public_names
from pgmkit.errors import UnsupportedError

BACKENDS = public_names()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


def expect_support(request, spec, operation: str, backend: str) -> bool:
    """Mark the running test a strict xfail raising ``UnsupportedError`` when ``backend``
    does not claim ``operation`` on ``spec``; returns whether it claims it."""
    why = engine(backend).problem(spec, operation)
    if why is not None:
        request.applymarker(pytest.mark.xfail(raises=UnsupportedError, strict=True,
                                              reason=f"{backend}: {why}"))
    return why is None


def joint_table(spec) -> tuple[list[str], np.ndarray]:
    """The full joint of a small discrete spec: one einsum over every (normalised) table."""
    names = list(spec.names)
    letters = dict(zip(names, string.ascii_letters))
    terms = ["".join(letters[p.name] for p in v.parents) + letters[v.name] for v in spec.variables]
    out = "".join(letters[n] for n in names)
    tables = [v.cpd.probabilities for v in spec.variables]
    return names, np.einsum(",".join(terms) + "->" + out, *tables)


def marginal(names, joint, keep: list[str], evidence: dict[str, int]) -> np.ndarray:
    """P(keep | evidence) from a joint table, axes in ``keep`` order."""
    index = tuple(evidence.get(n, slice(None)) for n in names)
    rest = [n for n in names if n not in evidence]
    table = joint[index]
    summed = table.sum(axis=tuple(i for i, n in enumerate(rest) if n not in keep))
    order = [n for n in rest if n in keep]
    summed = np.transpose(summed, [order.index(k) for k in keep])
    return summed / summed.sum()
