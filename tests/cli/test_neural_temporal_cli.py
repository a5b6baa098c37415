"""The CLI fits, saves, reloads, samples and queries a neural temporal model (neural_hmm)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import pgmkit
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def logs_csv(tmp_path_factory):
    """neural_hmm's own sample, the hidden regime dropped (what the model is fitted on)."""
    folder = tmp_path_factory.mktemp("nhmm")
    logs = pgmkit.example("neural_hmm").sample_sequences(40, 8, seed=3)
    path = folder / "logs.csv"
    logs.drop(columns=["regime"]).to_csv(path, index=False)
    return folder, path, logs


def _one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgmkit: error: "), result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def test_fit_save_reload_and_query(logs_csv):
    folder, path, logs = logs_csv
    out = folder / "fitted"
    fit = run_cli("fit", "neural_hmm", path, "-o", out, "--epochs", "4", "--lr", "0.02",
                  "--seed", "1", "--no-progress", "--json")
    assert fit.returncode == 0, fit.stderr
    summary = json.loads(fit.stdout)
    assert summary["epochs"] == 4 and summary["sequences"] == 40 and summary["events"] == 320
    assert (out / "model.yaml").is_file() and (out / "weights.pt").is_file()

    # the same fit in Python gives the same weights: the saved model reloads exactly
    hidden = logs.drop(columns=["regime"])
    py = pgmkit.example("neural_hmm").fit(hidden, epochs=4, lr=0.02, seed=1, progress=False)
    loaded = pgmkit.load(out)
    assert loaded.log_likelihood(hidden) == pytest.approx(py.log_likelihood(hidden), rel=1e-6)
    assert summary["log_likelihood_per_event"] == pytest.approx(
        py.history.log_likelihood[-1], rel=1e-6)
    # training raised the likelihood per event (the fit restarts from seeded weights)
    assert py.history.log_likelihood[-1] > py.history.log_likelihood[0]

    pred = run_cli("predict", out, path, "-o", folder / "pred.csv")
    assert pred.returncode == 0, pred.stderr
    got = pd.read_csv(folder / "pred.csv")
    want = py.predict_next(hidden)
    assert len(got) == len(hidden)
    np.testing.assert_allclose(got[["E(x[0])", "E(x[1])"]].to_numpy(),
                               want[["E(x[0])", "E(x[1])"]].to_numpy(dtype=float), atol=1e-6)

    smooth = run_cli("smooth", out, path, "--json")
    assert smooth.returncode == 0, smooth.stderr
    rows = pd.DataFrame(json.loads(smooth.stdout))
    cols = ["P(regime=calm)", "P(regime=drift)", "P(regime=jump)"]
    np.testing.assert_allclose(rows[cols].sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(rows[cols].to_numpy(),
                               py.smooth(hidden)[cols].to_numpy(dtype=float), atol=1e-6)


def test_sample_and_default_training_options(logs_csv, tmp_path):
    folder, path, _ = logs_csv
    drawn = run_cli("sample", "neural_hmm", "-n", "3", "--length", "5", "--seed", "2", "--json")
    assert drawn.returncode == 0, drawn.stderr
    rows = pd.DataFrame(json.loads(drawn.stdout))
    want = pgmkit.example("neural_hmm").sample_sequences(3, 5, seed=2)
    assert len(rows) == 15 and list(rows["regime"]) == list(want["regime"])
    np.testing.assert_allclose(rows["x[0]"], want["x[0]"], atol=1e-6)

    # unset training flags keep NeuralTemporalModel.fit's defaults (10 epochs), not the
    # deep models' 50
    fit = run_cli("fit", "neural_hmm", path, "-o", tmp_path / "f", "--json")
    assert fit.returncode == 0, fit.stderr
    assert json.loads(fit.stdout)["epochs"] == 10


def test_bad_flags_exit_2_with_one_line(logs_csv, tmp_path):
    folder, path, _ = logs_csv
    _one_line_error(run_cli("fit", "neural_hmm", path, "-o", tmp_path / "f", "--max-iter", "3"),
                    "--max-iter does not apply to 'fit' of a NeuralTemporalModel")
    _one_line_error(run_cli("sample", "neural_hmm", "--given", "regime=calm"),
                    "--given does not apply to 'sample' of a NeuralTemporalModel")
    _one_line_error(run_cli("smooth", "neural_hmm", path, "--groupby", "sequence"),
                    "--groupby does not apply to 'smooth' of a NeuralTemporalModel")
    _one_line_error(run_cli("viterbi", "dkt", path), "viterbi needs a discrete hidden chain")
