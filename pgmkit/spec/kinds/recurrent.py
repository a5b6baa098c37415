"""The ``recurrent`` CPD kind: a deterministic GRU/LSTM state in a temporal model.

A latent real variable ``s`` with parents ``s[t-1]`` and some observed variables (lagged
or not) carries ``s_t = cell(s_{t-1}, inputs_t)``, its size being the variable's
``real`` shape. Observed variables that take ``s`` as a parent read the history through
it: deep knowledge tracing is ``knowledge_t = LSTM(knowledge_{t-1}, skill_{t-1},
correct_{t-1})`` and ``correct_t | knowledge_t, skill_t``. In the first slice the
previous state is zero and the lagged inputs are absent (zero, with a flag set).

Examples
--------
>>> from pgmkit.spec.build import build_spec
>>> spec = build_spec({"name": "rnn", "temporal": True, "variables": {
...     "y": {"states": ["0", "1"], "parents": ["s"],
...           "cpd": {"neural": {"family": "categorical"}}},
...     "s": {"real": [4], "latent": True, "parents": ["s[t-1]", "y[t-1]"],
...           "cpd": {"recurrent": {"cell": "gru"}}}}})
>>> spec["s"].cpd.cell
'gru'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from pgmkit.errors import did_you_mean
from pgmkit.spec.kinds.base import CPD, CPDKind
from pgmkit.spec.reading import Collector, whole_numbers
from pgmkit.spec.yaml_io import line_of

CELLS = ("lstm", "gru")
KEYS = ("cell", "layers", "cross")


@dataclass(frozen=True)
class RecurrentCPD(CPD):
    """``s_t = cell(s_{t-1}, inputs_t)`` with ``layers`` stacked cells.

    ``cross`` encodes the discrete inputs jointly (one-hot of their product of states,
    e.g. skill x correctness as in deep knowledge tracing) instead of side by side.
    """

    cell: str = "lstm"
    layers: int = 1
    cross: bool = False

    kind = "recurrent"

    def num_parameters(self) -> int | None:
        return None  # depends on the input sizes; the backend counts weights


def parse(var, body: Mapping, parents, col: Collector, line=None) -> RecurrentCPD:
    from pgmkit.spec.reading import boolean, unknown_keys

    vname = var.name
    unknown_keys(body, KEYS, "recurrent block", col, vname)
    layers = whole_numbers(body.get("layers", 1), "recurrent 'layers' must be a whole number",
                           col, vname, line_of(body, "layers")) or (1,)
    return RecurrentCPD(cell=str(body.get("cell", "lstm")), layers=int(layers[0]),
                        cross=boolean(body, "cross", False, col, vname))


def check(cpd: RecurrentCPD, var, parents, add, key: str, label: str = "") -> None:
    from pgmkit.spec.model import Real

    name = var.name

    def bad(message: str) -> None:
        add(message, name, key)

    if cpd.cell not in CELLS:
        bad(f"recurrent cell '{cpd.cell}' is unknown{did_you_mean(cpd.cell, CELLS)}; expected one "
            f"of {list(CELLS)}")
    if cpd.layers < 1:
        bad(f"recurrent 'layers' must be >= 1; received {cpd.layers}")
    if not any(p.lag for p, _ in parents):
        bad("a recurrent CPD carries a state through time: it needs 'temporal: true' and "
            f"its own past '{name}[t-1]' as a parent")
        return
    if not isinstance(var.domain, Real) or len(var.domain.shape) != 1:
        bad("a recurrent state is a real vector ('real: [100]', its size the number of units)")
        return
    if not var.latent:
        bad("a recurrent state is computed, not observed: add 'latent: true'")
    if not any(p.name == name and p.lag == 1 for p, _ in parents):
        bad(f"a recurrent state needs its own past as a parent: add '{name}[t-1]' to its parents")
    inputs = [(p, pv) for p, pv in parents if p.name != name]
    if not inputs:
        bad("a recurrent state needs at least one input besides its own past")
    for p, pv in inputs:
        if pv.latent:
            bad(f"recurrent input '{p}' is latent: a recurrent state reads observed variables")
        elif not pv.is_discrete and cpd.cross:
            bad(f"'cross: true' crosses discrete inputs; '{p}' is real")


def to_dict(cpd: RecurrentCPD, spec=None, var=None, parents=()) -> dict:
    out: dict = {"cell": cpd.cell}
    if cpd.layers != 1:
        out["layers"] = cpd.layers
    if cpd.cross:
        out["cross"] = True
    return {"recurrent": out}


KIND = CPDKind(
    name="recurrent", cls=RecurrentCPD, parse=parse, check=check, to_dict=to_dict,
    keys=("recurrent",), network=True,
    example={"name": "recurrent_example", "temporal": True, "variables": {
        "y": {"states": ["0", "1"], "parents": ["s"],
              "cpd": {"neural": {"family": "categorical"}}},
        "s": {"real": [4], "latent": True, "parents": ["s[t-1]", "y[t-1]"],
              "cpd": {"recurrent": {"cell": "gru"}}}}})
