"""A Python session that touches a discrete network shows none of pgmpy's deprecation
notices, and the user's own warnings still show (the filter is scoped, not global)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SESSION = """
import warnings
import pgmkit
bn = pgmkit.example("asia")                       # BIF read through pgmpy
print(bn.query("lung", {"smoke": "yes"})["yes"])  # compiled and queried by pgmpy
bn.fit(bn.sample(200, seed=0))
bn.save(%r)
warnings.warn("the user's own notice", FutureWarning)
"""


def test_no_pgmpy_future_warning_in_a_session(tmp_path):
    code = SESSION % str(tmp_path / "asia.bif")
    out = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "pgmpy" not in out.stderr and "StructureScore" not in out.stderr
    assert "the user's own notice" in out.stderr
