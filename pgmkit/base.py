"""What every model facade shares: the spec, saving, describing, the engine cache."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from pgmkit.spec.model import ModelSpec
from pgmkit.spec.validate import check


class Model:
    """Base of :class:`BayesNet`, :class:`DynamicBayesNet` and :class:`DeepModel`.

    Holds an immutable, validated spec. ``fit`` follows scikit-learn: it fits the model
    in place and returns it, replacing the spec it holds by the fitted one and dropping
    every compiled engine object built from the old spec. :meth:`copy` gives the
    functional form (``fitted = model.copy().fit(data)`` leaves ``model`` as it was).
    """

    default_backend = ""
    backends: tuple[str, ...] = ()

    def __init__(self, spec: ModelSpec, backend: str | None = None):
        from pgmkit.errors import UnsupportedError

        self.spec = check(spec)
        if backend is not None and backend not in self.backends:
            raise UnsupportedError(f"{type(self).__name__} '{spec.name}' runs on "
                                   f"{list(self.backends)}; received backend='{backend}'")
        self.backend = backend or self.default_backend
        self._compiled: dict[str, Any] = {}
        self.history = None

    # -- engine cache -------------------------------------------------------------
    def compiled(self, key: str, build: Callable[[], Any]) -> Any:
        """The engine object for ``key``, built once per model."""
        if key not in self._compiled:
            self._compiled[key] = build()
        return self._compiled[key]

    # -- description --------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def variables(self) -> tuple[str, ...]:
        return self.spec.names

    def num_parameters(self) -> int:
        """Free parameters of the CPDs (a table of k states has k-1 per row)."""
        return self.spec.num_parameters()

    def describe(self) -> str:
        """A multi-line table of the variables, their states or shapes, parents and CPDs."""
        rows = []
        for v in self.spec.variables:
            dom = ("{" + ", ".join(v.states) + "}") if v.is_discrete else f"real{list(v.domain.shape)}"
            parents = ", ".join(str(p) for p in v.parents) or "-"
            kind = v.cpd.kind if v.cpd is not None else "(to learn)"
            rows.append((v.name + (" (latent)" if v.latent else ""), dom, parents, kind))
        widths = [max(len(r[i]) for r in rows + [("variable", "domain", "parents", "cpd")])
                  for i in range(4)]
        head = ("variable", "domain", "parents", "cpd")
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}('{self.spec.name}', {len(self.spec)} variables, "
                f"{self.num_parameters()} free parameters)")

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.spec == other.spec

    __hash__ = None

    # -- persistence --------------------------------------------------------------
    def save(self, path: str | os.PathLike, fmt: str | None = None) -> Path:
        """Write the spec (with its CPDs) to YAML, JSON, BIF or XMLBIF by extension."""
        from pgmkit.io.files import write_spec

        return write_spec(self.spec, path, fmt)

    def copy(self) -> "Model":
        """A model of the same class and backend around the same (immutable) spec.

        Fitting the copy leaves this model untouched: the functional form of ``fit``.

        Examples
        --------
        >>> import pgmkit
        >>> truth = pgmkit.example("alarm")
        >>> fitted = truth.copy().fit(truth.sample(2000, seed=0))
        >>> fitted is not truth and fitted.spec != truth.spec
        True
        """
        out = type(self)(self.spec, backend=self.backend)
        out.history = self.history
        return out

    def _refit(self, spec: ModelSpec, history=None) -> "Model":
        """Hold the fitted ``spec`` from now on and return ``self`` (what ``fit`` returns).

        The spec is replaced, never mutated, so a spec shared with another model or a
        cache stays as it was; compiled engine objects of the old spec are dropped.
        """
        self.spec = check(spec)
        self._compiled.clear()
        self.history = history
        return self
