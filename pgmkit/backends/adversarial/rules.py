"""What the adversarial engine runs: implicit CPDs (generators, and encoders as guides)
with fixed normal or table priors for the noise, trained against critics."""
from __future__ import annotations

from pgmkit.backends.contract import Engine, Operation

_HERE = "pgmkit.backends.adversarial"

ENGINE = Engine(
    name="adversarial",
    summary="torch: implicit CPDs trained against critics (GAN, WGAN-GP, cGAN, InfoGAN, "
            "BiGAN, CycleGAN)",
    compile={
        "implicit": f"{_HERE}.compile:implicit_network",
        "normal": f"{_HERE}.compile:noise_prior",
        "table": f"{_HERE}.compile:noise_prior",
    },
    operations={
        "fit_adversarial": Operation(f"{_HERE}.learn:train", needs=("static", "adversarial")),
    },
)
