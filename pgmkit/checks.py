"""One validator for the arguments of every public method, and the size budgets.

Arguments are checked by NAME: ``n``, ``seed``, ``max_iter``, ``tol``, ``pseudo_count``,
``epochs``, ``lr``... mean the same thing on every class, so one table of rules
(:data:`RULES`) serves them all. A method opts in with :func:`validated`, which checks
each bound argument that has a rule and refuses keyword options the method does not
know, before any work starts:

>>> from pgmkit.checks import validated
>>> @validated
... def sample(n, seed=None):
...     return n
>>> sample(True)
Traceback (most recent call last):
pgmkit.errors.DataError: argument 'n' must be a whole number >= 1; received True (a boolean)

Size budgets (:data:`MAX_TABLE_CELLS`, ...) bound what a spec or a call may allocate;
:func:`check_size` raises ``CostError`` with the size and the limit before allocating.
Both are documented in ``docs/limits.md``.
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers
from typing import Any, Callable, Iterable

from pgmkit.errors import CostError, DataError, did_you_mean

# -- budgets -----------------------------------------------------------------------------

#: Entries of one CPD table (parent assignments x states): 8 bytes each, so 800 MB.
MAX_TABLE_CELLS = 100_000_000
#: Elements of one real variable (the product of its shape).
MAX_REAL_SIZE = 10_000_000
#: Weights of one neural network (a CPD or a guide), 4 bytes each.
MAX_NETWORK_WEIGHTS = 200_000_000
#: Cells (rows x columns) of a sample or any other result table built at once.
MAX_RESULT_CELLS = 500_000_000
#: Most states one discrete variable may have.
MAX_STATES = 10_000_000


def check_size(size: float, limit: float, what: str, remedy: str = "") -> None:
    """Raise ``CostError`` when ``size`` exceeds ``limit``, before anything is allocated."""
    if size > limit:
        raise CostError(f"{what} needs {size:.3g} entries; the limit is {limit:.3g}"
                        + (f": {remedy}" if remedy else ""))


def row_width(spec) -> int:
    """Numbers one sampled row of ``spec`` holds (a state code, or a real vector's size)."""
    return sum(v.domain.size if not v.is_discrete else 1 for v in spec.variables)


def network_weights(inputs: int, hidden: Iterable[int], outputs: int) -> int:
    """Weights and biases of a fully connected network of these layer sizes."""
    sizes = [inputs, *hidden, outputs]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


# -- argument rules ----------------------------------------------------------------------

def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{value!r} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (text)"
    text = " ".join(repr(value).split())     # one line, whatever the object's repr
    return text if len(text) < 60 else type(value).__name__


def whole(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; booleans, text and fractions refused."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer() and math.isfinite(value):
        ok, value = True, int(value)
    if not ok or value < minimum or (maximum is not None and value > maximum):
        bound = f" and <= {maximum}" if maximum is not None and maximum < 2**31 else ""
        raise DataError(f"argument '{name}' must be a whole number >= {minimum}{bound}; "
                        f"received {_describe(value)}")
    return int(value)


def real(name: str, value: Any, minimum: float | None = None, strict: bool = False,
         maximum: float | None = None) -> float:
    """``value`` as a finite float (``> minimum`` with ``strict``, else ``>=``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    if ok and math.isfinite(number):
        low_ok = minimum is None or (number > minimum if strict else number >= minimum)
        if low_ok and (maximum is None or number <= maximum):
            return number
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    raise DataError(f"argument '{name}' must be a finite number{' ' if bounds else ''}"
                    f"{' and '.join(bounds)}; received {_describe(value)}")


def flag(name: str, value: Any) -> bool:
    """A boolean, and only a boolean (``1`` or ``"yes"`` are refused)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise DataError(f"argument '{name}' must be True or False; received {_describe(value)}")


def seed(name: str, value: Any) -> int | None:
    """``None`` or a whole number in ``[0, 2**63)`` (what numpy and torch both accept)."""
    if value is None:
        return None
    return whole(name, value, 0, 2**63 - 1)


def evidence(name: str, value: Any):
    """Evidence (or a ``given``): ``None`` or a mapping of variable -> state/value. A
    DataFrame passes here (``query_batch`` takes one); single-row methods refuse it."""
    from collections.abc import Mapping

    from pgmkit.errors import EvidenceError

    if value is None or isinstance(value, Mapping) or type(value).__name__ == "DataFrame":
        return value
    if type(value).__name__ == "Series":
        return value.dropna().to_dict()
    raise EvidenceError(f"argument '{name}' must be a mapping such as {{'Var': 'state'}}; "
                        f"received {_describe(value)}")


def _not_nan(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and not math.isnan(value))


def _optional(rule: Callable) -> Callable:
    return lambda name, value: None if value is None else rule(name, value)


#: The rule for each argument name used anywhere in the public API.
RULES: dict[str, Callable[[str, Any], Any]] = {
    "n": lambda k, v: whole(k, v, 1),
    "num_samples": lambda k, v: whole(k, v, 1),
    "length": lambda k, v: whole(k, v, 1),
    "steps": lambda k, v: whole(k, v, 1),
    "max_iter": _optional(lambda k, v: whole(k, v, 1)),
    "restarts": _optional(lambda k, v: whole(k, v, 1)),
    "epochs": lambda k, v: whole(k, v, 1),
    "batch_size": lambda k, v: whole(k, v, 1),
    "patience": _optional(lambda k, v: whole(k, v, 1)),
    "chunk_size": _optional(lambda k, v: whole(k, v, 1)),
    "min_pattern_rows": lambda k, v: whole(k, v, 1),
    "particles": lambda k, v: whole(k, v, 1),
    "seed": seed,
    "tol": lambda k, v: v if v is None or _not_nan(v) else real(k, v),   # -inf: run all
    "lr": lambda k, v: real(k, v, 0.0, strict=True),
    "pseudo_count": _optional(lambda k, v: real(k, v, 0.0)),
    "clip": _optional(lambda k, v: real(k, v, 0.0, strict=True)),   # None: no clipping
    "max_cost": _optional(lambda k, v: real(k, v, 0.0, strict=True)),
    "evidence": evidence,
    "given": evidence,
    "assignment": evidence,
    "progress": flag,
    "joint": flag,
    "per_row": flag,
    "mean": flag,
    "resume": flag,
}


def check(**arguments: Any) -> dict[str, Any]:
    """Check each named argument by its rule; returns them normalised (e.g. ``5.0`` -> 5)."""
    return {k: RULES[k](k, v) if k in RULES else v for k, v in arguments.items()}


def unknown_options(options: Iterable[str], allowed: Iterable[str], where: str) -> None:
    """Refuse keyword options that ``where`` does not take (with a "did you mean")."""
    allowed = sorted(allowed)
    for key in options:
        if key not in allowed:
            raise DataError(f"{where} has no option '{key}'{did_you_mean(key, allowed)}; "
                            f"options are {allowed}")


def options_of(fn: Callable, skip: Iterable[str] = ()) -> list[str]:
    """The keyword parameters ``fn`` takes (for :func:`unknown_options`)."""
    params = inspect.signature(fn).parameters.values()
    return [p.name for p in params if p.name not in skip and p.kind in
            (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def validated(method: Callable | None = None, *, options: Iterable[str] | None = None):
    """Decorate a public method: check its arguments by :data:`RULES` before it runs.

    ``options`` names the keywords a ``**kwargs`` parameter may carry (they are checked
    by their rules too); without it, ``**kwargs`` pass through unchecked by name.
    """
    def wrap(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        var_kw = next((p.name for p in sig.parameters.values()
                       if p.kind is inspect.Parameter.VAR_KEYWORD), None)
        where = fn.__qualname__ + "()"

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                names = [p for p in sig.parameters if p not in ("self", var_kw)]
                raise DataError(f"{where}: {exc}; parameters are {names}") from None
            for key, value in bound.arguments.items():
                if key == var_kw:
                    if options is not None:
                        unknown_options(value, options, where)
                    for k, v in value.items():
                        if k in RULES:
                            value[k] = RULES[k](k, v)
                elif key in RULES:
                    bound.arguments[key] = RULES[key](key, value)
            return fn(*bound.args, **bound.kwargs)

        return inner

    return wrap(method) if method is not None else wrap
