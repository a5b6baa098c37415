"""Autoregressive CPDs: exact normalization over all 2^D configurations, masking (no
dimension sees itself or a later one), completion against brute-force conditionals,
reproducibility, conditional models, persistence and located errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import pgmkit
from pgmkit.errors import DataError, SpecError

torch = pytest.importorskip("torch")


def make(network: str, shape=(6,), family="bernoulli", parents=None, **extra):
    body = {"network": network, "family": family, **extra}
    if network == "nade":
        body.setdefault("hidden", [5])
    if network in ("made",):
        body.setdefault("hidden", [7, 6])
    if network == "pixelcnn":
        body.setdefault("hidden", [4, 4])
        body.setdefault("kernel", 3)
    variables = {"x": {"real": list(shape), "cpd": {"autoregressive": body}}}
    if parents:
        variables["x"]["parents"] = list(parents)
        variables.update(parents)
    return pgmkit.model({"name": "m", "variables": variables})


def all_configs(size: int, values=(0, 1)) -> np.ndarray:
    return np.array(list(itertools.product(values, repeat=size)), dtype=float)


def randomize(model, seed=1):
    """Weights far from their initial values, so masks and sums are tested in earnest."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.network.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    model._compiled.pop("torch64", None)
    return model


CASES = [("fvsbn", (12,), {}), ("nade", (10,), {}), ("made", (12,), {}),
         ("made", (8,), {"orders": 3}), ("made", (8,), {"order": [3, 1, 7, 0, 2, 6, 4, 5]}),
         ("nade", (8,), {"order": [7, 6, 5, 4, 3, 2, 1, 0]}), ("pixelcnn", (3, 4), {})]


@pytest.mark.parametrize("network, shape, extra", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_probabilities_of_all_configurations_sum_to_one(network, shape, extra):
    m = randomize(make(network, shape, **extra))
    size = int(np.prod(shape))
    grid = all_configs(size).reshape((-1,) + tuple(shape))
    total = np.exp(m.log_likelihood(grid, per_row=True).to_numpy()).sum()
    assert abs(total - 1.0) < 1e-6


def test_categorical_family_sums_to_one_over_all_configurations():
    m = randomize(make("made", (4,), family="categorical", categories=3))
    total = np.exp(m.log_likelihood(all_configs(4, (0, 1, 2)), per_row=True).to_numpy()).sum()
    assert abs(total - 1.0) < 1e-6


def test_conditional_model_sums_to_one_for_each_parent_value():
    m = randomize(make("nade", (6,), parents={"y": {"states": ["a", "b", "c"]}}))
    grid = all_configs(6)
    for state in ("a", "b", "c"):
        ll = m.log_likelihood({"x": grid, "y": [state] * len(grid)}, per_row=True)
        assert abs(np.exp(ll.to_numpy()).sum() - 1.0) < 1e-6
    a = m.log_likelihood({"x": grid[:3], "y": ["a"] * 3}, per_row=True).to_numpy()
    b = m.log_likelihood({"x": grid[:3], "y": ["b"] * 3}, per_row=True).to_numpy()
    assert not np.allclose(a, b), "the parent must change the distribution"


@pytest.mark.parametrize("network, shape, extra", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_no_dimension_sees_itself_or_a_later_one(network, shape, extra):
    m = randomize(make(network, shape, **extra))
    net = m.network.double()
    size = int(np.prod(shape))
    for k, order in enumerate(net.orders):
        rank = np.argsort(order)
        jac = 0
        for seed in range(20):      # several inputs: a ReLU unit is dead at some of them
            x = torch.rand(1, size, dtype=torch.float64,
                           generator=torch.Generator().manual_seed(seed))
            j = torch.autograd.functional.jacobian(
                lambda v: net.net(net.encode(v), None, k)[0, :, 0], x)
            jac = jac + j[:, 0, :].abs().numpy()        # jac[i, j] = d out_i / d x_j
        allowed = rank[None, :] < rank[:, None]
        assert (jac[~allowed] == 0).all(), f"ordering {k}: a dimension sees itself or a later one"
        assert (jac[allowed] > 0).sum() > 0.5 * allowed.sum(), "the masks cut too much"


def brute_conditional(m, row: np.ndarray) -> dict[tuple, float]:
    """p(x_missing | x_observed) by enumerating every completion."""
    miss = np.flatnonzero(np.isnan(row))
    fills = all_configs(len(miss))
    full = np.repeat(row[None], len(fills), 0)
    full[:, miss] = fills
    p = np.exp(m.log_likelihood(full, per_row=True).to_numpy())
    return {tuple(f): q / p.sum() for f, q in zip(fills, p)}


@pytest.mark.parametrize("row, extra", [
    ([1, 0, 1, np.nan, np.nan, np.nan], {}),                  # a suffix: exact draws
    ([np.nan, 1, np.nan, 0, 1, np.nan], {}),                  # a scattered pattern: resampling
    ([1, np.nan, 0, np.nan, 1, 1], {"orders": 2}),            # a mixture of orderings
])
def test_completion_draws_from_the_exact_conditional(row, extra):
    m = randomize(make("made", (6,), **extra), seed=3)
    row = np.array(row, dtype=float)
    truth = brute_conditional(m, row)
    n = 2000
    out = m.complete(np.repeat(row[None], n, 0), seed=0, particles=100)
    obs = ~np.isnan(row)
    assert (out[:, obs] == row[obs]).all() and np.isin(out, (0, 1)).all()
    miss = np.flatnonzero(~obs)
    keys, counts = np.unique(out[:, miss], axis=0, return_counts=True)
    freq = {tuple(k): c / n for k, c in zip(keys, counts)}
    tv = 0.5 * sum(abs(freq.get(k, 0.0) - p) for k, p in truth.items())
    assert tv < 0.07, tv


def test_samples_follow_the_model():
    m = randomize(make("fvsbn", (4,)), seed=5)
    grid = all_configs(4)
    p = np.exp(m.log_likelihood(grid, per_row=True).to_numpy())
    draws = m.sample(4000, seed=1)["x"]
    idx = (draws @ (2 ** np.arange(3, -1, -1))).astype(int)
    freq = np.bincount(idx, minlength=16) / len(draws)
    assert 0.5 * np.abs(freq - p).sum() < 0.05


def test_fit_is_reproducible_and_learns():
    rng = np.random.default_rng(0)
    first = rng.random(400) < 0.8
    x = np.stack([first, first, ~first, rng.random(400) < 0.3], 1).astype(float)
    a = make("made", (4,), hidden=[16]).fit(x, epochs=30, batch_size=50, lr=1e-2, seed=7,
                                            progress=False)
    b = make("made", (4,), hidden=[16]).fit(x, epochs=30, batch_size=50, lr=1e-2, seed=7,
                                            progress=False)
    assert a.log_likelihood(x) == b.log_likelihood(x)
    for k, v in a.network.state_dict().items():
        assert torch.equal(v, b.network.state_dict()[k])
    # the source's entropy is 1.11 nats per row; independent pixels would cost 2.11
    assert a.log_likelihood(x) / len(x) > -1.4
    assert a.history.log_likelihood[-1] > a.history.log_likelihood[0]


def test_validation_patience_and_checkpoints(tmp_path):
    x = (np.random.default_rng(1).random((200, 5)) < 0.3).astype(float)
    m = make("fvsbn", (5,)).fit(x[:150], epochs=40, lr=0.05, validation=x[150:], patience=2,
                                progress=False, checkpoint_dir=tmp_path)
    assert m.history.extra["epochs"] <= 40 and (tmp_path / "checkpoint.pt").is_file()
    assert max(m.history.extra["valid_log_likelihood"]) == pytest.approx(
        m.log_likelihood(x[150:]) / 50, abs=1e-4)
    with pytest.raises(DataError, match="patience"):
        make("fvsbn", (5,)).fit(x, epochs=1, patience=2, progress=False)


def test_resume_continues_the_same_run(tmp_path):
    x = (np.random.default_rng(2).random((120, 5)) < 0.4).astype(float)
    whole = make("nade", (5,)).fit(x, epochs=6, seed=3, progress=False)
    make("nade", (5,)).fit(x, epochs=3, seed=3, progress=False, checkpoint_dir=tmp_path)
    resumed = make("nade", (5,)).fit(x, epochs=6, seed=3, progress=False,
                                     checkpoint_dir=tmp_path, resume=True)
    assert resumed.log_likelihood(x) == pytest.approx(whole.log_likelihood(x), abs=1e-9)


def test_save_and_load_round_trip(tmp_path):
    m = randomize(make("pixelcnn", (3, 3)))
    folder = m.save(tmp_path / "pcnn")
    again = pgmkit.load(folder)
    assert type(again).__name__ == "AutoregressiveModel" and again.spec == m.spec
    x = all_configs(9)[:20].reshape(-1, 3, 3)
    assert np.allclose(again.log_likelihood(x, per_row=True), m.log_likelihood(x, per_row=True))


def test_zoo_models_have_the_issue_architectures():
    assert pgmkit.example("fvsbn").num_parameters() == 2080
    nade = pgmkit.example("nade")
    assert nade.num_parameters() == 64 * 64 * 2 + 64 + 64
    made = pgmkit.example("made")
    assert made.spec["x"].cpd.hidden == (256,) and made.network.num_orders == 1
    assert pgmkit.example("pixelcnn").sample(3, seed=0)["x"].shape == (3, 8, 8)


def test_bits_per_dim_is_nats_rescaled():
    m = make("fvsbn", (6,))
    x = all_configs(6)[:10]
    assert m.bits_per_dim(x) == pytest.approx(-m.log_likelihood(x) / (60 * np.log(2)))


@pytest.mark.parametrize("body, shape, message", [
    ({"network": "mad"}, [4], "did you mean 'made'"),
    ({"network": "made", "family": "poisson"}, [4], "family 'poisson' is unknown"),
    ({"network": "made", "family": "categorical"}, [4], "needs 'categories"),
    ({"network": "made", "order": [0, 1, 1, 3]}, [4], "must list each of the 4 dimensions"),
    ({"network": "pixelcnn"}, [16], r"needs an image variable 'real: \[H, W\]'"),
    ({"network": "pixelcnn", "kernel": 4}, [4, 4], "odd size"),
    ({"network": "pixelcnn", "order": [3, 2, 1, 0]}, [2, 2], "raster order only"),
    ({"network": "nade", "hidden": [4, 4]}, [4], "one shared hidden layer"),
    ({"network": "fvsbn", "hidden": [4]}, [4], "no hidden layer"),
    ({"network": "fvsbn", "orders": 2}, [4], "several orderings"),
    ({"network": "made", "depth": 2}, [4], "unknown key 'depth'"),
])
def test_misuse_is_a_located_spec_error(body, shape, message):
    text = ("name: bad\nvariables:\n  x:\n    real: " + str(shape) +
            "\n    cpd: {autoregressive: " + str(body).replace("'", "") + "}\n")
    from pgmkit.spec.build import build_spec
    from pgmkit.spec.yaml_io import parse_yaml

    with pytest.raises(SpecError, match=message) as err:
        build_spec(parse_yaml(text), source="bad.yaml")
    assert "bad.yaml:" in str(err.value) and "'x'" in str(err.value)


def test_states_variable_and_latent_parent_are_refused():
    with pytest.raises(SpecError, match="needs a real vector or image variable"):
        pgmkit.model({"variables": {"x": {"states": ["a", "b"], "cpd": {
            "autoregressive": {"network": "made"}}}}})
    with pytest.raises(SpecError, match="is latent"):
        pgmkit.model({"variables": {"z": {"real": [2], "latent": True}, "x": {
            "real": [3], "parents": ["z"], "cpd": {"autoregressive": {"network": "made"}}}}})


def test_bad_data_is_a_data_error():
    m = make("made", (4,))
    with pytest.raises(DataError, match="bernoulli: entries must be 0 or 1; received 2"):
        m.log_likelihood(np.full((1, 4), 2.0))
    with pytest.raises(DataError, match=r"has shape \[2, 5\]; expected \[n, 4\]"):
        m.log_likelihood(np.zeros((2, 5)))
    with pytest.raises(DataError, match="row 1 of 'x' has NaN"):
        m.log_likelihood(np.array([[0, 0, 0, 0], [0, np.nan, 0, 0]]))
    c = make("made", (4,), parents={"y": {"states": ["a", "b"]}})
    with pytest.raises(DataError, match="conditioned on 'y'"):
        c.log_likelihood(np.zeros((1, 4)))
    with pytest.raises(DataError, match="'q' is not a state"):
        c.log_likelihood({"x": np.zeros((1, 4)), "y": ["q"]})


def test_cli_trains_and_samples_an_autoregressive_model(tmp_path):
    from tests.conftest import run_cli

    out = run_cli("train", "fvsbn", "--data", "digits", "--epochs", "1", "-o", tmp_path / "run",
                  "--no-progress")
    assert out.returncode == 0, out.stderr
    assert "log-likelihood per row" in out.stdout
    again = pgmkit.load(tmp_path / "run")
    assert type(again).__name__ == "AutoregressiveModel"
    out = run_cli("sample", tmp_path / "run", "-n", "4", "--png", tmp_path / "grid.png")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "grid.png").stat().st_size > 0
