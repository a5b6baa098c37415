"""What the autoregressive engine runs: one variable with an ``autoregressive`` CPD (its
parents, whatever their own CPDs, are conditioned on), trained and evaluated by exact
likelihood in torch."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.autoregressive"

ENGINE = Engine(
    name="autoregressive",
    summary="torch: FVSBN, NADE, MADE, PixelCNN with exact log-likelihood, sampling, completion",
    compile={
        "autoregressive": f"{_HERE}.compile:network_rule",
        "table": f"{_HERE}.compile:parent_rule",
        "normal": f"{_HERE}.compile:parent_rule",
    },
    operations={
        "fit_exact": Operation(f"{_HERE}.compile:Autoregressive", needs=("static", "autoregressive")),
    },
)
