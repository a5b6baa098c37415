"""What the Pyro backend runs: every built-in CPD kind (one torch site class each), SVI
for deep models, and exact enumeration of discrete variables for Bayesian-network
queries."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.pyro"
_BN = ("static", "discrete")

ENGINE = Engine(
    name="pyro",
    summary="Pyro/torch: SVI with neural CPDs and amortized guides; exact enumeration",
    compile={
        "table": f"{_HERE}.compile:table_site",
        "normal": f"{_HERE}.compile:normal_site",
        "linear_gaussian": f"{_HERE}.compile:linear_gaussian_site",
        "neural": f"{_HERE}.compile:neural_site",
    },
    operations={
        "query": Operation(f"{_HERE}.exact:query", needs=_BN),
        "probability": Operation(f"{_HERE}.exact:probability", needs=_BN),
        "map": Operation(f"{_HERE}.exact:map_assignment", needs=_BN),
        "sample": Operation(f"{_HERE}.sample:sample", needs=_BN),
        "log_likelihood": Operation(f"{_HERE}.exact:log_likelihood", needs=_BN),
        "query_batch": Operation(f"{_HERE}.exact:query_rows", needs=_BN),
        "fit_svi": Operation(f"{_HERE}.learn:train", needs=("static",)),
        "export": Operation(f"{_HERE}.compile:export", needs=("static",)),
    },
    objectives={name: f"{_HERE}.objectives:{name}"
                for name in ("elbo", "beta_elbo", "iwae", "exact")},
)
