"""What every model facade shares: the spec, saving, describing, the engine cache."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from pgmkit.spec.model import ModelSpec
from pgmkit.spec.validate import check


class Model:
    """Base of :class:`BayesNet`, :class:`DynamicBayesNet`, :class:`MixtureModel` and
    :class:`DeepModel`.

    Holds an immutable, validated spec. ``fit`` follows scikit-learn: it fits the model
    in place and returns it, replacing the spec it holds by the fitted one and dropping
    every compiled engine object built from the old spec. :meth:`copy` gives the
    functional form (``fitted = model.copy().fit(data)`` leaves ``model`` as it was).

    Every operation runs on an engine chosen by the backend contract
    (:mod:`pgmkit.backends.contract`): the ``backend`` given to the method, else the one
    given to the model, else the first engine of :data:`pgmkit.api.PREFERENCE` that
    supports the operation on this spec. A named backend that cannot run an operation
    raises ``UnsupportedError`` naming the operation, the CPD kind and the backends that can.
    """

    #: The operation that defines the class: the model's backend must support it.
    operation = ""

    def __init__(self, spec: ModelSpec, backend: str | None = None):
        from pgmkit.api import preference
        from pgmkit.backends.contract import choose

        self.spec = check(spec)
        self._explicit = backend is not None
        # With no backend named, ``backend`` reports the engine of the defining operation.
        self.backend = choose(self.spec, self.operation, backend,
                              preference(self.operation)).name
        self._compiled: dict[str, Any] = {}
        self.history = None

    def engine(self, operation: str, backend: str | None = None):
        """The :class:`~pgmkit.backends.contract.Engine` that runs ``operation`` here."""
        from pgmkit.api import preference
        from pgmkit.backends.contract import choose

        if backend is None and self._explicit:
            backend = self.backend
        return choose(self.spec, operation, backend, preference(operation))

    def run(self, operation: str, *args, backend: str | None = None, **kwargs):
        """Call the implementation of ``operation`` on the chosen engine."""
        return self.engine(operation, backend).implementation(operation)(self, *args, **kwargs)

    # -- exports to the engines' own objects ----------------------------------------
    def to_pgmpy(self):
        """A pgmpy ``DiscreteBayesianNetwork`` with this model's CPDs (numbers as written).

        Examples
        --------
        >>> import pgmkit
        >>> sorted(pgmkit.example("sprinkler").to_pgmpy().nodes())[:2]  # doctest: +SKIP
        ['Cloudy', 'Rain']
        """
        return self.run("export", backend="pgmpy")

    def to_pomegranate(self):
        """A pomegranate ``DenseHMM`` equal to this model (an HMM/DBN whose observed
        variables are discrete leaves of the product state)."""
        return self.run("export", backend="forward_backward")

    def to_pyro(self):
        """``(model, guide)``: the Pyro callables of the compiled program, each called as
        ``fn(data, n)`` with ``data`` mapping observed variable names to tensors."""
        return self.run("export", backend="pyro")

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

    # -- pictures and tables ------------------------------------------------------
    def cpd(self, variable: str):
        """``variable``'s table CPD as a labelled DataFrame (rows: parent states; columns:
        its states). See :func:`pgmkit.labelled.cpd_frame`."""
        from pgmkit.labelled import cpd_frame

        return cpd_frame(self.spec, variable)

    def to_networkx(self):
        """The graph as a ``networkx.DiGraph`` (see :func:`pgmkit.interop.to_networkx`)."""
        from pgmkit.interop import to_networkx

        return to_networkx(self)

    def draw(self, path: str | os.PathLike) -> Path:
        """Draw the graph to ``path``: PNG, SVG or PDF by extension (latent nodes shaded;
        a temporal model as its 2-slice template)."""
        from pgmkit.draw import draw_model

        return draw_model(self, path)

    def plot_cpt(self, variable: str, path: str | os.PathLike) -> Path:
        """A heat map of ``variable``'s table CPD (PNG, SVG or PDF by extension)."""
        from pgmkit.draw import cpt_heatmap

        return cpt_heatmap(self, variable, path)

    def _repr_html_(self) -> str:
        """Notebooks: the variable table, and the graph as SVG for models up to 60 nodes."""
        import html

        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t"))
                       + "</tr>" for line in self._describe_rows())
        head = (f"<p><b>{html.escape(repr(self))}</b></p><table><tr><th>variable</th>"
                "<th>domain</th><th>parents</th><th>cpd</th></tr>")
        picture = ""
        if len(self.spec) <= 60:
            from pgmkit.draw import svg_text

            svg = svg_text(self)
            picture = svg[svg.find("<svg"):]
        return head + rows + "</table>" + picture

    def _describe_rows(self) -> list[str]:
        out = []
        for v in self.spec.variables:
            dom = ("{" + ", ".join(v.states) + "}") if v.is_discrete else f"real{list(v.domain.shape)}"
            out.append("\t".join((v.name + (" (latent)" if v.latent else ""), dom,
                                   ", ".join(str(p) for p in v.parents) or "-",
                                   v.cpd.kind if v.cpd is not None else "(to learn)")))
        return out

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
        out = type(self)(self.spec, backend=self.backend if self._explicit else None)
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
