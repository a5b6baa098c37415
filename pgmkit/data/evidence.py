"""The one check of evidence given as a mapping ``{variable: value}``.

Used by every class that takes evidence or fixed values (``BayesNet.query/map/sample/
probability``, ``DeepModel.sample(given=...)``, the CLI's ``--given``): unknown variables
get a "did you mean", discrete values are read by the one state rule of
:mod:`pgmkit.data.states` (so ``1``, ``1.0`` and ``"1"`` are the same state everywhere),
and a variable both queried and observed is refused.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from pgmkit.data.states import MISSING, not_a_state, state_of
from pgmkit.errors import EvidenceError, did_you_mean, format_choices
from pgmkit.spec.model import ModelSpec


def check_evidence(spec: ModelSpec, evidence: Mapping[str, Any] | None,
                   targets: Sequence[str] = (), *, what: str = "evidence",
                   error: type[Exception] = EvidenceError) -> dict[str, Any]:
    """``evidence`` with every discrete value as its state name (real values unchanged).

    Raises ``error`` (``EvidenceError`` by default) naming the variable and value.

    Examples
    --------
    >>> import pgmkit
    >>> check_evidence(pgmkit.example_spec("alarm"), {"JohnCalls": "yes"})
    {'JohnCalls': 'yes'}
    """
    out: dict[str, Any] = {}
    if evidence is not None and not isinstance(evidence, Mapping):
        raise error(f"{what} must be a mapping {{variable: state}}; received "
                    f"{type(evidence).__name__}")
    for var, value in (evidence or {}).items():
        if var not in spec:
            raise error(f"{what} names unknown variable '{var}'{did_you_mean(str(var), spec.names)}"
                        f"; variables are {format_choices(spec.names)}")
        v = spec[var]
        if v.is_discrete:
            code = state_of(value, v.states)
            if code == MISSING:
                raise error(f"{what} {var}={value!r}: a value is missing; give a state of "
                            f"'{var}' ({list(v.states)}) or leave '{var}' out")
            if code < 0:
                raise error(f"{what} {var}={value!r}: {not_a_state(value, var, v.states)}")
            value = v.states[code]
        if var in targets:
            raise error(f"variable '{var}' is both queried and observed; drop it from the "
                        f"{what} or from the query")
        out[var] = value
    return out
