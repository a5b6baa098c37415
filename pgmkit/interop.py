"""In and out of the objects other libraries use: pgmpy networks and networkx graphs.

``from_pgmpy`` reads a pgmpy ``DiscreteBayesianNetwork`` (states and tables included);
``to_networkx`` gives a model's graph with its states, latent flags and CPDs as node
attributes (a temporal model as its 2-slice template); ``from_networkx`` turns a DAG into
a network whose CPDs come from the graph, or from data when they are to be fitted.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from pgmkit.errors import DataError, SpecError, UnsupportedError, format_choices
from pgmkit.spec.model import ModelSpec

#: Name of slice t-1 copies of a variable in a temporal model's 2-slice template.
LAG_SUFFIX = "[t-1]"


def from_pgmpy(obj, name: str | None = None, states: Mapping[str, Sequence[str]] | None = None):
    """A :class:`BayesNet` from a pgmpy discrete Bayesian network.

    Every CPD's state names and numbers come across (tables are reordered to pgmkit's
    layout: parents first, the child's states last). A network without CPDs needs
    ``states`` and comes back unfitted: call ``fit(data)``.

    Examples
    --------
    >>> import numpy as np, pgmkit
    >>> from pgmkit.backends.pgmpy.compile import compile_model
    >>> bn = pgmkit.example("asia")
    >>> again = pgmkit.from_pgmpy(compile_model(bn.spec))
    >>> bool(np.allclose(again.spec["dysp"].cpd.table, bn.spec["dysp"].cpd.table))
    True
    """
    from pgmkit.api import wrap
    from pgmkit.spec.build import build_spec

    kind = type(obj).__name__
    if not (type(obj).__module__.startswith("pgmpy") and hasattr(obj, "get_cpds")
            and hasattr(obj, "edges")):
        raise UnsupportedError(f"from_pgmpy reads pgmpy Bayesian networks; received {kind}")
    if "Dynamic" in kind or "Markov" in kind or "Gaussian" in kind:
        raise UnsupportedError(f"from_pgmpy reads discrete static Bayesian networks; received "
                               f"{kind}")
    cpds = {cpd.variable: cpd for cpd in obj.get_cpds()}
    nodes = list(obj.nodes())
    missing = [n for n in nodes if n not in cpds and not (states and n in states)]
    if missing:
        raise SpecError(f"pgmpy network: node(s) {format_choices(missing)} have no CPD to read "
                        "states from; pass states={node: [...]} and fit the model to data")
    variables: dict[str, Any] = {}
    for node in nodes:
        parents = sorted(obj.get_parents(node), key=nodes.index)
        cpd = cpds.get(node)
        if cpd is None:
            variables[str(node)] = {"states": [str(s) for s in states[node]],
                                    "parents": [str(p) for p in parents]}
            continue
        if type(cpd).__name__ != "TabularCPD":
            raise UnsupportedError(f"pgmpy network: node '{node}' has a {type(cpd).__name__}; "
                                   "from_pgmpy reads TabularCPDs")
        evidence = list(cpd.variables[1:])
        table = np.moveaxis(np.asarray(cpd.get_values(), dtype=float).reshape(
            [cpd.cardinality[0], *cpd.cardinality[1:]]), 0, -1)
        variables[str(node)] = {
            "states": [str(s) for s in cpd.state_names[node]],
            "parents": [str(p) for p in evidence],
            "cpd": table.tolist()}
    label = name or getattr(obj, "name", None) or "pgmpy_network"
    return wrap(build_spec({"name": str(label), "variables": variables}))


def to_networkx(model) -> Any:
    """The model's graph as a ``networkx.DiGraph``.

    Node attributes: ``states`` (or ``shape`` for a real variable), ``latent``, ``cpd``
    (the CPD object, ``None`` when still to learn) and ``slice`` (``"t"``, or ``"t-1"`` for
    the previous-slice copies ``X[t-1]`` of a temporal model's 2-slice template, whose
    edges carry ``lag=1``).

    Examples
    --------
    >>> import pgmkit
    >>> g = pgmkit.example("bkt").to_networkx()
    >>> sorted(g.edges()), g.edges["mastery[t-1]", "mastery"]["lag"]
    ([('mastery', 'correct'), ('mastery[t-1]', 'mastery')], 1)
    """
    import networkx as nx

    spec: ModelSpec = getattr(model, "spec", model)
    g = nx.DiGraph(name=spec.name, temporal=spec.temporal, description=spec.description)
    for v in spec.variables:
        g.add_node(v.name, **_attrs(v), slice="t")
    for v in spec.variables:
        for p in v.parents:
            lag = int(getattr(p, "lag", 0) or 0)
            if lag:
                src = f"{p.name}{LAG_SUFFIX}" if lag == 1 else f"{p.name}[t-{lag}]"
                if src not in g:
                    g.add_node(src, **_attrs(spec[p.name]), slice=f"t-{lag}", copy_of=p.name)
                g.add_edge(src, v.name, lag=lag)
            else:
                g.add_edge(p.name, v.name, lag=0)
    return g


def _attrs(v) -> dict:
    out = {"latent": bool(v.latent), "cpd": v.cpd}
    if v.is_discrete:
        out["states"] = list(v.states)
    else:
        out["shape"] = list(v.domain.shape)
    return out


def from_networkx(graph, states: Mapping[str, Sequence[str]] | None = None, data=None,
                  name: str | None = None, **fit_options):
    """A :class:`BayesNet` on the DAG ``graph`` (edges parent -> child).

    States come from each node's ``states`` attribute, else ``states``, else the values
    of the node's column in ``data``. CPDs come from the nodes' ``cpd`` attributes; with
    ``data`` the model is fitted to it (``fit_options`` go to ``fit``). A node attribute
    ``latent=True`` marks a hidden variable (fit it with ``method="em"``).

    Examples
    --------
    >>> import networkx as nx, pgmkit
    >>> truth = pgmkit.example("asia")
    >>> g = nx.DiGraph(truth.to_networkx().edges())     # the bare graph, no attributes
    >>> bn = pgmkit.from_networkx(g, data=truth.sample(2000, seed=0))
    >>> sorted(bn.spec["dysp"].parent_names)
    ['bronc', 'either']
    """
    import networkx as nx

    from pgmkit.api import wrap
    from pgmkit.spec.build import build_spec

    if not isinstance(graph, nx.DiGraph):
        raise UnsupportedError(f"from_networkx takes a networkx DiGraph; received "
                               f"{type(graph).__name__}")
    if graph.graph.get("temporal") or any(graph.edges[e].get("lag") for e in graph.edges):
        raise UnsupportedError("from_networkx builds static networks; a temporal model's "
                               "2-slice graph goes back through its YAML spec")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " -> ".join(str(e[0]) for e in nx.find_cycle(graph))
        raise SpecError(f"the graph has a cycle ({cycle}): a Bayesian network needs a DAG")
    nodes = list(graph.nodes())
    variables: dict[str, Any] = {}
    for node in nodes:
        attrs = graph.nodes[node]
        node_states = attrs.get("states") or (states or {}).get(node)
        if node_states is None and data is not None and node in data.columns:
            node_states = _states_of(data[node], node)
        if node_states is None:
            raise SpecError(f"node '{node}' has no states: give a 'states' node attribute, "
                            "states={...}, or data with its column")
        entry: dict[str, Any] = {"states": [str(s) for s in node_states],
                                 "parents": [str(p) for p in graph.predecessors(node)]}
        if attrs.get("latent"):
            entry["latent"] = True
        cpd = attrs.get("cpd")
        if cpd is not None and data is None:
            entry["cpd"] = np.asarray(cpd.table).tolist()
        variables[str(node)] = entry
    definition = {"name": name or graph.graph.get("name") or "network", "variables": variables}
    if graph.graph.get("description"):
        definition["description"] = graph.graph["description"]
    model = wrap(build_spec(definition))
    if data is not None:
        model.fit(data, **fit_options)
    return model


def _states_of(column, node) -> list[str]:
    from pgmkit.data.states import state_text

    values = column.dropna().unique()
    text = sorted({state_text(v) for v in values})
    if not text or None in text:
        raise DataError(f"column '{node}' has no usable states (empty or boolean)")
    return text
