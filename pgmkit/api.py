"""Entry points: read a model, pick its facade class, find the bundled examples."""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Mapping

from pgmkit.errors import SpecError, UnsupportedError, did_you_mean, format_choices
from pgmkit.spec.build import build_spec
from pgmkit.spec.model import ModelSpec

MODELS_DIR = Path(__file__).resolve().parent / "models"
BNLEARN_PREFIX = "bnlearn:"


#: Which engine runs an operation when the caller names none: the first engine of the
#: operation's row (``"*"`` for operations without one) whose ``supports(spec, operation)``
#: is true. Edit this table to change a default; nothing else encodes one. Engine names
#: are those of :func:`pgmkit.backends.contract.public_names`.
PREFERENCE: dict[str, tuple[str, ...]] = {
    "*": ("contraction", "pgmpy", "forward_backward", "pyro"),
    "map": ("contraction", "pgmpy", "pyro"),
    "sample": ("contraction", "pgmpy", "pyro"),
    "log_likelihood": ("contraction", "pgmpy", "pyro"),
    "query_batch": ("contraction", "pgmpy", "pyro"),
    "fit": ("contraction", "pgmpy"),
    "fit_exact": ("autoregressive",),
    "fit_neural_sequences": ("neural_temporal",),
    "fit_adversarial": ("adversarial",),
}

#: The model classes, in the order tried: a spec gets the first class whose defining
#: operation one of the class's engines supports on it (the named backend instead, when
#: the caller names one). A discrete network whose CPDs only Pyro runs (network weights
#: still to train) is a DeepModel by default: BayesNet is tried on the table engines.
CLASSES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("smooth", "pgmkit.temporal.dynamic:DynamicBayesNet", ("forward_backward",)),
    ("fit_neural_sequences", "pgmkit.temporal.neural:NeuralTemporalModel", ("neural_temporal",)),
    ("fit_exact", "pgmkit.autoregressive:AutoregressiveModel", ("autoregressive",)),
    ("fit_adversarial", "pgmkit.adversarial:AdversarialModel", ("adversarial",)),
    ("query", "pgmkit.bayesnet:BayesNet", ("pgmpy", "contraction")),
    ("fit_mixture", "pgmkit.mixture:MixtureModel", ("forward_backward",)),
    ("fit_svi", "pgmkit.deep:DeepModel", ("pyro",)),
)


def preference(operation: str) -> tuple[str, ...]:
    """The engines tried, in order, for ``operation`` (see :data:`PREFERENCE`)."""
    return PREFERENCE.get(operation, PREFERENCE["*"])


def facade_for(spec: ModelSpec, backend: str | None = None):
    """The facade class for a spec, read from :data:`CLASSES` and the engines' answers.

    A temporal spec gets :class:`DynamicBayesNet` (forward-backward); a discrete static
    network :class:`BayesNet` (``backend="pyro"`` keeps it a BayesNet, queried by exact
    enumeration); discrete latents with Gaussian leaves :class:`MixtureModel`;
    anything else Pyro runs (neural CPDs, real latents) :class:`DeepModel`.
    """
    from pgmkit.backends.contract import able, canonical, choose, engine, resolve

    named = canonical(backend)
    default = next(((op, path) for op, path, engines in CLASSES if able(spec, op, engines)),
                   None)
    if named and default and able(spec, default[0], (named,)):
        return resolve(default[1])     # a named backend keeps the class the spec gets
    for operation, path, engines in CLASSES:
        if able(spec, operation, (named,) if named else engines):
            return resolve(path)
    for operation, _, engines in CLASSES:  # a named backend: explain with the default class
        if named and able(spec, operation, engines):
            choose(spec, operation, named, preference(operation))
    reasons, fitting = [], []
    for operation, path, engines in CLASSES:
        for name in ((named,) if named else engines):
            eng = engine(name)
            if eng.has_operation(operation):
                structure = eng.structure_problem(spec, operation)
                why = f"{path.rpartition(':')[2]} on '{name}': {eng.problem(spec, operation)}"
                reasons.append(why)
                kinds_fit = set(spec.kinds()) <= set(eng.kinds(operation))
                if structure is None or (kinds_fit and
                                         eng.needs_problem(spec, operation) is None):
                    fitting.append(why)  # only a CPD kind, or only the layout, is missing
                break
    raise UnsupportedError(f"no engine runs model '{spec.name}'" +
                           (f" on backend '{named}'" if named else "") + ": " +
                           "; ".join(fitting or reasons))


def wrap(spec: ModelSpec, backend: str | None = None):
    """The facade object (BayesNet, DynamicBayesNet, MixtureModel or DeepModel) for ``spec``."""
    return facade_for(spec, backend)(spec, backend=backend)


def load(path: str | os.PathLike, backend: str | None = None, fmt: str | None = None):
    """Read a model from YAML, JSON, BIF or XMLBIF and return its facade object.

    A directory loads too: one saved by a deep model (``model.yaml`` plus weights), or
    the per-group models of a grouped temporal fit (``groups.yaml`` plus one YAML each).

    Examples
    --------
    >>> import pgmkit
    >>> bn = pgmkit.load(pgmkit.api.MODELS_DIR / "alarm.yaml")
    >>> round(bn.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})["yes"], 4)
    0.2842
    """
    from pgmkit.io.files import read_spec

    path = Path(path)
    if path.is_dir():
        from pgmkit.temporal.groups import INDEX_FILE

        if (path / INDEX_FILE).is_file():
            from pgmkit.temporal.groups import GroupedDynamicBayesNet

            return GroupedDynamicBayesNet.load(path)
        from pgmkit.deep import SPEC_FILE, DeepModel

        if (path / SPEC_FILE).is_file():      # the class the saved spec calls for
            cls = facade_for(read_spec(path / SPEC_FILE))
            if hasattr(cls, "load_dir"):
                return cls.load_dir(path)
        return DeepModel.load_dir(path)
    return wrap(read_spec(path, fmt), backend)


def model(definition: Mapping[str, Any] | ModelSpec, backend: str | None = None):
    """Build a model from a Python mapping in the YAML language, a spec, a pgmpy network
    (see :func:`pgmkit.from_pgmpy`) or a networkx DAG (see :func:`pgmkit.from_networkx`).

    Examples
    --------
    >>> import pgmkit
    >>> m = pgmkit.model({"name": "coin", "variables": {
    ...     "Coin": {"states": ["heads", "tails"], "cpd": [0.3, 0.7]}}})
    >>> m.query("Coin")["tails"]
    0.7
    """
    module = type(definition).__module__
    if module.startswith("pgmpy"):           # a pgmpy network: its graph, states and CPDs
        from pgmkit.interop import from_pgmpy

        return from_pgmpy(definition)
    if module.startswith("networkx"):
        from pgmkit.interop import from_networkx

        return from_networkx(definition)
    spec = definition if isinstance(definition, ModelSpec) else build_spec(definition)
    return wrap(spec, backend)


def zoo_names() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))


def bnlearn_names() -> list[str]:
    folder = _bnlearn_dir()
    return sorted(p.name.split(".")[0] for p in folder.glob("*.bif.gz")) if folder else []


def _bnlearn_dir() -> Path | None:
    import importlib.util

    found = importlib.util.find_spec("pgmpy")
    if not found or not found.origin:
        return None
    folder = Path(found.origin).parent / "utils" / "example_models"
    return folder if folder.is_dir() else None


@functools.lru_cache(maxsize=64)
def example_spec(name: str) -> ModelSpec:
    """The spec of a bundled model: the YAML zoo first, then pgmpy's bnlearn networks.

    ``bnlearn:alarm`` names the 37-node bnlearn network explicitly (plain ``alarm`` is
    the zoo's 5-node burglary alarm).
    """
    from pgmkit.io.files import read_spec

    if not name.startswith(BNLEARN_PREFIX):
        path = MODELS_DIR / f"{name}.yaml"
        if path.is_file():
            return read_spec(path)
    bare = name.removeprefix(BNLEARN_PREFIX)
    folder = _bnlearn_dir()
    if folder and (folder / f"{bare}.bif.gz").is_file():
        return read_spec(folder / f"{bare}.bif.gz").replace(name=bare)
    choices = zoo_names() + [BNLEARN_PREFIX + n for n in bnlearn_names()]
    raise SpecError(f"no example model '{name}'{did_you_mean(name, choices)}; available: "
                    f"{format_choices(choices, 60)}")


def example(name: str, backend: str | None = None):
    """Load a bundled model by name (see :func:`example_spec`).

    Examples
    --------
    >>> import pgmkit
    >>> pgmkit.example("asia").variables[:3]
    ('asia', 'tub', 'smoke')
    """
    return wrap(example_spec(name), backend)
