"""Sampling through pgmpy's ``BayesianModelSampling``: forward sampling, rejection
sampling for exact posterior samples, likelihood weighting."""
from __future__ import annotations

import warnings

import numpy as np


def sample(model, n: int, clamp: dict[str, int], seed: int | None, method: str = "rejection",
           p_evidence: float = 1.0) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """The contract's ``sample``: state codes per variable (and log-weights for
    ``method="likelihood"``). pgmpy draws from numpy's seeded generator."""
    from pgmkit.backends.pgmpy import pgmpy_module
    from pgmkit.backends.pgmpy.infer import _ve

    State = pgmpy_module("pgmpy.factors.discrete").State
    BayesianModelSampling = pgmpy_module("pgmpy.sampling").BayesianModelSampling

    spec = model.spec
    sampler = BayesianModelSampling(_ve(model).model)
    evidence = [State(k, spec[k].states[c]) for k, c in clamp.items()]
    seed = int(np.random.default_rng(seed).integers(2 ** 31)) if seed is None else seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not clamp:
            frame = sampler.forward_sample(size=n, seed=seed, show_progress=False)
        elif method == "likelihood":
            frame = sampler.likelihood_weighted_sample(evidence=evidence, size=n, seed=seed,
                                                       show_progress=False)
        else:
            frame = sampler.rejection_sample(evidence=evidence, size=n, seed=seed,
                                             show_progress=False)
    codes = {v: np.array([spec[v].index(s) for s in frame[v].astype(str)], dtype=np.int64)
             for v in spec.names}
    logw = None
    if clamp and method == "likelihood":
        with np.errstate(divide="ignore"):
            logw = np.log(frame["_weight"].to_numpy(dtype=float))
    return codes, logw
