"""The Gaussian mixture (z -> x) by EM: recovery, monotone EM, pomegranate agreement."""
from __future__ import annotations

import numpy as np
import pytest

import pgmkit
from pgmkit.mixture import MixtureModel


@pytest.fixture(scope="module")
def gmm():
    return pgmkit.example("gmm")


def test_gmm_is_a_mixture_model_and_recovers_its_components(gmm):
    assert isinstance(gmm, MixtureModel)
    data = gmm.sample(3000, seed=1)
    fitted = gmm.copy().fit(data.drop(columns=["z"]), restarts=3, seed=0, progress=False)
    order = np.argsort(fitted.spec["x"].cpd.loc)
    np.testing.assert_allclose(fitted.spec["x"].cpd.loc[order], [-4.0, 0.0, 5.0], atol=0.15)
    np.testing.assert_allclose(fitted.spec["x"].cpd.scale[order], [1.0, 0.8, 1.5], atol=0.12)
    np.testing.assert_allclose(fitted.spec["z"].cpd.table[order], [0.3, 0.4, 0.3], atol=0.04)
    ll = np.array(fitted.history.log_likelihood)
    assert np.all(np.diff(ll) > -1e-6)
    labels = fitted.predict(data.drop(columns=["z"]))["z"]
    mapping = dict(zip(np.asarray(fitted.spec["z"].states)[order], gmm.spec["z"].states))
    assert (labels.map(mapping) == data["z"]).mean() > 0.9


def test_posterior_matches_bayes_rule(gmm):
    data = gmm.sample(5, seed=2).drop(columns=["z"])
    post = gmm.posterior(data).to_numpy()
    cpd, prior = gmm.spec["x"].cpd, gmm.spec["z"].cpd.table
    x = data["x"].to_numpy()[:, None]
    dens = prior * np.exp(-0.5 * ((x - cpd.loc) / cpd.scale) ** 2) / cpd.scale
    np.testing.assert_allclose(post, dens / dens.sum(1, keepdims=True), atol=1e-12)
    total = np.log((dens / np.sqrt(2 * np.pi)).sum(1)).sum()
    assert gmm.log_likelihood(data) == pytest.approx(total, abs=1e-9)


def test_em_steps_equal_pomegranate_general_mixture(gmm):
    import torch
    from pomegranate.distributions import Normal
    from pomegranate.gmm import GeneralMixtureModel

    data = gmm.sample(400, seed=3).drop(columns=["z"])
    cpd = gmm.spec["x"].cpd
    comps = [Normal([float(m)], [float(s) ** 2], covariance_type="diag")
             for m, s in zip(cpd.loc, cpd.scale)]
    pg = GeneralMixtureModel(comps, priors=gmm.spec["z"].cpd.table.tolist(), max_iter=4, tol=0.0)
    pg.tol = -np.inf
    pg.fit(torch.tensor(data["x"].to_numpy()[:, None], dtype=torch.float32))
    # max_iter counts E-steps: 4 updates need 5 of them
    ours = gmm.copy().fit(data, max_iter=5, tol=-np.inf, progress=False).spec
    np.testing.assert_allclose(ours["x"].cpd.loc, [d.means.item() for d in pg.distributions],
                               atol=1e-3)
    np.testing.assert_allclose(ours["x"].cpd.scale ** 2,
                               [d.covs.item() for d in pg.distributions], rtol=1e-3)
    np.testing.assert_allclose(ours["z"].cpd.table, torch.exp(pg._log_priors).numpy(), atol=1e-4)


def test_samples_of_a_one_element_vector_fit_back():
    # a real of shape [1, 1] is written as column x[0] by sampling and read as x[0] by fitting
    m = pgmkit.model({"name": "t", "variables": {
        "z": {"states": ["a", "b"], "latent": True, "cpd": [0.5, 0.5]},
        "x": {"real": [1, 1], "parents": ["z"], "cpd": {"normal": {"loc": [0, 1], "scale": 1}}}}})
    data = m.sample(50, seed=0)
    assert list(data.columns) == ["z", "x[0]"]
    assert m.fit(data.drop(columns="z"), max_iter=3, progress=False).history.method == "em"


def test_predict_next_of_a_real_leaf_is_the_mixture_mean():
    # first event: sum_k p(regime_1 = k) loc_k; second: one transition step further
    hmm = pgmkit.example("gaussian_hmm")
    logs = hmm.sample_sequences(2, 2, seed=0).drop(columns=["regime"])
    pred = hmm.predict_next(logs)
    pi = np.array([0.5, 0.3, 0.2])
    a = hmm.spec["regime"].cpd.table
    loc = np.array([-2.0, 0.0, 3.0])
    scale = np.array([0.5, 0.7, 1.0])
    first = logs["step"] == 0
    assert pred.loc[first, "E(x)"].to_numpy() == pytest.approx([pi @ loc] * 2)
    for i in np.flatnonzero(~first.to_numpy()):
        x0 = logs.loc[(logs["sequence"] == logs["sequence"].iloc[i]) & first, "x"].item()
        post = pi * np.exp(-0.5 * ((x0 - loc) / scale) ** 2) / scale
        assert pred["E(x)"].iloc[i] == pytest.approx((post / post.sum()) @ a @ loc)
