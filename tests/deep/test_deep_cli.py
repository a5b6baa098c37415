"""The deep part of the CLI: train, fit, sample, demo, and one-line errors."""
from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "vae"
    done = run_cli("train", "models/vae.yaml", "--data", "digits", "--epochs", "1",
                   "--validation", "digits:test", "-o", out, "--no-progress", "--json")
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_train_writes_a_loadable_model(run_dir):
    out, summary = run_dir
    assert (out / "model.yaml").is_file() and (out / "weights.pt").is_file()
    assert summary["epochs"] == 1 and -60 < summary["train_elbo"] < 0
    assert summary["valid_elbo"] is not None


def test_sample_writes_a_png_grid(run_dir, tmp_path):
    out, _ = run_dir
    png = tmp_path / "grid.png"
    done = run_cli("sample", out, "-n", "16", "--mean", "--png", png, "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:4] == b"\x89PNG" and "wrote" in done.stdout


@pytest.mark.slow
def test_fit_and_conditional_sample_for_a_cvae(tmp_path):
    out = tmp_path / "cvae"
    done = run_cli("fit", "cvae", "digits", "-o", out, "--epochs", "1", "--png",
                   tmp_path / "curve.png")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "curve.png").is_file()
    done = run_cli("sample", out, "-n", "3", "--given", "y=3", "--json")
    assert done.returncode == 0, done.stderr
    draws = json.loads(done.stdout)
    assert "y" not in draws and len(draws["x"]) == 3 and len(draws["x"][0]) == 64


@pytest.mark.parametrize("args,needle", [
    (("train", "models/vae.yaml", "--data", "digitz", "-o", "{tmp}/x"), "did you mean 'digits'"),
    (("train", "alarm", "--data", "digits", "-o", "{tmp}/x"), "digits data"),
    (("sample", "cvae", "-n", "2", "--given", "y=12"), "'12' is not a state of 'y'"),
    (("train", "models/vae.yaml", "--data", "{tmp}/empty.csv", "-o", "{tmp}/x"), "is empty"),
    (("train", "models/vae.yaml", "--data", "{tmp}/junk.npy", "-o", "{tmp}/x"),
     "cannot read as .npy"),
])
def test_errors_are_one_line(args, needle, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    done = run_cli(*[a.format(tmp=tmp_path) for a in args])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr


@pytest.mark.slow
def test_demo_deep_part():
    done = run_cli("demo", "--part", "deep")
    assert done.returncode == 0, done.stderr
    assert "test ELBO per image" in done.stdout and ".png" in done.stdout
