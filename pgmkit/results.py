"""Small labelled result objects: they print as tables and convert to pandas.

A result never hands back a bare array whose axis order the user must guess: each
axis is named by its variable and each entry by its state.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from pgmkit.errors import StateError, did_you_mean


@dataclass(frozen=True, eq=False)
class Distribution:
    """A (joint) distribution over discrete variables, optionally given evidence.

    ``values`` has one axis per variable, in ``variables`` order, indexed by state.

    Examples
    --------
    >>> d = Distribution(("Coin",), {"Coin": ("h", "t")}, np.array([0.25, 0.75]))
    >>> d["t"]
    0.75
    """

    variables: tuple[str, ...]
    states: Mapping[str, tuple[str, ...]]
    values: np.ndarray
    evidence: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        arr = np.asarray(self.values, dtype=float)
        arr.setflags(write=False)
        object.__setattr__(self, "values", arr)

    def _index(self, key) -> tuple[int, ...]:
        key = key if isinstance(key, tuple) else (key,)
        if len(key) != len(self.variables):
            raise StateError(f"expected one state for each of {list(self.variables)}; received {key}")
        idx = []
        for var, s in zip(self.variables, key):
            try:
                idx.append(self.states[var].index(str(s)))
            except ValueError:
                raise StateError(f"'{s}' is not a state of '{var}'"
                                 f"{did_you_mean(str(s), self.states[var])}; states are "
                                 f"{list(self.states[var])}") from None
        return tuple(idx)

    def __getitem__(self, key) -> float:
        """Probability of one state (or a tuple of states, one per variable)."""
        return float(self.values[self._index(key)])

    def items(self):
        for combo in itertools.product(*(self.states[v] for v in self.variables)):
            yield (combo[0] if len(combo) == 1 else combo), float(self.values[self._index(combo)])

    def to_dict(self) -> dict:
        """``{state: p}`` for one variable, ``{(s1, s2, ...): p}`` for several."""
        return dict(self.items())

    def keys(self):
        """The states (tuples of states for a joint): with ``__getitem__``, ``dict(d)`` works."""
        return [k for k, _ in self.items()]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return int(self.values.size)

    def _repr_html_(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        head = f"P({', '.join(self.variables)}{' | ' + given if given else ''})"
        return f"<p><b>{_escape(head)}</b></p>" + self.to_frame().to_html(index=False)

    def to_frame(self):
        """A DataFrame with one column per variable and a ``probability`` column."""
        import pandas as pd

        rows = [dict(zip(self.variables, k if isinstance(k, tuple) else (k,)), probability=p)
                for k, p in self.items()]
        return pd.DataFrame(rows, columns=list(self.variables) + ["probability"])

    def argmax(self):
        """The most probable state (tuple of states for a joint)."""
        idx = np.unravel_index(int(np.argmax(self.values)), self.values.shape)
        combo = tuple(self.states[v][i] for v, i in zip(self.variables, idx))
        return combo[0] if len(combo) == 1 else combo

    def marginal(self, variable: str) -> "Distribution":
        axis = self.variables.index(variable)
        other = tuple(i for i in range(len(self.variables)) if i != axis)
        return Distribution((variable,), {variable: self.states[variable]},
                            self.values.sum(axis=other), self.evidence)

    def __eq__(self, other):
        return (isinstance(other, Distribution) and self.variables == other.variables
                and np.allclose(self.values, other.values))

    def __str__(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        head = f"P({', '.join(self.variables)}{' | ' + given if given else ''})"
        rows = [(" ".join(k) if isinstance(k, tuple) else k, p) for k, p in self.items()]
        width = max([len(r[0]) for r in rows] + [5])
        body = "\n".join(f"  {name:<{width}}  {p:.6f}" for name, p in rows)
        return f"{head}\n{body}"

    __repr__ = __str__


@dataclass(frozen=True)
class Assignment:
    """A most probable assignment (MAP) with its probability."""

    states: Mapping[str, str]
    probability: float
    evidence: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, variable: str) -> str:
        if variable not in self.states:
            raise StateError(f"the assignment has no variable '{variable}'"
                             f"{did_you_mean(str(variable), self.states)}; it assigns "
                             f"{list(self.states)}")
        return self.states[variable]

    def to_dict(self) -> dict[str, str]:
        return dict(self.states)

    def keys(self):
        """The assigned variables: ``dict(assignment)`` gives ``{variable: state}``."""
        return self.states.keys()

    def __iter__(self):
        return iter(self.states)

    def __len__(self) -> int:
        return len(self.states)

    def _repr_html_(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        head = f"MAP{' given ' + given if given else ''} (joint probability {self.probability:.6g})"
        return f"<p><b>{_escape(head)}</b></p>" + self.to_frame().to_html(index=False)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{**self.states, "probability": self.probability}])

    def __str__(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        width = max([len(k) for k in self.states] + [1])
        body = "\n".join(f"  {k:<{width}}  {v}" for k, v in self.states.items())
        return (f"MAP{' given ' + given if given else ''} (joint probability "
                f"{self.probability:.6g})\n{body}")

    __repr__ = __str__


@dataclass(frozen=True)
class FitHistory:
    """What a fit did: per-iteration log-likelihood (or ELBO), and whether it converged."""

    log_likelihood: tuple[float, ...] = ()
    converged: bool = False
    restarts: tuple[float, ...] = ()
    method: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        last = f"{self.log_likelihood[-1]:.6g}" if self.log_likelihood else "n/a"
        return (f"{self.method} fit: {len(self.log_likelihood)} iteration(s), final "
                f"log-likelihood {last}, converged={self.converged}")


def _escape(text: str) -> str:
    import html

    return html.escape(text)
