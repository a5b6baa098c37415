"""`pgmkit query MODEL Var --batch rows.csv -o out.csv` answers every row of a CSV."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import run_cli

from pgmkit.api import example_spec
from pgmkit.backends.contraction.infer import query_batch


def test_query_batch_from_csv(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("JohnCalls,MaryCalls\nyes,yes\nno,\n,yes\n")
    out = tmp_path / "out.csv"
    done = run_cli("query", "alarm", "Burglary", "--batch", rows, "-o", out)
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(out)
    assert got.loc[0, "P(Burglary=yes)"] == pytest.approx(0.284172, abs=1e-6)
    want = query_batch(example_spec("alarm"), ["Burglary"],
                       pd.DataFrame({"JohnCalls": ["yes", "no", None],
                                     "MaryCalls": ["yes", None, "yes"]}))
    np.testing.assert_allclose(got["P(Burglary=yes)"], want["P(Burglary=yes)"], atol=1e-12)
    np.testing.assert_allclose(got["log_evidence"], want["log_evidence"], atol=1e-12)


def test_query_batch_bad_state_is_one_line_error(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("JohnCalls\nyes\nperhaps\n")
    done = run_cli("query", "alarm", "Burglary", "--batch", rows)
    assert done.returncode == 2
    assert "perhaps" in done.stderr and "JohnCalls" in done.stderr
    assert "Traceback" not in done.stderr
