"""Using fitted deep models: sampling, codes, reconstructions, save/load, plots."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pgmkit
from pgmkit.deep import DeepModel
from tests.deep.helpers import tiny_vae


def test_zoo_models_compile_and_pick_the_deep_facade():
    for name in ("vae", "beta_vae", "cvae", "m2"):
        m = pgmkit.example(name)
        assert isinstance(m, DeepModel) and m.backend == "pyro"
        assert m.num_parameters() > 1000
    vae = pgmkit.example("vae").program
    # The benchmark architecture: 8-dim code, one hidden layer of 128 softplus units each side.
    assert [tuple(p.shape) for p in vae.guide_nets[0].net.parameters()] == [
        (128, 64), (128,), (8, 128), (8,), (8, 128), (8,)]
    assert [tuple(p.shape) for p in vae.site("x").net.parameters()] == [
        (128, 8), (128,), (64, 128), (64,)]


def test_gmm_svi_runs_on_pyro_by_request():
    g = pgmkit.load(pgmkit.api.MODELS_DIR / "gmm_svi.yaml", backend="pyro")
    assert isinstance(g, DeepModel)
    s = g.sample(5, seed=0)
    assert s["x"].shape == (5, 2) and set(s["z"]) <= {"a", "b", "c"}


def test_sample_shapes_means_and_seed(trained_vae):
    a = trained_vae.sample(6, seed=1)
    assert a["x"].shape == (6, 64) and a["z"].shape == (6, 2)
    assert set(np.unique(a["x"])) <= {0.0, 1.0}
    np.testing.assert_array_equal(trained_vae.sample(6, seed=1)["x"], a["x"])
    means = trained_vae.sample(6, seed=1, mean=True)["x"]
    assert np.all((means > 0) & (means < 1))


def test_encode_reconstruct_interpolate(trained_vae, digits_small):
    xt = digits_small[2][:10]
    z = trained_vae.encode(xt)
    assert z.shape == (10, 2)
    rec = trained_vae.reconstruct(xt)
    assert rec.shape == (10, 64) and np.all((rec >= 0) & (rec <= 1))
    # A fitted autoencoder explains its input better than the average training image does.
    def bce(p):
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return -(xt * np.log(p) + (1 - xt) * np.log(1 - p)).sum(1).mean()

    assert bce(rec) < bce(np.broadcast_to(digits_small[0].mean(0), xt.shape)) - 1
    path = trained_vae.interpolate(xt[0], xt[1], steps=5)
    assert path.shape == (5, 64)
    ends = trained_vae.reconstruct(xt[:2])
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-5)


def test_cvae_draws_the_chosen_digit(digits_small):
    """Trained briefly, the cvae's 3s look more like real 3s than like real 0s."""
    from pgmkit.datasets import digits

    x, y = digits.load("train")
    cvae = pgmkit.example("cvae").fit({"x": x, "y": y}, epochs=4, batch_size=100, lr=5e-3,
                                      seed=0, progress=False)
    threes = cvae.sample(50, given={"y": "3"}, seed=0, mean=True)
    assert "y" not in threes and threes["x"].shape == (50, 64)
    mean3 = threes["x"].mean(0)
    assert np.abs(mean3 - x[y == 3].mean(0)).sum() < np.abs(mean3 - x[y == 0].mean(0)).sum()
    rec = cvae.reconstruct({"x": x[:4], "y": y[:4]})
    assert rec.shape == (4, 64)
    assert cvae.interpolate({"x": x[0], "y": [y[0]]}, {"x": x[1], "y": [y[0]]}, 3).shape == (3, 64)


def test_save_and_load_give_the_same_elbo(trained_vae, digits_small, tmp_path):
    xt = digits_small[2]
    folder = trained_vae.save(tmp_path / "vae")
    assert (folder / "model.yaml").is_file() and (folder / "weights.pt").is_file()
    torch.load(folder / "weights.pt", weights_only=True)  # plain tensors only
    again = pgmkit.load(folder)
    assert isinstance(again, DeepModel) and again.spec == trained_vae.spec
    assert again.elbo(xt, seed=3) == trained_vae.elbo(xt, seed=3)
    assert again.log_likelihood(xt, num_samples=5) == trained_vae.log_likelihood(xt, num_samples=5)


def test_load_dir_errors(tmp_path):
    from pgmkit.errors import SpecError

    with pytest.raises(SpecError, match="model.yaml"):
        DeepModel.load_dir(tmp_path)


def test_two_models_do_not_share_parameters(trained_vae, digits_small):
    """Each model keeps its own parameters: no global Pyro parameter store leaks between them."""
    import pyro

    xt = digits_small[2]
    store = set(pyro.get_param_store().keys())
    before = trained_vae.elbo(xt, seed=0)
    other = pgmkit.model(trained_vae.spec).fit(digits_small[0], epochs=1, progress=False)
    assert trained_vae.elbo(xt, seed=0) == before and other.elbo(xt, seed=0) != before
    assert set(pyro.get_param_store().keys()) == store  # the global store is left as found


def test_plots_write_pngs(trained_vae, digits_small, tmp_path):
    from pgmkit import plots

    xt, yt = digits_small[2], digits_small[3]
    outs = [plots.sample_grid(trained_vae.sample(16, seed=0, mean=True)["x"], tmp_path / "g.png"),
            plots.reconstructions(trained_vae, xt, tmp_path / "r.png"),
            plots.elbo_curve(trained_vae.history, tmp_path / "e.png"),
            plots.latent_scatter(trained_vae, xt, yt, tmp_path / "s.png")]
    for path in outs:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_pgmkit_stays_light():
    import subprocess
    import sys

    code = ("import sys, pgmkit, pgmkit.deep, pgmkit.plots; "
            "print(any(m in sys.modules for m in ('torch', 'pyro', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_encode_a_mixture_component_gives_exact_responsibilities():
    """No guide: the component's posterior is computed exactly by enumeration (Bayes' rule)."""
    from scipy.stats import norm

    g = pgmkit.example("gmm", backend="pyro")
    x = np.array([-4.0, 0.3, 2.5, 7.0])
    spec = g.spec
    joint = np.stack([spec["z"].cpd.table[k] * norm.pdf(x, spec["x"].cpd.loc[k],
                                                        spec["x"].cpd.scale[k])
                      for k in range(3)], axis=1)
    np.testing.assert_allclose(g.encode(x), joint / joint.sum(1, keepdims=True), atol=1e-5)


def test_progress_bar_shows_the_elbo(digits_small, capsys):
    pgmkit.model(tiny_vae()).fit(digits_small[0][:50], epochs=2, batch_size=25, progress=True)
    err = capsys.readouterr().err
    assert "SVI tiny_vae" in err and "elbo=" in err


def test_m2_interpolation_keeps_the_class_of_the_first_input(digits_small):
    m2 = pgmkit.example("m2")
    x = digits_small[2]
    path = m2.interpolate(x[0], x[1], steps=3)
    assert path.shape == (3, 64) and np.all((path > 0) & (path < 1))
