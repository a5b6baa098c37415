"""Run by tests/distributed/test_torchrun.py under ``torchrun --nproc_per_node=2``.

Every rank fits the same model on the full data with ``distributed=True``; rank 0 saves
the fitted model, and every rank writes its learned means to ``OUT/rank-R.npy`` so the
test can check that the ranks agree.
"""
from __future__ import annotations

import os
import sys

import numpy as np


def main(out: str) -> None:
    import pgmkit
    from tests.distributed.test_torchrun import data, fit

    fitted = fit(pgmkit.example("gmm_svi", backend="pyro"), data(), distributed=True,
                 checkpoint_dir=os.path.join(out, f"ckpt-{os.environ['RANK']}"))
    fitted.save(os.path.join(out, f"model-{os.environ['RANK']}"))
    np.save(os.path.join(out, f"rank-{os.environ['RANK']}.npy"),
            np.asarray(fitted.spec["x"].cpd.loc, dtype=float))
    np.save(os.path.join(out, f"elbo-{os.environ['RANK']}.npy"),
            np.asarray(fitted.history.log_likelihood))


if __name__ == "__main__":
    main(sys.argv[1])
