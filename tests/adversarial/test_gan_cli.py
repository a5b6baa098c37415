"""The adversarial part of the CLI: train, sample --png, score, and one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def cgan_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cgan"
    png = out.parent / "losses.png"
    done = run_cli("train", "models/cgan.yaml", "--data", "digits", "--epochs", "2", "-o", out,
                   "--no-progress", "--json", "--png", png)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert png.read_bytes()[:4] == b"\x89PNG"
    return out, summary


def test_train_writes_a_loadable_model(cgan_dir):
    import pgmkit

    out, summary = cgan_dir
    assert summary["epochs"] == 2 and summary["critic_loss"] > 0
    model = pgmkit.load(out)
    assert type(model).__name__ == "AdversarialModel" and model.spec.name == "cgan"


def test_sample_a_chosen_digit_as_png(cgan_dir, tmp_path):
    out, _ = cgan_dir
    png, npz = tmp_path / "sevens.png", tmp_path / "sevens.npz"
    done = run_cli("sample", out, "-n", "9", "--given", "y=7", "--png", png, "-o", npz,
                   "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert np.load(npz)["x"].shape == (9, 64)


def test_score_prints_json(cgan_dir):
    out, _ = cgan_dir
    done = run_cli("score", out, "-n", "100", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"frechet", "mmd", "classes_covered", "class_accuracy"} <= set(result)


def test_cyclegan_translates_a_file(tmp_path):
    from pgmkit.datasets import digits

    out = tmp_path / "cyc"
    done = run_cli("train", "cyclegan", "--data", "digits", "--epochs", "1", "-o", out,
                   "--no-progress")
    assert done.returncode == 0, done.stderr
    x, _ = digits.load("test", binarize=False)
    np.save(tmp_path / "a.npy", x[:5])
    done = run_cli("sample", out, "--given", f"a={tmp_path / 'a.npy'}", "-o", tmp_path / "b.npz")
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "b.npz")["b"].shape == (5, 64)


@pytest.mark.parametrize("args, message", [
    (("sample", "gan", "--mean"), "--mean does not apply to 'sample' of a AdversarialModel"),
    (("sample", "cgan", "--given", "y=77"), "'77' is not a state of 'y'"),
    (("train", "gan", "--data", "digits", "-o", "/tmp/x", "--validation", "digits:test"),
     "--validation applies to models fitted by a likelihood"),
    (("score", "alarm"), "'score' rates generated digits of adversarial models"),
    (("sample", "cyclegan", "--given", "a=nothing.npy"), "give a .npy file of its rows"),
])
def test_mistakes_exit_2_with_one_line(args, message):
    done = run_cli(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
