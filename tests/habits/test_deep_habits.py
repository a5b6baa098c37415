"""A neural categorical child used as a classifier (predict / predict_proba), and the
warning for unscaled real data under a Gaussian decoder."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.errors import ScaleWarning

LOGREG = {"name": "logreg", "variables": {
    "x": {"real": [2], "cpd": {"normal": {"loc": 0, "scale": 1}}},
    "y": {"states": ["a", "b", "c"], "parents": ["x"],
          "cpd": {"neural": {"family": "categorical", "hidden": []}}}}}


@pytest.fixture(scope="module")
def fitted_logreg():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 2))
    logits = x @ np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]]).T
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array(["a", "b", "c"])[[rng.choice(3, p=row) for row in p]]
    m = pgmkit.model(LOGREG).fit({"x": x, "y": y}, epochs=30, lr=0.05, seed=0, progress=False)
    return m, x, y, p


def test_predict_proba_is_bayes_rule_on_the_fitted_model(fitted_logreg):
    m, x, y, p_true = fitted_logreg
    proba = m.predict_proba({"x": x[:20]})
    assert list(proba.columns) == ["P(y=a)", "P(y=b)", "P(y=c)"]
    # another route to the same number: log p(x, y=k) - log p(x), both exact here
    joint = np.stack([np.asarray(m.log_likelihood({"x": x[:20], "y": np.full(20, k)}, num_samples=1,
                                       per_row=True)) for k in ("a", "b", "c")], axis=1)
    marginal = np.asarray(m.log_likelihood({"x": x[:20]}, num_samples=1, per_row=True))
    np.testing.assert_allclose(proba.to_numpy(), np.exp(joint - marginal[:, None]), atol=1e-5)
    # and it learned the truth's classifier: measured 0.05 mean absolute error
    assert np.abs(m.predict_proba({"x": x}).to_numpy() - p_true).mean() < 0.1


def test_predict_with_ids_in_a_frame(fitted_logreg):
    m, x, y, _ = fitted_logreg
    frame = pd.DataFrame({"id": np.arange(100) + 500, "x[0]": x[:100, 0], "x[1]": x[:100, 1]})
    with pytest.raises(pgmkit.DataError):
        m.predict(frame)
    out = m.predict(frame, keep="id")
    assert list(out.columns[:3]) == ["id", "y", "probability"]
    assert out["id"].tolist() == list(range(500, 600))
    assert (out["y"].to_numpy() == y[:100]).mean() > 0.6


def test_unscaled_data_under_a_gaussian_decoder_warns():
    spec = {"name": "vae", "variables": {
        "z": {"real": [1], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [3], "parents": ["z"],
              "cpd": {"neural": {"family": "normal", "hidden": [4]}}}}}
    rng = np.random.default_rng(1)
    with pytest.warns(ScaleWarning, match=r"'x' has mean 9\.\d+ and sd 1\.\d+"):
        pgmkit.model(spec).fit(10 + 2 * rng.normal(size=(100, 3)), epochs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScaleWarning)
        pgmkit.model(spec).fit(rng.normal(size=(100, 3)), epochs=1, progress=False)


def test_a_headerless_csv_is_one_clear_error(tmp_path):
    from pgmkit.data.tables import read_csv

    path = tmp_path / "x.csv"
    np.savetxt(path, np.random.default_rng(0).normal(size=(5, 3)), delimiter=",")
    with pytest.raises(pgmkit.DataError, match=r"first row .* is numbers, not column names.*x\[0\]"):
        read_csv(path)
    pd.DataFrame({"x[0]": [1.0], "x[1]": [2.0]}).to_csv(path, index=False)
    assert list(read_csv(path).columns) == ["x[0]", "x[1]"]
