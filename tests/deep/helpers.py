"""Model definitions and data shared by the deep tests."""
from __future__ import annotations

import numpy as np


def tiny_vae(beta: float = 1.0, z: int = 2, hidden: int = 16) -> dict:
    """A VAE definition small enough to train in well under a second per epoch."""
    latent = {"real": [z], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}}
    if beta != 1.0:
        latent["beta"] = beta
    return {"name": "tiny_vae", "variables": {
        "z": latent,
        "x": {"real": [64], "parents": ["z"],
              "cpd": {"neural": {"family": "bernoulli", "hidden": [hidden],
                                 "activation": "softplus"}}}},
        "guide": {"z": {"neural": {"given": ["x"], "family": "normal", "hidden": [hidden],
                                   "activation": "softplus"}}}}


def mixture_data(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    comp = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    means = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    return means[comp] + rng.normal(size=(n, 2)) * 0.5
