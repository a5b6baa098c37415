"""SVI training: the ELBO improves, runs are deterministic, checkpoints resume the same run."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pgmkit
from pgmkit.errors import DataError

from tests.deep.helpers import tiny_vae


def _params(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.program.state_dict().items()}


def _same(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_elbo_improves_during_training(digits_small, trained_vae):
    x, _, xt, _ = digits_small
    elbos = trained_vae.history.log_likelihood
    assert len(elbos) == 15 and trained_vae.history.method == "svi"
    assert elbos[-1] > elbos[0] + 5  # nats per image
    untrained = pgmkit.model(tiny_vae())
    assert trained_vae.elbo(xt, num_samples=5) > untrained.elbo(xt, num_samples=5) + 5


def test_fit_trains_in_place_and_copy_leaves_the_original(digits_small):
    m = pgmkit.model(tiny_vae())
    before = _params(m)
    kept = m.copy()
    fitted = m.fit(digits_small[0], epochs=1, batch_size=100, progress=False)
    assert fitted is m and m.history is not None and kept.history is None
    assert not _same(_params(m), before) and _same(_params(kept), before)
    again = kept.copy().fit(digits_small[0], epochs=1, batch_size=100, progress=False)
    assert again is not kept and _same(_params(kept), before)


def test_same_seed_same_parameters_and_rng_untouched(digits_small):
    x = digits_small[0]
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = pgmkit.model(tiny_vae()).fit(x, epochs=2, batch_size=64, seed=7, progress=False)
    assert torch.equal(torch.rand(1), expected_next)  # the caller's RNG is left alone
    b = pgmkit.model(tiny_vae()).fit(x, epochs=2, batch_size=64, seed=7, progress=False)
    c = pgmkit.model(tiny_vae()).fit(x, epochs=2, batch_size=64, seed=8, progress=False)
    assert _same(_params(a), _params(b))
    assert not _same(_params(a), _params(c))


def test_checkpoint_resume_continues_the_same_run(digits_small, tmp_path):
    x = digits_small[0]
    kw = dict(batch_size=64, lr=5e-3, seed=3, progress=False)
    full = pgmkit.model(tiny_vae()).fit(x, epochs=4, **kw)
    # "Kill" the run after epoch 2: a run that stops there leaves its checkpoint behind.
    pgmkit.model(tiny_vae()).fit(x, epochs=2, checkpoint_dir=tmp_path, **kw)
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ckpt["state"]["epoch"] == 2
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left no partial file
    resumed = pgmkit.model(tiny_vae()).fit(x, epochs=4, checkpoint_dir=tmp_path, resume=True,
                                           **kw)
    assert _same(_params(resumed), _params(full))
    np.testing.assert_array_equal(resumed.history.log_likelihood, full.history.log_likelihood)


def test_resume_without_checkpoint_starts_fresh(digits_small, tmp_path):
    x = digits_small[0]
    kw = dict(epochs=1, batch_size=64, seed=1, progress=False)
    a = pgmkit.model(tiny_vae()).fit(x, checkpoint_dir=tmp_path / "new", resume=True, **kw)
    b = pgmkit.model(tiny_vae()).fit(x, **kw)
    assert _same(_params(a), _params(b))


def test_validation_and_early_stopping(digits_small):
    x, _, xt, _ = digits_small
    # A learning rate this high overfits/oscillates quickly; patience 1 must stop early
    # and keep the best held-out parameters.
    m = pgmkit.model(tiny_vae(hidden=32)).fit(x, epochs=40, batch_size=20, lr=5e-2, seed=0,
                                             progress=False, validation=xt, patience=1)
    valid = m.history.extra["valid_elbo"]
    assert m.history.converged and len(valid) < 40
    assert valid[-1] < max(valid)  # stopped because the last epoch did not improve
    assert m.elbo(xt, num_samples=20) == pytest.approx(max(valid), abs=0.15)


def test_patience_needs_validation(digits_small):
    with pytest.raises(DataError, match="validation"):
        pgmkit.model(tiny_vae()).fit(digits_small[0], epochs=1, patience=2, progress=False)


def test_fitted_spec_holds_learned_cpds_and_round_trips(tmp_path):
    """Learned tables and normals flow back into the spec, so the YAML carries them."""
    from tests.deep.helpers import mixture_data

    g = pgmkit.load(pgmkit.api.MODELS_DIR / "gmm_svi.yaml", backend="pyro")
    fitted = g.fit(mixture_data(), epochs=40, batch_size=100, lr=0.05, progress=False)
    weights = fitted.spec["z"].cpd.table
    np.testing.assert_allclose(np.sort(weights), [0.2, 0.3, 0.5], atol=0.06)
    locs = fitted.spec["x"].cpd.loc
    for target in ([-3, 0], [3, 0], [0, 4]):
        assert np.min(np.linalg.norm(locs - np.array(target), axis=1)) < 0.2
    np.testing.assert_allclose(fitted.spec["x"].cpd.scale, 0.5, atol=0.08)
    reloaded = pgmkit.load(fitted.save(tmp_path / "gmm"))
    assert reloaded.spec == fitted.spec


def test_automatic_guide_for_a_linear_gaussian_latent():
    """No guide entry: the continuous latent gets an amortized Gaussian guide, and SVI fits a
    factor model whose exact marginal is x ~ N(b, W W^T + diag(s^2))."""
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    w_true = np.array([[2.0], [-1.0], [0.5]])
    x = rng.normal(size=(1000, 1)) @ w_true.T + np.array([1.0, 0.0, -1.0]) \
        + 0.3 * rng.normal(size=(1000, 3))
    m = pgmkit.model({"name": "fa", "variables": {
        "z": {"real": [1], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [3], "parents": ["z"],
              "cpd": {"linear_gaussian": {"weights": {"z": [[0.1], [0.1], [0.1]]}}}}}})
    assert m.program.guide_order == ("z",)
    fitted = m.fit(x, epochs=80, batch_size=500, lr=0.05, seed=0, progress=False)
    cpd = fitted.spec["x"].cpd
    np.testing.assert_allclose(cpd.bias, [1.0, 0.0, -1.0], atol=0.1)
    w = cpd.weights[0] * np.sign(cpd.weights[0][0, 0])  # the sign of z is not identifiable
    np.testing.assert_allclose(w, w_true, atol=0.15)
    cov = cpd.weights[0] @ cpd.weights[0].T + np.diag(cpd.scale ** 2)
    exact = multivariate_normal(cpd.bias, cov).logpdf(x).mean()
    bound = fitted.log_likelihood(x, num_samples=50) / len(x)     # the total, per row
    assert exact - 0.05 < bound <= exact + 0.01  # a tight lower bound on the exact value
