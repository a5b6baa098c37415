"""The objectives against ground truth: beta weighting, IWAE bounds, exact enumeration."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import pgmkit
from pgmkit.backends.pyro import infer as enum
from pgmkit.backends.pyro.compile import Program
from pgmkit.spec.build import build_spec
from tests.deep.helpers import mixture_data, tiny_vae


def _with_beta(model, beta: float):
    """The same fitted weights under a spec whose latent z carries ``beta``."""
    from dataclasses import replace

    spec = model.spec
    variables = tuple(replace(v, beta=beta) if v.name == "z" else v for v in spec.variables)
    return type(model)(spec.replace(variables=variables), weights=model.program.state_dict())


def _kl_per_row(model, x) -> float:
    """KL(q(z|x) || N(0, I)) per row, in closed form from the guide network."""
    net = model.program.guide_nets[0]
    with torch.no_grad():
        q = net(torch.as_tensor(x, dtype=torch.float32))
    loc, scale = q.base_dist.loc, q.base_dist.scale
    return float((0.5 * (loc ** 2 + scale ** 2 - 1) - scale.log()).sum(-1).mean())


def test_beta_one_is_exactly_the_elbo(trained_vae, digits_small):
    xt = digits_small[2]
    same = _with_beta(trained_vae, 1.0)
    assert same.spec == trained_vae.spec
    assert same.elbo(xt, seed=4) == trained_vae.elbo(xt, seed=4)


@pytest.mark.parametrize("beta", [0.5, 2.0, 4.0])
def test_beta_weighs_only_the_kl_term(trained_vae, digits_small, beta):
    xt = digits_small[2]
    plain = trained_vae.elbo(xt, seed=4)
    weighted = _with_beta(trained_vae, beta).elbo(xt, seed=4)
    # Same seed, same draws of z: the objectives differ by (beta - 1) * KL exactly.
    assert plain - weighted == pytest.approx((beta - 1) * _kl_per_row(trained_vae, xt), rel=1e-4)


def test_beta_vae_zoo_model_has_beta():
    m = pgmkit.example("beta_vae")
    assert m.spec["z"].beta == 4 and pgmkit.example("vae").spec["z"].beta == 1


def test_iwae_rises_with_k_and_never_falls_below_the_elbo(digits_small):
    # Briefly trained, so the guide is still loose and the bound has room to tighten.
    x, _, xt, _ = digits_small
    m = pgmkit.model(tiny_vae()).fit(x, epochs=2, batch_size=50, lr=1e-2, seed=0, progress=False)
    elbo = m.elbo(xt, num_samples=200, seed=1)
    # log_likelihood is the total over the rows; elbo is per row
    bounds = [m.log_likelihood(xt, num_samples=k, seed=1) / len(xt) for k in (1, 10, 200)]
    assert bounds[0] == pytest.approx(elbo, abs=0.3)  # K=1 is an ELBO estimate
    assert bounds[0] + 0.1 < bounds[1] < bounds[2]
    assert bounds[2] > elbo + 0.1
    rows = m.log_likelihood(xt, num_samples=10, per_row=True)
    assert rows.shape == (len(xt),) and np.all(np.isfinite(rows))


def test_gmm_log_likelihood_matches_the_mixture_density():
    """z is enumerated: log p(x) = log sum_k pi_k N(x; mu_k, sigma_k), exactly."""
    g = pgmkit.load(pgmkit.api.MODELS_DIR / "gmm_svi.yaml", backend="pyro")
    x = mixture_data(50, seed=2)
    spec = g.spec
    pi, mu, sd = spec["z"].cpd.table, spec["x"].cpd.loc, spec["x"].cpd.scale
    comp = [np.log(pi[k]) - 0.5 * (((x - mu[k]) / sd[k]) ** 2 + np.log(2 * np.pi * sd[k] ** 2)).sum(1)
            for k in range(3)]
    want = np.logaddexp.reduce(np.stack(comp), axis=0)
    got = g.log_likelihood(x, num_samples=1, per_row=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    assert g.elbo(x) == pytest.approx(want.mean(), abs=1e-3)  # nothing sampled: ELBO = log p


def _random_net(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    cards = {"A": 2, "B": 3, "C": 2, "D": 3}
    parents = {"A": [], "B": ["A"], "C": ["A", "B"], "D": ["C"]}
    out = {}
    for v, ps in parents.items():
        shape = [cards[p] for p in ps] + [cards[v]]
        table = rng.dirichlet(np.ones(cards[v]) * 0.7, size=int(np.prod(shape[:-1]))).reshape(shape)
        out[v] = {"states": [f"s{i}" for i in range(cards[v])], "parents": ps,
                  "cpd": table.reshape(-1, cards[v]).tolist() if ps else table.tolist()}
    return {"name": f"random{seed}", "variables": out}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_enumerated_log_likelihood_matches_brute_force(seed):
    from tests.conftest import brute_joint

    spec = build_spec(_random_net(seed))
    names, joint = brute_joint(spec)
    program = Program(spec, dtype=torch.float64)
    for observed in (("D",), ("B", "D"), ("A", "C", "D")):
        axes = tuple(i for i, n in enumerate(names) if n not in observed)
        marginal = joint.sum(axis=axes)
        combos = list(itertools.product(*(range(spec[o].card) for o in observed)))
        data = {o: torch.tensor([c[i] for c in combos]) for i, o in enumerate(observed)}
        got = enum.log_evidence(program, data, len(combos)).numpy()
        want = np.log([marginal[c] for c in combos])
        np.testing.assert_allclose(got, want, atol=1e-10)


def test_neural_mixture_enumeration_matches_brute_force():
    """A discrete latent feeding a neural CPD: enumeration equals the explicit sum over states."""
    spec = build_spec({"name": "nmix", "variables": {
        "c": {"states": ["a", "b", "c"], "latent": True, "cpd": [0.2, 0.5, 0.3]},
        "x": {"real": [2], "parents": ["c"],
              "cpd": {"neural": {"family": "normal", "hidden": [5], "activation": "tanh"}}}}})
    m = pgmkit.model(spec)
    x = mixture_data(20, seed=3)
    site = m.program.site("x")
    with torch.no_grad():
        per_state = [site(torch.full((20,), k)).log_prob(torch.as_tensor(x, dtype=torch.float32))
                     for k in range(3)]
    want = torch.logsumexp(torch.stack(per_state) + torch.log(torch.tensor([0.2, 0.5, 0.3]))[:, None],
                           dim=0).numpy()
    np.testing.assert_allclose(m.log_likelihood(x, num_samples=1, per_row=True), want, atol=1e-4)


def test_m2_enumerates_the_class_in_the_guide(digits_small):
    """y summed exactly in the guide: IWAE sums over y too, so K=1 already beats the ELBO."""
    x = digits_small[2][:40]
    spec = build_spec({"name": "m2_tiny", "variables": {
        "y": {"states": ["0", "1", "2"], "latent": True, "cpd": [0.3, 0.3, 0.4]},
        "z": {"real": [2], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [64], "parents": ["y", "z"],
              "cpd": {"neural": {"family": "bernoulli", "hidden": [8]}}}},
        "guide": {"y": {"neural": {"given": ["x"], "family": "categorical", "hidden": [8]}},
                  "z": {"neural": {"given": ["x", "y"], "family": "normal", "hidden": [8]}}}})
    m = pgmkit.model(spec)
    elbo = m.elbo(x, num_samples=100)
    assert m.log_likelihood(x, num_samples=1) / len(x) > elbo      # total vs per-row ELBO
    assert m.log_likelihood(x, num_samples=100) > m.log_likelihood(x, num_samples=1)
    fitted = m.fit(x, epochs=3, batch_size=20, lr=1e-2, progress=False)
    assert fitted.encode(x[:5], "y").shape == (5, 3)
    np.testing.assert_allclose(fitted.encode(x[:5], "y").sum(1), 1.0, atol=1e-5)


def test_zoo_gmm_fitted_by_svi_recovers_the_mixture():
    """models/gmm.yaml (scalar x) through backend='pyro': enumeration plus learned normals."""
    from scipy.stats import norm

    g = pgmkit.example("gmm", backend="pyro")
    rng = np.random.default_rng(5)
    comp = rng.choice(3, 3000, p=[0.2, 0.5, 0.3])
    x = np.array([-6.0, 0.0, 4.0])[comp] + rng.normal(size=3000) * np.array([0.5, 1.0, 0.7])[comp]
    start = g.spec
    want = np.log(sum(start["z"].cpd.table[k] * norm.pdf(x, start["x"].cpd.loc[k],
                                                          start["x"].cpd.scale[k])
                      for k in range(3)))
    np.testing.assert_allclose(g.log_likelihood(x, num_samples=1, per_row=True), want,
                               rtol=1e-5, atol=1e-4)
    fitted = g.fit(x, epochs=60, batch_size=1000, lr=0.05, seed=0, progress=False)
    cpd = fitted.spec["x"].cpd
    order = np.argsort(cpd.loc)
    np.testing.assert_allclose(cpd.loc[order], [-6.0, 0.0, 4.0], atol=0.15)
    np.testing.assert_allclose(cpd.scale[order], [0.5, 1.0, 0.7], atol=0.1)
    np.testing.assert_allclose(fitted.spec["z"].cpd.table[order], [0.2, 0.5, 0.3], atol=0.03)
