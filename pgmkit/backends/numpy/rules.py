"""What the numpy kernels run: table CPDs only. Other engines borrow these operations
(the contraction engine samples, finds the MPE and fits by counting with them)."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.numpy"

ENGINE = Engine(
    name="numpy",
    summary="engine-free kernels: ancestral sampling, max-product, closed-form estimation",
    public=False,
    compile={"table": f"{_HERE}.rules:table_probabilities"},
    operations={
        "sample": Operation(f"{_HERE}.sample:sample", needs=("static", "discrete")),
        "map": Operation(f"{_HERE}.maxproduct:map_assignment", needs=("static", "discrete")),
        "log_likelihood": Operation(f"{_HERE}.ancestral:log_likelihood",
                                    needs=("static", "discrete")),
        "fit": Operation(f"{_HERE}.estimate:fit", needs=("static", "discrete")),
    },
)


def table_probabilities(cpd, spec, var):
    """The kernels index row-normalised tables directly."""
    return cpd.probabilities
