"""Sampling a discrete network through Pyro: ancestral draws of the model, exact
posterior draws by ``infer_discrete`` (temperature 1), and likelihood weighting."""
from __future__ import annotations

import numpy as np
import torch


def sample(model, n: int, clamp: dict[str, int], seed: int | None, method: str = "rejection",
           p_evidence: float = 1.0) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """The contract's ``sample``. With evidence, ``rejection`` (exact posterior samples) is
    done exactly without rejecting anything: forward-filter backward-sample over the
    enumerated variables."""
    import pyro.poutine as poutine
    from pyro.infer import infer_discrete

    from pgmkit.backends.pyro.exact import program

    prog, spec = program(model), model.spec
    data = {k: torch.full((n,), c, dtype=torch.long) for k, c in clamp.items()}
    seed = int(np.random.default_rng(seed).integers(2 ** 31)) if seed is None else int(seed)
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        if clamp and method != "likelihood":
            fn = infer_discrete(prog.model, first_available_dim=-2, temperature=1)
        else:
            fn = prog.model
        trace = poutine.trace(fn).get_trace(data, n, beta=False)
    codes = {v: trace.nodes[v]["value"].reshape(-1).long().numpy().astype(np.int64)
             for v in spec.names}
    codes = {v: np.broadcast_to(c, (n,)).copy() if c.size == 1 else c for v, c in codes.items()}
    if not (clamp and method == "likelihood"):
        return codes, None
    trace.compute_log_prob()
    logw = sum(trace.nodes[k]["log_prob"].double() for k in clamp).numpy()
    from pgmkit.backends.pyro.sites import LOG_ZERO

    logw = np.where(logw < LOG_ZERO / 2, -np.inf, logw)
    return codes, np.broadcast_to(logw, (n,)).copy()
