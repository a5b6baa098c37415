"""The exceptions pgmkit raises for user mistakes.

Every class derives from :class:`PgmkitError` and from the builtin a caller would
expect (``ValueError`` for bad values, ``NotImplementedError`` for unsupported
features), so ``except ValueError`` keeps working for code that knows nothing of
pgmkit. Messages are one line per problem: where it is, what was expected, what was
received.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


class PgmkitError(Exception):
    """Root of every error pgmkit raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, and where it is."""

    message: str
    variable: str | None = None
    line: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(f"{self.source}:{self.line}" if self.line else self.source)
        elif self.line:
            where.append(f"line {self.line}")
        if self.variable:
            where.append(f"variable '{self.variable}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SpecError(PgmkitError, ValueError):
    """A model spec is malformed. ``problems`` lists every problem found at once."""

    def __init__(self, problems: str | Problem | Sequence[Problem]):
        if isinstance(problems, (str, Problem)):
            problems = [problems if isinstance(problems, Problem) else Problem(problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            text = lines[0]
        else:
            text = f"{len(lines)} problems in the spec:\n" + "\n".join(f"  {x}" for x in lines)
        super().__init__(text)


class EvidenceError(PgmkitError, ValueError):
    """Evidence or a query names an unknown variable or state, or is impossible."""


class StateError(EvidenceError, KeyError):
    """A result was indexed by a state (or variable) it does not have. Also a ``KeyError``,
    so results keep behaving as mappings."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class DataError(PgmkitError, ValueError):
    """A data table does not fit the model (columns, states, shapes, sequences)."""


class UnsupportedError(PgmkitError, NotImplementedError):
    """A backend cannot run this spec or operation; the message says which can."""


class CostError(PgmkitError, MemoryError):
    """An exact computation would exceed its memory or time budget."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a near-miss name, else an empty string."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def format_choices(choices: Iterable[str], limit: int = 12) -> str:
    """A short, quoted list of valid choices for an error message."""
    items = [str(c) for c in choices]
    shown = ", ".join(repr(c) for c in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


class PgmkitWarning(UserWarning):
    """Root of the warnings pgmkit gives about results that may not be what was wanted."""


class ConvergenceWarning(PgmkitWarning):
    """An iterative fit stopped at its iteration limit before meeting its tolerance."""


class CollapseWarning(PgmkitWarning):
    """A fitted latent variable lost a state: never used, or a copy of another state."""


class ScaleWarning(PgmkitWarning):
    """Real data far from unit scale given to a Gaussian neural decoder."""
