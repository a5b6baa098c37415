"""What the pgmpy backend runs: table CPDs of static networks, by pgmpy's variable
elimination, samplers and estimators."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.pgmpy"
_BN = ("static", "discrete")

ENGINE = Engine(
    name="pgmpy",
    summary="pgmpy: variable elimination, forward/rejection/likelihood-weighted sampling, "
            "maximum-likelihood and Bayesian estimators",
    compile={"table": f"{_HERE}.compile:tabular_cpd"},
    operations={
        "query": Operation(f"{_HERE}.infer:query", needs=_BN),
        "probability": Operation(f"{_HERE}.infer:probability", needs=_BN),
        "map": Operation(f"{_HERE}.infer:map_assignment", needs=_BN),
        "sample": Operation(f"{_HERE}.sample:sample", needs=_BN),
        "log_likelihood": Operation(f"{_HERE}.infer:log_likelihood", needs=_BN),
        "query_batch": Operation(f"{_HERE}.infer:query_rows", needs=_BN),
        "fit": Operation(f"{_HERE}.learn:fit", needs=_BN),
        "export": Operation(f"{_HERE}.compile:export", needs=_BN),
    },
)
