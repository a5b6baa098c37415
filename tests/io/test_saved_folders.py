"""Every class whose parameters include networks saves and loads through one folder
format (pgmkit.io.saved): a missing or hostile weights file is a named SpecError, never
an untrained model or a raw unpickling error."""
from __future__ import annotations

import pickle

import pytest

import pgmkit
from pgmkit.errors import SpecError

MODELS = ["vae", "fvsbn", "neural_hmm", "gan"]


class _RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize("name", MODELS)
def test_round_trip_keeps_weights(name, tmp_path):
    import torch

    model = pgmkit.example(name)
    folder = model.save(tmp_path / name)
    again = pgmkit.load(folder)
    assert type(again) is type(model) and again.spec == model.spec
    saved = torch.load(folder / "weights.pt", weights_only=True)
    assert saved and all(isinstance(v, torch.Tensor) for v in saved.values())


@pytest.mark.parametrize("name", MODELS)
def test_missing_weights_are_refused(name, tmp_path):
    folder = pgmkit.example(name).save(tmp_path / name)
    (folder / "weights.pt").unlink()
    with pytest.raises(SpecError, match=r"weights\.pt: missing"):
        pgmkit.load(folder)


@pytest.mark.parametrize("name", MODELS)
def test_hostile_weights_are_refused(name, tmp_path, capsys):
    folder = pgmkit.example(name).save(tmp_path / name)
    (folder / "weights.pt").write_bytes(pickle.dumps(_RunsCode()))
    with pytest.raises(SpecError, match="refused to load|cannot load"):
        pgmkit.load(folder)
    assert "must never run" not in capsys.readouterr().out
