"""What the neural temporal engine runs: temporal specs whose observed variables take
``neural`` (or ``table``) CPDs, with at most one discrete hidden chain (``table``,
summed out by the forward algorithm) or one ``recurrent`` state, trained by exact
likelihood in torch."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.neural_temporal"

ENGINE = Engine(
    name="neural_temporal",
    summary="torch: HMMs with neural emissions and GRU/LSTM models on long-format logs "
            "(exact forward algorithm, ragged packed batches)",
    compile={
        "table": f"{_HERE}.compile:table_rule",
        "neural": f"{_HERE}.compile:neural_rule",
        "recurrent": f"{_HERE}.compile:recurrent_rule",
    },
    operations={
        "fit_neural_sequences": Operation(f"{_HERE}.compile:TemporalNet", needs=("temporal",)),
    },
)
