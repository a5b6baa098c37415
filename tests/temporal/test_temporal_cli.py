"""The temporal CLI through a subprocess: fit per group, queries to CSV, errors, demo."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pgmkit

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pgmkit.cli.main", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=300)


@pytest.fixture(scope="module")
def logs_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    logs = pgmkit.example("bkt").sample_sequences(60, 8, seed=2, sequence="student")
    logs["skill"] = np.where(logs["student"] % 2 == 0, "add", "sub")
    path = folder / "logs.csv"
    logs.drop(columns=["mastery"]).to_csv(path, index=False)
    return path


def test_fit_per_skill_then_predict_to_csv(logs_csv, tmp_path):
    out = cli("fit", ROOT / "models" / "bkt.yaml", logs_csv, "--sequence", "student", "--order",
              "step", "--groupby", "skill", "-o", tmp_path / "fitted", "--json")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "fitted" / "groups.yaml").is_file()
    res = cli("predict", tmp_path / "fitted", logs_csv, "--sequence", "student", "-o",
              tmp_path / "pred.csv")
    assert res.returncode == 0, res.stderr
    pred = pd.read_csv(tmp_path / "pred.csv")
    logs = pd.read_csv(logs_csv)
    assert len(pred) == len(logs) and (pred["student"] == logs["student"]).all()
    # the CLI answers exactly what the Python API answers for the same fitted models
    from pgmkit.temporal.groups import GroupedDynamicBayesNet

    api = GroupedDynamicBayesNet.load(tmp_path / "fitted").predict_next(logs, sequence="student")
    np.testing.assert_allclose(pred["P(correct=1)"], api["P(correct=1)"], atol=1e-12)


@pytest.mark.parametrize("command, column", [("smooth", "P(mastery=yes)"),
                                             ("filter", "P(mastery=yes)"),
                                             ("viterbi", "mastery")])
def test_queries_write_one_row_per_event(logs_csv, tmp_path, command, column):
    # 'skill' is not a variable of bkt: refused unless passed through with --keep
    refused = cli(command, "bkt", logs_csv, "--sequence", "student")
    assert refused.returncode == 2 and "'skill'" in refused.stderr
    res = cli(command, "bkt", logs_csv, "--sequence", "student", "--keep", "skill",
              "-o", tmp_path / "o.csv")
    assert res.returncode == 0, res.stderr
    frame = pd.read_csv(tmp_path / "o.csv")
    assert column in frame.columns and len(frame) == len(pd.read_csv(logs_csv))
    assert (frame["skill"] == pd.read_csv(logs_csv)["skill"]).all()


def test_bad_column_is_one_line_and_exit_2(logs_csv):
    res = cli("smooth", "bkt", logs_csv, "--sequence", "studnt")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0
    assert "did you mean 'student'" in res.stderr


def test_sample_and_demo():
    res = cli("sample", "hmm", "-n", "2", "--length", "3", "--seed", "0", "--json")
    assert res.returncode == 0, res.stderr
    assert res.stdout.count('"activity"') == 6
    demo = cli("demo", "--part", "temporal")
    assert demo.returncode == 0, demo.stderr
    assert "slip" in demo.stdout
