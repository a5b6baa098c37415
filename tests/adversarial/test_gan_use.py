"""Using a trained adversarial model: sampling, codes, paths, saving, and data mistakes."""
from __future__ import annotations

import numpy as np
import pytest

import pgmkit
from pgmkit.errors import DataError, UnsupportedError
from tests.adversarial.helpers import (tiny_bigan, tiny_cgan, tiny_cyclegan, tiny_gan,
                                       tiny_infogan)


@pytest.fixture(scope="module")
def cgan(digits_small):
    x, y = digits_small
    return pgmkit.model(tiny_cgan()).fit({"x": x, "y": y.astype(str)}, epochs=2, seed=0,
                                         progress=False)


def test_sample_is_keyed_by_variable_and_seeded(cgan):
    draws = cgan.sample(6, seed=1)
    assert set(draws) == {"y", "z", "x"} and draws["x"].shape == (6, 64)
    assert set(draws["y"]) <= set(cgan.spec["y"].states) and draws["y"].dtype == object
    assert np.all((draws["x"] >= 0) & (draws["x"] <= 1))  # sigmoid output
    again = cgan.sample(6, seed=1)
    assert all(np.array_equal(draws[k], again[k]) for k in draws)
    assert not np.array_equal(cgan.sample(6, seed=2)["x"], draws["x"])


def test_given_label_is_fed_to_the_generator(cgan):
    """With the same noise, the image of a given label is the generator's output for that
    label's one-hot: checked against a direct call of the network."""
    import torch

    draws = cgan.sample(4, given={"y": "7"}, seed=3)
    assert set(draws) == {"z", "x"}
    net = cgan.game.generators["x"]
    onehot = torch.nn.functional.one_hot(torch.full((4,), 7), 10).float()
    z = torch.as_tensor(draws["z"], dtype=torch.float32)
    with torch.no_grad():
        direct = net(torch.cat([z, onehot], 1)).double().numpy()
    assert np.allclose(draws["x"], direct, atol=1e-6)
    per_row = cgan.sample(2, given={"y": ["1", "2"], "z": np.zeros((2, 4))})["x"]
    assert not np.allclose(per_row[0], per_row[1])


def test_infogan_encodes_code_probabilities(digits_small):
    x, _ = digits_small
    m = pgmkit.model(tiny_infogan()).fit(x, epochs=2, seed=0, progress=False)
    probs = m.encode(x[:5], "c")
    assert probs.shape == (5, 10) and np.allclose(probs.sum(1), 1.0)
    assert m.encode(x[:5], "s").shape == (5, 2)
    assert m.roles()["code"] == "c"


def test_bigan_encodes_and_interpolates(digits_small):
    x, _ = digits_small
    m = pgmkit.model(tiny_bigan()).fit(x, epochs=2, seed=0, progress=False)
    codes = m.encode(x[:3])
    assert codes.shape == (3, 4)
    path = m.interpolate(x[0], x[1], steps=5)
    assert path.shape == (5, 64)
    ends = m.sample(2, given={"z": codes[:2]})["x"]
    assert np.allclose(path[0], ends[0], atol=1e-6) and np.allclose(path[-1], ends[1], atol=1e-6)


def test_gan_interpolates_between_latent_values():
    m = pgmkit.model(tiny_gan())
    path = m.interpolate(np.zeros(4), np.ones(4), steps=3)
    mid = m.sample(1, given={"z": np.full(4, 0.5)})["x"][0]
    assert np.allclose(path[1], mid, atol=1e-6)


def test_cyclegan_translates_both_ways(digits_small):
    from pgmkit.datasets.digits import invert

    x, _ = digits_small
    m = pgmkit.model(tiny_cyclegan()).fit({"a": x[:100], "b": invert(x[100:250])}, epochs=1,
                                          seed=0, progress=False)
    assert set(m.sample(7, given={"a": x[:7]})) == {"b"}
    assert m.sample(7, given={"b": x[:7]})["a"].shape == (7, 64)
    with pytest.raises(DataError, match="give exactly one of \\['a', 'b'\\]"):
        m.sample(3)
    with pytest.raises(DataError, match="translates between domains \\['a', 'b'\\]"):
        m.fit(x, epochs=1, progress=False)


def test_save_and_load_give_the_same_samples(cgan, tmp_path):
    folder = cgan.save(tmp_path / "cgan")
    again = pgmkit.load(folder)
    assert type(again).__name__ == "AdversarialModel" and again.spec == cgan.spec
    a, b = cgan.sample(5, seed=4), again.sample(5, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert again.num_parameters() == cgan.num_parameters() == (14 * 16 + 16) + (16 * 64 + 64)


def test_data_mistakes_are_named(cgan, digits_small):
    x, y = digits_small
    with pytest.raises(DataError, match="no values for observed variable\\(s\\) \\['y'\\]"):
        cgan.fit({"x": x}, epochs=1, progress=False)
    with pytest.raises(DataError, match="'7x' is not a state of 'y'"):
        cgan.sample(2, given={"y": "7x"})
    with pytest.raises(DataError, match="not a variable of model 'tiny_cgan'"):
        cgan.sample(2, given={"w": "1"})
    with pytest.raises(DataError, match="argument 'n' must be a whole number >= 1"):
        cgan.sample(0)
    with pytest.raises(DataError, match="argument 'batch_size' must be a whole number >= 1"):
        cgan.fit({"x": x, "y": y.astype(str)}, batch_size=0, progress=False)
    with pytest.raises(UnsupportedError, match="no encoder and no info code"):
        cgan.encode(x[:2])


def test_plots_write_pngs(digits_small, tmp_path):
    from pgmkit.datasets.digits import invert
    from pgmkit.evaluate.plots import code_traversal, loss_curves, translations

    x, _ = digits_small
    info = pgmkit.model(tiny_infogan()).fit(x, epochs=1, seed=0, progress=False)
    for path in (code_traversal(info, tmp_path / "c.png", per_value=4),
                 code_traversal(info, tmp_path / "s.png", code="s", per_value=4),
                 loss_curves(info.history, tmp_path / "loss.png")):
        assert path.read_bytes()[:4] == b"\x89PNG"
    cyc = pgmkit.model(tiny_cyclegan())
    assert translations(cyc, invert(x[:4]), tmp_path / "t.png", "b").is_file()
    with pytest.raises(DataError, match="no adversarial training history"):
        loss_curves(None, tmp_path / "none.png")
