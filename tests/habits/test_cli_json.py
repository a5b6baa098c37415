"""One JSON writer for every command: --json everywhere, -o writes JSON when asked,
ISO-8601 timestamps; --version; --no-progress on the long commands; --keep."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import pgmkit
from pgmkit.cli.main import LONG_COMMANDS, build_parser
from tests.conftest import run_cli


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_every_command_accepts_json_and_long_ones_no_progress():
    commands = _subparsers()
    for name, p in commands.items():
        assert "--json" in p._option_string_actions, name
    for name in LONG_COMMANDS:
        if name in commands:
            assert "--no-progress" in commands[name]._option_string_actions, name


def test_version():
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"pgmkit {pgmkit.__version__}"


def test_check_and_convert_speak_json(tmp_path):
    out = run_cli("check", "asia", str(tmp_path / "nope.yaml"), "--json")
    assert out.returncode == 2
    report = json.loads(out.stdout)
    assert report[0] == {"model": "asia", "ok": True, "variables": 8, "error": None}
    assert report[1]["ok"] is False and "nope.yaml" in report[1]["error"]
    out = run_cli("convert", "asia", tmp_path / "asia.bif", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["output"] == str(tmp_path / "asia.bif")


def test_viterbi_json_to_a_file_with_iso_timestamps_and_kept_ids(tmp_path):
    logs = pgmkit.example("bkt").sample_sequences(3, 4, seed=0).drop(columns="mastery")
    logs["step"] = pd.date_range("2026-03-01 09:00", periods=len(logs), freq="min")
    logs["attempt_id"] = [f"a{i}" for i in range(len(logs))]
    logs.to_csv(tmp_path / "logs.csv", index=False)
    out = run_cli("viterbi", "bkt", tmp_path / "logs.csv", "--keep", "attempt_id", "--json",
                  "-o", tmp_path / "out.json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"output": str(tmp_path / "out.json"), "rows": len(logs),
                                      "format": "json"}
    rows = json.loads((tmp_path / "out.json").read_text())
    assert rows[0]["step"].startswith("2026-03-01T09:00:00")
    back = pd.DataFrame(rows).merge(logs.astype({"step": str}).assign(
        step=lambda d: pd.to_datetime(d["step"]).map(lambda t: t.isoformat())),
        on="attempt_id")
    assert len(back) == len(logs)
    refused = run_cli("predict", "bkt", tmp_path / "logs.csv")
    assert refused.returncode == 2 and "'attempt_id'" in refused.stderr


@pytest.mark.parametrize("command", [("fit", "asia", "DATA", "-o", "OUT"),
                                     ("query", "asia", "lung", "--batch", "DATA")])
def test_no_progress_is_honoured(command, tmp_path):
    pgmkit.example("asia").sample(50, seed=0).to_csv(tmp_path / "d.csv", index=False)
    args = [str(tmp_path / "d.csv") if a == "DATA" else str(tmp_path / "o.yaml") if a == "OUT"
            else a for a in command]
    out = run_cli(*args, "--no-progress", "--json")
    assert out.returncode == 0, out.stderr
    json.loads(out.stdout)
