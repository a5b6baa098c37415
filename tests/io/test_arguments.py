"""One argument validator for every public method, named errors for misuse, flags the CLI
refuses, and exact answers for evidence far below float64's range."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.errors import CostError, DataError, EvidenceError, PgmkitError, UnsupportedError
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def alarm():
    return pgmkit.example("alarm")


@pytest.fixture(scope="module")
def gmm():
    return pgmkit.example("gmm")


BAD_COUNTS = [0, -2, True, 2.5, "3", None, float("nan")]


@pytest.mark.parametrize("n", BAD_COUNTS)
def test_sample_sizes_on_every_class(alarm, gmm, n):
    for call in (lambda: alarm.sample(n), lambda: gmm.sample(n),
                 lambda: pgmkit.example("hmm").sample_sequences(n, 3)):
        with pytest.raises(DataError, match="argument 'n' must be a whole number >= 1"):
            call()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"seed": -1}, "argument 'seed'"),
    ({"seed": 1.5}, "argument 'seed'"),
    ({"max_iter": -1}, "argument 'max_iter'"),
    ({"max_iter": True}, "(a boolean)"),
    ({"restarts": 0}, "argument 'restarts'"),
    ({"tol": float("nan")}, "argument 'tol'"),
    ({"tol": "small"}, "argument 'tol'"),
    ({"pseudo_count": -1.0}, "argument 'pseudo_count' must be a finite number >= 0"),
    ({"pseudo_count": float("nan")}, "argument 'pseudo_count'"),
    ({"progress": 1}, "argument 'progress' must be True or False"),
    ({"max_itr": 5}, "has no option 'max_itr' (did you mean 'max_iter'?)"),
])
def test_em_arguments_blame_the_argument(alarm, kwargs, fragment):
    data = alarm.sample(50, seed=0)
    with pytest.raises(DataError) as info:
        alarm.copy().fit(data, method="em", **kwargs)
    assert fragment in str(info.value)


def test_deep_training_arguments():
    vae = pgmkit.example("vae")
    x = np.zeros((8, 64))
    for kwargs, name in (({"epochs": 0}, "epochs"), ({"batch_size": -5}, "batch_size"),
                         ({"lr": 0.0}, "lr"), ({"lr": float("inf")}, "lr")):
        with pytest.raises(DataError, match=f"argument '{name}'"):
            vae.fit(x, progress=False, **kwargs)
    with pytest.raises(DataError, match="argument 'n'"):
        vae.sample(0)
    with pytest.raises(DataError, match="argument 'num_samples'"):
        vae.log_likelihood(x, num_samples=0)
    with pytest.raises(DataError, match="given 'x' must be finite numbers of shape"):
        vae.sample(2, given={"x": [1.0, 2.0]})


@pytest.mark.parametrize("evidence", [["JohnCalls"], "JohnCalls=yes", 3])
def test_evidence_must_be_a_mapping(alarm, evidence):
    for call in (lambda: alarm.query("Burglary", evidence), lambda: alarm.map(None, evidence),
                 lambda: alarm.sample(2, evidence)):
        with pytest.raises(EvidenceError, match="argument 'evidence' must be a mapping"):
            call()


def test_query_arguments_and_result_keys(alarm):
    with pytest.raises(EvidenceError, match="needs a variable name"):
        alarm.query(None)
    with pytest.raises(EvidenceError, match="variable names are text"):
        alarm.query([1])
    post = alarm.query("Burglary")
    with pytest.raises(EvidenceError, match="'Yes' is not a state of 'Burglary'.*did you mean"):
        post["Yes"]
    with pytest.raises(KeyError):              # results still behave as mappings
        post["Yes"]
    with pytest.raises(EvidenceError, match="no variable 'Alarmm'"):
        alarm.map()["Alarmm"]
    with pytest.raises(DataError, match="has no option 'chunk'"):
        alarm.query_batch("Burglary", pd.DataFrame({"JohnCalls": ["yes"]}), chunk=3)


def test_sample_budget(alarm):
    with pytest.raises(CostError, match=r"needs 5e\+10 entries; the limit is"):
        alarm.sample(10**10)


def test_order_column_of_digit_text_sorts_as_numbers():
    bkt = pgmkit.example("bkt")
    logs = bkt.sample_sequences(3, 12, seed=0).drop(columns=["mastery"])
    as_numbers = bkt.filter(logs)
    shuffled = logs.astype(str).sample(frac=1, random_state=1)
    as_text = bkt.filter(shuffled)
    merged = as_numbers.assign(step=as_numbers["step"].astype(int)).merge(
        as_text.assign(step=as_text["step"].astype(int), sequence=as_text["sequence"].astype(int)),
        on=["sequence", "step"])
    assert len(merged) == len(logs)
    np.testing.assert_allclose(merged["P(mastery=yes)_x"], merged["P(mastery=yes)_y"])
    later = logs.astype(object)
    later.loc[5, "step"] = "later"
    with pytest.raises(DataError, match="row 5: column 'step' is 'later'"):
        bkt.filter(later)


def test_bad_real_data_is_data_error_not_impossible(gmm):
    with pytest.raises(DataError, match="'x' is inf: real values must be finite"):
        gmm.log_likelihood(pd.DataFrame({"x": [0.5, np.inf]}))
    with pytest.raises(DataError) as info:
        gmm.log_likelihood(pd.DataFrame({"y": [1.0]}))
    assert "no column 'x'" in str(info.value) and "__row__" not in str(info.value)
    assert "logs" not in str(info.value)


# -- numbers below float64's range ----------------------------------------------------

def _naive_bayes(features: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    variables = {"C": {"states": ["a", "b", "c"], "cpd": [0.5, 0.3, 0.2]}}
    for i in range(features):
        p = rng.uniform(0.001, 0.02, size=3)
        variables[f"F{i}"] = {"states": ["0", "1"], "parents": ["C"],
                              "cpd": [[1 - q, q] for q in p]}
    return pgmkit.model({"name": "nb", "variables": variables})


def _truth(model, row):
    spec = model.spec
    lp = np.log(spec["C"].cpd.table)
    for k, s in row.items():
        lp = lp + np.log(spec[k].cpd.table[:, spec[k].index(s)])
    top = lp.max()
    log_ev = top + math.log(np.exp(lp - top).sum())
    return log_ev, np.exp(lp - log_ev)


def test_evidence_far_below_float64_range():
    nb = _naive_bayes()
    row = {f"F{i}": "1" for i in range(400)}
    log_ev, post = _truth(nb, row)
    assert log_ev < -1500                       # ~1e-700: zero in float64
    frame = nb.query_batch("C", pd.DataFrame([row, {"F0": "1"}]))
    assert not frame["impossible"].any()
    assert frame.loc[0, "log_evidence"] == pytest.approx(log_ev, rel=1e-12)
    np.testing.assert_allclose(frame.loc[0, ["P(C=a)", "P(C=b)", "P(C=c)"]].to_numpy(float), post,
                               rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(list(nb.query("C", row).to_dict().values()), post, rtol=1e-9,
                               atol=1e-300)
    assert nb.map(evidence=row)["C"] == "abc"[int(np.argmax(post))]
    assert nb.map("C", row)["C"] == "abc"[int(np.argmax(post))]
    assert nb.log_likelihood(pd.DataFrame([row])) == pytest.approx(log_ev, rel=1e-12)


def test_impossible_evidence_stays_impossible():
    nb = _naive_bayes(5)
    from pgmkit.spec.cpd import TableCPD

    spec = nb.spec.with_cpds({"F0": TableCPD([[1.0, 0.0]] * 3)})
    nb = pgmkit.model(spec)
    frame = nb.query_batch("C", pd.DataFrame([{"F0": "1"}, {"F0": "0"}]))
    assert frame["impossible"].tolist() == [True, False]
    assert frame.loc[0, ["P(C=a)", "P(C=b)", "P(C=c)"]].isna().all()
    with pytest.raises(EvidenceError, match="impossible"):
        nb.query("C", {"F0": "1"})


# -- CLI ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def alarm_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "alarm.csv"
    pgmkit.example("alarm").sample(200, seed=0).to_csv(path, index=False)
    return path


def _refused(result, *fragments):
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgmkit: error: "), result.stderr
    for f in fragments:
        assert f in result.stderr


def test_cli_refuses_flags_that_would_be_ignored(alarm_csv, tmp_path):
    out = tmp_path / "o.yaml"
    _refused(run_cli("sample", "bkt", "--given", "correct=1"), "--given does not apply")
    _refused(run_cli("sample", "gmm", "--given", "z=c1"), "--given does not apply")
    _refused(run_cli("fit", "alarm", alarm_csv, "-o", out, "--groupby", "skill"),
             "--groupby does not apply")
    _refused(run_cli("fit", "alarm", alarm_csv, "-o", out, "--max-iter", "5"),
             "--max-iter does not apply")
    _refused(run_cli("train", "vae", "--data", "digits", "-o", tmp_path / "v", "--resume"),
             "--resume continues from the checkpoint")
    _refused(run_cli("query", "alarm", "Burglary", "-o", out), "-o applies to --batch")
    assert not out.exists()


def test_cli_bad_arguments_and_outputs(alarm_csv, tmp_path):
    _refused(run_cli("sample", "alarm", "--seed", "-1"), "argument 'seed'")
    _refused(run_cli("fit", "alarm", alarm_csv, "-o", tmp_path / "f.yaml", "--method", "em",
                     "--max-iter", "-3"), "argument 'max_iter'")
    _refused(run_cli("sample", "alarm", "-o", "/dev/full"), "/dev/full: is a device")
    _refused(run_cli("fit", "alarm", alarm_csv, "-o", alarm_csv), "also an input")
    _refused(run_cli("fit", "alarm", alarm_csv, "-o", alarm_csv / "x.yaml"),
             "a parent of this path is a file")
    assert pd.read_csv(alarm_csv).shape == (200, 5)        # the input is untouched


def test_cli_quiet_on_a_closed_pipe():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "pgmkit", "sample", "alarm", "-n", "200000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()                      # what `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert err == "" and "BrokenPipe" not in err


@pytest.mark.parametrize("bad", [np.random.SeedSequence(0), np.random.default_rng(0), 1.5])
def test_a_seed_that_is_no_whole_number_is_named_on_one_line(alarm, bad):
    """numpy's SeedSequence prints over several lines; the message stays one line."""
    with pytest.raises(DataError, match="argument 'seed' must be a whole number >= 0") as err:
        alarm.sample(3, seed=bad)
    assert "\n" not in str(err.value)
