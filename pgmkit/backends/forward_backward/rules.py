"""What pgmkit's forward-backward engine runs: tables and Gaussian leaves laid out as one
hidden Markov model over the product of the state variables (temporal models, and static
discrete-latent mixtures as sequences of one slice)."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.forward_backward"
_HMM = ("discrete_latents", "real_leaves")

ENGINE = Engine(
    name="forward_backward",
    aliases=("pomegranate",),
    summary="pgmkit's batched forward-backward in torch (ragged sequences, per-group "
            "parameters); pomegranate's DenseHMM as export target",
    compile={"table": f"{_HERE}.compile:table_role", "normal": f"{_HERE}.compile:normal_role"},
    operations={
        "smooth": Operation(f"{_HERE}.infer:state_posterior", needs=("temporal",) + _HMM),
        "fit_sequences": Operation(f"{_HERE}.learn:run_em", needs=("temporal",) + _HMM),
        "fit_mixture": Operation(f"{_HERE}.learn:run_em", needs=("static", "latent") + _HMM),
        "export": Operation(f"{_HERE}.compile:export", needs=("temporal",) + _HMM,
                            kinds=("table",)),
    },
)
