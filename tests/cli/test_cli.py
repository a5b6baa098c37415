"""The command line, run as a user would: through a subprocess."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import ROOT, run_cli

ALARM = ROOT / "models" / "alarm.yaml"


def _assert_clean_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("pgmkit: error: ")
    for f in fragments:
        assert f in result.stderr


def test_show_counts_parameters():
    r = run_cli("show", ALARM)
    assert r.returncode == 0, r.stderr
    assert "free parameters: 10 (the full joint table would need 31)" in r.stdout
    assert "Alarm" in r.stdout and "Burglary, Earthquake" in r.stdout
    data = json.loads(run_cli("show", ALARM, "--json").stdout)
    assert data["free_parameters"] == 10 and data["full_joint_parameters"] == 31


def test_query_text_and_json():
    r = run_cli("query", ALARM, "Burglary", "--given", "JohnCalls=yes", "MaryCalls=yes")
    assert r.returncode == 0, r.stderr
    assert "P(Burglary | JohnCalls=yes, MaryCalls=yes)" in r.stdout and "0.284172" in r.stdout
    out = json.loads(run_cli("query", "alarm", "Burglary", "--given", "JohnCalls=yes",
                             "MaryCalls=no", "--json").stdout)
    assert round(out["probabilities"]["yes"], 4) == 0.0051


def test_map_and_sample(tmp_path):
    r = run_cli("map", "alarm", "--given", "JohnCalls=yes", "MaryCalls=yes", "--json")
    assert json.loads(r.stdout)["assignment"] == {"Burglary": "no", "Earthquake": "no",
                                                  "Alarm": "yes"}
    out = tmp_path / "s.csv"
    r = run_cli("sample", "alarm", "-n", "500", "-o", out, "--seed", "3")
    assert r.returncode == 0, r.stderr
    frame = pd.read_csv(out, dtype=str)
    assert len(frame) == 500 and list(frame.columns) == ["Burglary", "Earthquake", "Alarm",
                                                         "JohnCalls", "MaryCalls"]


def test_fit_from_csv_then_query_the_result(tmp_path):
    data = tmp_path / "data.csv"
    assert run_cli("sample", "alarm", "-n", "20000", "-o", data, "--seed", "1").returncode == 0
    fitted = tmp_path / "fitted.yaml"
    r = run_cli("fit", ALARM, data, "-o", fitted, "--method", "bayes")
    assert r.returncode == 0, r.stderr
    assert "fitted 'alarm' by bayes on 20000 rows" in r.stdout
    r = run_cli("query", fitted, "JohnCalls", "--json")
    assert abs(json.loads(r.stdout)["probabilities"]["yes"] - 0.0521) < 0.01


def test_convert_round_trip(tmp_path):
    for ext in ("bif", "xmlbif", "json"):
        out = tmp_path / f"alarm.{ext}"
        assert run_cli("convert", ALARM, out).returncode == 0
        back = tmp_path / f"back_{ext}.yaml"
        assert run_cli("convert", out, back).returncode == 0
        r = run_cli("query", back, "Burglary", "--given", "JohnCalls=yes", "MaryCalls=yes")
        assert "0.284172" in r.stdout


def test_check_reports_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nvariables:\n  A: {states: [x, y], cpd: [0.5, 0.6]}\n"
                   "  B: {states: [x, y], parents: [Aa], cpd: [[0.5, 0.5], [0.5, 0.5]]}\n")
    r = run_cli("check", ALARM, bad)
    _assert_clean_error(r, "bad.yaml:3, variable 'A': prior sums to 1.1, expected 1",
                        "bad.yaml:4, variable 'B': parent 'Aa' is not a variable of the model "
                        "(did you mean 'A'?)")
    assert "alarm.yaml: ok" in r.stdout


@pytest.mark.parametrize("args, fragments", [
    (["query", "alarm", "Burglar"], ["unknown variable 'Burglar' (did you mean 'Burglary'?)"]),
    (["query", "alarm", "Burglary", "--given", "JohnCalls=maybe"], ["'maybe' is not a state"]),
    (["query", "alarm", "Burglary", "--given", "JohnCalls"], ["expected Var=state"]),
    (["query", "nope.yaml", "A"], ["nope.yaml: no such file"]),
    (["query", "alrm", "A"], ["no example model 'alrm' (did you mean 'alarm'?)"]),
])
def test_user_mistakes_exit_2_with_one_line(args, fragments):
    _assert_clean_error(run_cli(*args), *fragments)


def test_unknown_extension(tmp_path):
    odd = tmp_path / "alarm.txt"
    odd.write_text("name: x\n")
    _assert_clean_error(run_cli("show", odd), "cannot tell the format from the extension '.txt'")


def test_bad_yaml_and_bad_data(tmp_path):
    bad = tmp_path / "syntax.yaml"
    bad.write_text("name: x\nvariables:\n  A: {states: [x, y], cpd: [0.5, 0.5]\n")
    _assert_clean_error(run_cli("show", bad), "syntax.yaml:", "YAML syntax error")
    data = tmp_path / "d.csv"
    data.write_text("Burglary,Earthquake,Alarm,JohnCalls,MaryCalls\nno,no,no,no,perhaps\n")
    _assert_clean_error(run_cli("fit", ALARM, data, "-o", tmp_path / "o.yaml"),
                        "column 'MaryCalls', row 0: 'perhaps' is not a state")


def test_demo_discrete_part():
    r = run_cli("demo", "--part", "discrete")
    assert r.returncode == 0, r.stderr
    assert "0.284172" in r.stdout and "identical spec = True" in r.stdout


def test_backend_flag_picks_the_engine_or_refuses_in_one_line():
    args = ("query", "alarm", "Burglary", "--given", "JohnCalls=yes", "MaryCalls=yes", "--json")
    answers = []
    for engine in ("pgmpy", "pyro"):
        done = run_cli("--backend", engine, *args)
        assert done.returncode == 0, done.stderr
        answers.append(json.loads(done.stdout))
    assert answers[0]["probabilities"] == pytest.approx(answers[1]["probabilities"], abs=1e-9)
    assert round(answers[1]["probabilities"]["yes"], 6) == 0.284172
    done = run_cli("--backend", "forward_backward", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "backends that can: 'contraction', 'pgmpy'" in lines[0], done.stderr
