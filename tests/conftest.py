"""Shared fixtures: small hand-checked models and helpers for brute-force enumeration."""
from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"


def brute_joint(spec) -> tuple[list[str], np.ndarray]:
    """The full joint table of a small discrete spec, by multiplying every CPD entry."""
    names = list(spec.names)
    cards = [spec[n].card for n in names]
    joint = np.ones(cards)
    for idx in itertools.product(*(range(c) for c in cards)):
        p = 1.0
        for v in spec.variables:
            key = tuple(idx[names.index(q.name)] for q in v.parents) + (idx[names.index(v.name)],)
            p *= v.cpd.table[key]
        joint[idx] = p
    return names, joint


def run_cli(*args: str, input_text: str | None = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess:
    """Run ``python -m pgmkit ARGS`` in a subprocess and capture its output."""
    return subprocess.run([sys.executable, "-m", "pgmkit", *map(str, args)], capture_output=True,
                          text=True, input=input_text, cwd=cwd or ROOT, timeout=600)


@pytest.fixture(scope="session")
def alarm():
    import pgmkit

    return pgmkit.example("alarm")
