"""Entry points: read a model, pick its facade class, find the bundled examples."""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Mapping

from pgmkit.errors import SpecError, did_you_mean, format_choices
from pgmkit.spec.build import build_spec
from pgmkit.spec.cpd import NormalCPD
from pgmkit.spec.model import ModelSpec

MODELS_DIR = Path(__file__).resolve().parent / "models"
BNLEARN_PREFIX = "bnlearn:"


def facade_for(spec: ModelSpec, backend: str | None = None):
    """The facade class for a spec: what it contains picks the engine.

    temporal -> DynamicBayesNet (pomegranate); all discrete -> BayesNet (pgmpy);
    discrete latents with Gaussian children and nothing neural -> MixtureModel
    (pomegranate EM); anything neural or with a real latent -> DeepModel (Pyro).
    ``backend='pyro'`` on a static spec always gives a DeepModel.
    """
    if spec.temporal:
        from pgmkit.temporal.dynamic import DynamicBayesNet

        return DynamicBayesNet
    if backend == "pyro":
        from pgmkit.deep import DeepModel

        return DeepModel
    if spec.is_discrete and not spec.has_neural:
        from pgmkit.bayesnet import BayesNet

        return BayesNet
    real_latent = any(v.latent and not v.is_discrete for v in spec.variables)
    gaussian_only = all(v.is_discrete or isinstance(v.cpd, NormalCPD) or v.cpd is None
                        for v in spec.variables)
    if not spec.has_neural and not real_latent and gaussian_only:
        from pgmkit.mixture import MixtureModel

        return MixtureModel
    from pgmkit.deep import DeepModel

    return DeepModel


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
        from pgmkit.deep import DeepModel

        return DeepModel.load_dir(path)
    return wrap(read_spec(path, fmt), backend)


def model(definition: Mapping[str, Any] | ModelSpec, backend: str | None = None):
    """Build a model from a Python mapping in the YAML language (or from a spec).

    Examples
    --------
    >>> import pgmkit
    >>> m = pgmkit.model({"name": "coin", "variables": {
    ...     "Coin": {"states": ["heads", "tails"], "cpd": [0.3, 0.7]}}})
    >>> m.query("Coin")["tails"]
    0.7
    """
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
