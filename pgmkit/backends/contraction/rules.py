"""What pgmkit's contraction engine runs: table CPDs of static networks, every row of
evidence at once. Sampling, the most probable explanation and counting borrow the
numpy kernels (``pgmkit.backends.numpy``)."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.contraction"
_KERNELS = "pgmkit.backends.numpy"
_BN = ("static", "discrete")

ENGINE = Engine(
    name="contraction",
    aliases=("batched",),
    summary="pgmkit's exact batched tensor contraction (numpy / opt_einsum)",
    compile={"table": f"{_HERE}.compile:table_factor"},
    operations={
        "query": Operation(f"{_HERE}.infer:query", needs=_BN),
        "probability": Operation(f"{_HERE}.infer:probability", needs=_BN),
        "map": Operation(f"{_HERE}.infer:map_assignment", needs=_BN),
        "sample": Operation(f"{_HERE}.sampling:sample", needs=_BN),
        "log_likelihood": Operation(f"{_HERE}.infer:log_likelihood", needs=_BN),
        "query_batch": Operation(f"{_HERE}.infer:query_rows", needs=_BN),
        "predict": Operation(f"{_HERE}.infer:predict_rows", needs=_BN),
        "fit": Operation(f"{_KERNELS}.estimate:fit", needs=_BN),
        "fit_em": Operation(f"{_HERE}.learn:fit_em_rows", needs=_BN),
    },
)
