"""Sampling a discrete network by the numpy kernels: ancestral draws, rejection for exact
posterior samples, clamping for likelihood weighting."""
from __future__ import annotations

import numpy as np

from pgmkit.backends.numpy.ancestral import forward
from pgmkit.errors import EvidenceError
from pgmkit.spec.model import ModelSpec


def sample(model, n: int, clamp: dict[str, int], seed: int | None, method: str = "rejection",
           p_evidence: float = 1.0) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """``n`` joint samples as state codes; log-weights for ``method="likelihood"``.

    ``clamp`` maps observed variables to state codes; ``p_evidence`` is P(clamp), which
    sizes the rejection batches.
    """
    rng = np.random.default_rng(seed)
    if not clamp:
        return forward(model.spec, n, rng)[0], None
    if method == "likelihood":
        return forward(model.spec, n, rng, clamp)
    return rejection(model.spec, n, clamp, p_evidence, rng), None


def rejection(spec: ModelSpec, n: int, clamp: dict[str, int], p: float,
              rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Exact posterior samples: ancestral draws kept where they match ``clamp``."""
    if n / p > 5e8:
        raise EvidenceError(f"the evidence has probability {p:.3g}: rejection sampling would "
                            "need too many draws; use method='likelihood'")
    kept, have = [], 0
    batch = int(min(max(2 * n / p, 1024), 2_000_000))
    while have < n:
        codes, _ = forward(spec, batch, rng)
        ok = np.all([codes[k] == v for k, v in clamp.items()], axis=0)
        if ok.any():
            kept.append({k: c[ok] for k, c in codes.items()})
            have += int(ok.sum())
    return {k: np.concatenate([b[k] for b in kept])[:n] for k in spec.names}
