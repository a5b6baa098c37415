"""Pictures of models and their answers: the graph, CPT heat maps, posteriors over time.

Drawn with networkx and matplotlib (no graphviz binary): latent variables are shaded,
a temporal model is drawn as its 2-slice template (slice t-1 on the left, dashed edges
across slices). The format follows the file's extension (``.png``, ``.svg``, ``.pdf``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from pgmkit.errors import DataError, EvidenceError, UnsupportedError, did_you_mean

FORMATS = (".png", ".svg", ".pdf")
LATENT, OBSERVED = "#b9c3cf", "#ffffff"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _target(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise DataError(f"cannot tell the image format of '{path}': give a name ending in "
                        f"{', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _save(fig, path: Path) -> Path:
    plt = _pyplot()
    tmp = path.with_name(path.name + ".tmp" + path.suffix)
    fig.savefig(tmp, dpi=110, bbox_inches="tight", format=path.suffix[1:].lower())
    plt.close(fig)
    os.replace(tmp, path)
    return path


def graph_positions(graph) -> dict:
    """Layered positions, parents above children. A 2-slice template is two columns:
    slice t-1 on the left, slice t on the right, each variable on its own row."""
    import networkx as nx

    now = [n for n in graph if graph.nodes[n].get("slice", "t") == "t"]
    intra = graph.subgraph(now).copy()
    intra.remove_edges_from([e for e in intra.edges if graph.edges[e].get("lag")])
    if len(now) < len(graph) or graph.graph.get("temporal"):
        rows = {n: -i for i, n in enumerate(nx.topological_sort(intra))}
        pos = {n: (2.0, rows[n]) for n in now}
        pos.update({n: (0.0, rows[graph.nodes[n]["copy_of"]]) for n in graph if n not in pos})
        return pos
    pos = {}
    for depth, layer in enumerate(nx.topological_generations(intra)):
        layer = sorted(layer, key=list(graph).index)
        for i, n in enumerate(layer):
            pos[n] = (i - (len(layer) - 1) / 2, -depth)
    return pos


def draw_model(model, path: str | os.PathLike, title: str | None = None) -> Path:
    """Write the model's graph to ``path`` (PNG, SVG or PDF by extension).

    Examples
    --------
    >>> import pgmkit, tempfile
    >>> pgmkit.example("asia").draw(tempfile.mkdtemp() + "/asia.svg").suffix
    '.svg'
    """
    import networkx as nx

    from pgmkit.interop import to_networkx

    target = _target(path)
    graph = to_networkx(model)
    pos = graph_positions(graph)
    plt = _pyplot()
    xs = [x for x, _ in pos.values()]
    width = max(4.0, 1.6 * (max(xs) - min(xs) + 1))
    height = max(2.5, 1.3 * (1 - min(y for _, y in pos.values())))
    fig, ax = plt.subplots(figsize=(min(width, 40), min(height, 30)))
    colors = [LATENT if graph.nodes[n]["latent"] else OBSERVED for n in graph]
    longest = max(len(str(n)) for n in graph)
    size = int(min(4000, max(1600, 190 * longest)))        # a node wide enough for its name
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colors, edgecolors="#333333",
                           node_size=size, linewidths=1.2)
    nx.draw_networkx_labels(graph, pos, ax=ax, font_size=7 if longest > 8 else 8)
    same = [e for e in graph.edges if not graph.edges[e].get("lag")]
    across = [e for e in graph.edges if graph.edges[e].get("lag")]
    temporal = bool(across) or graph.graph.get("temporal")
    # in a template's column, intra-slice edges bend so they pass beside the nodes between
    for edges, style, bend in ((same, "solid", 0.35 if temporal else 0.0),
                               (across, "dashed", 0.0)):
        if edges:
            nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, style=style, node_size=size,
                                   arrows=True, arrowsize=14, edge_color="#333333",
                                   connectionstyle=f"arc3,rad={bend}")
    spec = getattr(model, "spec", model)
    label = title or (f"{spec.name}: 2-slice template (t-1 | t)" if spec.temporal else spec.name)
    ax.set_title(label)
    ax.margins(0.22, 0.18)
    ax.axis("off")
    return _save(fig, target)


def svg_text(model) -> str:
    """The graph as inline SVG text (for notebooks)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return draw_model(model, Path(tmp) / "graph.svg").read_text()


def cpt_heatmap(model, variable: str, path: str | os.PathLike) -> Path:
    """A heat map of ``variable``'s table: one row per parent assignment, one column per state.

    Examples
    --------
    >>> import pgmkit, tempfile
    >>> pgmkit.example("alarm").plot_cpt("Alarm", tempfile.mkdtemp() + "/a.png").name
    'a.png'
    """
    from pgmkit.labelled import cpd_frame

    target = _target(path)
    frame = cpd_frame(getattr(model, "spec", model), variable)
    plt = _pyplot()
    rows = [", ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in frame.index]
    fig, ax = plt.subplots(figsize=(1.2 + 1.0 * frame.shape[1], 0.8 + 0.35 * len(rows)))
    image = ax.imshow(frame.to_numpy(), cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(frame.shape[1]), [str(c) for c in frame.columns])
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(variable)
    ax.set_ylabel(", ".join(frame.index.names) if frame.index.names[0] else "")
    if frame.size <= 400:
        for (i, j), p in np.ndenumerate(frame.to_numpy()):
            ax.text(j, i, f"{p:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if p > 0.6 else "black")
    fig.colorbar(image, ax=ax, fraction=0.05)
    ax.set_title(f"P({variable} | {', '.join(frame.index.names)})" if frame.index.names[0]
                 else f"P({variable})")
    return _save(fig, target)


def sequence_plot(posteriors, path: str | os.PathLike, *, order: str = "step",
                  viterbi=None, observed=None, title: str | None = None) -> Path:
    """Posterior probabilities over time for one sequence, with the Viterbi path and the
    observations beneath.

    ``posteriors`` is one sequence's rows of a ``filter``/``smooth`` answer (columns
    ``P(var=state)``); ``viterbi`` the matching rows of a ``viterbi`` answer; ``observed``
    a Series of the observed values to print along the time axis.
    """
    target = _target(path)
    cols = [c for c in posteriors.columns if str(c).startswith("P(")]
    if not cols:
        raise DataError("no posterior columns P(var=state) to plot: pass filter() or smooth() "
                        "output")
    x = posteriors[order].to_numpy() if order in posteriors.columns else np.arange(len(posteriors))
    latents = list(dict.fromkeys(c[2:].split("=")[0] for c in cols))
    plt = _pyplot()
    panels = len(latents) + (1 if viterbi is not None else 0)
    fig, axes = plt.subplots(panels, 1, figsize=(8, 2.2 * panels), sharex=True, squeeze=False)
    for ax, var in zip(axes[:, 0], latents):
        for c in [c for c in cols if c.startswith(f"P({var}=")]:
            ax.plot(x, posteriors[c].to_numpy(), marker="o", markersize=3,
                    label=c[len(var) + 3:-1])
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(f"P({var})")
        ax.legend(loc="upper left", fontsize=7, title=var, title_fontsize=7, ncol=4)
    if viterbi is not None:
        ax = axes[-1, 0]
        for var in [v for v in latents if v in viterbi.columns]:
            states = [c[len(var) + 3:-1] for c in cols if c.startswith(f"P({var}=")]
            ax.step(x, [states.index(s) for s in viterbi[var]], where="mid", label=var)
            ax.set_yticks(range(len(states)), [str(s) for s in states])
        ax.set_ylabel("Viterbi path")
        ax.legend(loc="upper left", fontsize=7)
    if observed is not None:
        bottom = axes[-1, 0]
        bottom.set_xticks(x, [f"{t}\n{o}" for t, o in zip(x, observed)], fontsize=7)
    axes[-1, 0].set_xlabel(order if observed is None else f"{order} / observed")
    fig.suptitle(title or "posterior over time")
    fig.tight_layout()
    return _save(fig, target)


def plot_sequence(model, logs, path: str | os.PathLike, sequence_id=None, *,
                  sequence: str = "sequence", order: str = "step", how: str = "smooth",
                  groupby: str | None = None) -> Path:
    """Filter or smooth one sequence of ``logs`` with ``model`` and draw it (with Viterbi)."""
    from pgmkit.data.sequences import read_logs

    if how not in ("smooth", "filter"):
        raise UnsupportedError(f"how='{how}': expected 'smooth' or 'filter'")
    logs = read_logs(logs, order)
    if sequence not in logs.columns:
        raise DataError(f"the logs have no column '{sequence}'"
                        f"{did_you_mean(sequence, [str(c) for c in logs.columns])}")
    ids = list(dict.fromkeys(logs[sequence]))
    if sequence_id is None:
        sequence_id = ids[0]
    if sequence_id not in ids:
        raise EvidenceError(f"no sequence '{sequence_id}' in column '{sequence}'"
                            f"{did_you_mean(str(sequence_id), [str(i) for i in ids])}")
    part = logs[logs[sequence] == sequence_id]
    post = getattr(model, how)(part, sequence=sequence, order=order, groupby=groupby)
    path_ = model.viterbi(part, sequence=sequence, order=order, groupby=groupby)
    observed_vars = [v for v in model.spec.observed_names if v in part.columns]
    observed = part[observed_vars[0]].to_numpy() if observed_vars else None
    post, path_ = post.sort_values(order), path_.sort_values(order)
    if observed is not None:
        observed = part.sort_values(order)[observed_vars[0]].to_numpy()
    return sequence_plot(post, path, order=order, viterbi=path_, observed=observed,
                         title=f"{model.spec.name}: {how}ed posterior of sequence {sequence_id}")
