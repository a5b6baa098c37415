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
        "fit_neural_sequences": Operation(f"{_HERE}.compile:TemporalNet", needs=("temporal",),
                                          check=f"{_HERE}.rules:hidden_problem"),
    },
)


def hidden_problem(spec) -> str | None:
    """Why the spec's hidden variables are out of this engine's reach (``None`` if not):
    it sums out one discrete chain, or carries one recurrent state, not both."""
    chains = [v for v in spec.variables if v.latent and v.is_discrete]
    states = [v for v in spec.variables if v.latent and not v.is_discrete]
    if len(chains) > 1:
        return (f"the neural temporal engine sums out one discrete hidden chain; found "
                f"{[v.name for v in chains]} (merge them into one variable of joint states)")
    if len(states) > 1 or (states and getattr(states[0].cpd, "kind", None) != "recurrent"):
        bad = [v.name for v in states if getattr(v.cpd, "kind", None) != "recurrent"]
        return (f"real latent variable(s) {bad or [v.name for v in states]}: the neural "
                "temporal engine runs one recurrent state ({recurrent: {cell: lstm}}) and no "
                "other real latent")
    if chains and states:
        return ("a discrete hidden chain and a recurrent state together are not supported; "
                "use one or the other")
    return None
