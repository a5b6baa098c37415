"""pgmkit: one modeling language for classical and neural generative models.

A model is a graph of variables with conditional distributions, written in Python or
YAML, compiled to the engine that does each job best (pgmpy, pomegranate, Pyro, or a
batched tensor contraction). Engines are imported only when a model needs them.

Examples
--------
>>> import pgmkit
>>> bn = pgmkit.example("alarm")
>>> print(bn.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"}))  # doctest: +SKIP
"""
from __future__ import annotations

import importlib
import logging

from pgmkit.errors import (CostError, DataError, EvidenceError, PgmkitError, SpecError,
                           UnsupportedError)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "load": "pgmkit.api", "example": "pgmkit.api", "model": "pgmkit.api", "wrap": "pgmkit.api",
    "example_spec": "pgmkit.api",
    "BayesNet": "pgmkit.bayesnet", "DynamicBayesNet": "pgmkit.temporal.dynamic",
    "MixtureModel": "pgmkit.mixture", "DeepModel": "pgmkit.deep",
    "ModelSpec": "pgmkit.spec.model", "Variable": "pgmkit.spec.model",
    "Discrete": "pgmkit.spec.model", "Real": "pgmkit.spec.model",
    "ParentRef": "pgmkit.spec.model", "TableCPD": "pgmkit.spec.cpd",
    "NormalCPD": "pgmkit.spec.cpd", "LinearGaussianCPD": "pgmkit.spec.cpd",
    "NeuralCPD": "pgmkit.spec.cpd", "build_spec": "pgmkit.spec.build",
    "Distribution": "pgmkit.results", "Assignment": "pgmkit.results",
    "learn_structure": "pgmkit.learn.structure",
    "structural_hamming_distance": "pgmkit.learn.structure",
    "from_pgmpy": "pgmkit.interop", "from_networkx": "pgmkit.interop",
}

__all__ = ["PgmkitError", "SpecError", "EvidenceError", "DataError", "UnsupportedError",
           "CostError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pgmkit' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
