"""The argument validator also guards the classes added later: the autoregressive
(FVSBN/MADE/PixelCNN), the neural temporal and the adversarial models refuse a bad count, seed, training
setting or unknown keyword with a DataError naming the argument, before any work starts."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import pgmkit
from pgmkit.errors import DataError, EvidenceError


def _autoregressive():
    model = pgmkit.example("fvsbn")
    data = (np.random.default_rng(0).random((6, 64)) < 0.5).astype(float)
    return model, data, model.sample


def _neural_temporal():
    model = pgmkit.example("neural_hmm")
    logs = model.sample_sequences(2, 4, seed=0).drop(columns=["regime"])
    return model, logs, lambda n, **kw: model.sample_sequences(n, 3, **kw)


def _adversarial():
    from tests.adversarial.helpers import tiny_gan

    model = pgmkit.model(tiny_gan())
    data = np.random.default_rng(0).random((40, 64))
    return model, data, model.sample


MAKERS = {"autoregressive": _autoregressive, "neural_temporal": _neural_temporal,
          "adversarial": _adversarial}


@pytest.fixture(scope="module", params=sorted(MAKERS))
def case(request):
    return MAKERS[request.param]()


@pytest.mark.parametrize("n", [0, -1, True, 2.5, "3", None])
def test_sample_counts(case, n):
    _, _, sample = case
    with pytest.raises(DataError, match="argument 'n' must be a whole number >= 1"):
        sample(n)


def test_sample_seed(case):
    _, _, sample = case
    with pytest.raises(DataError, match="argument 'seed' must be a whole number >= 0"):
        sample(2, seed=-1)
    with pytest.raises(DataError, match="argument 'seed'"):
        sample(2, seed=1.5)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"epochs": 0}, "argument 'epochs' must be a whole number >= 1"),
    ({"batch_size": 0}, "argument 'batch_size' must be a whole number >= 1"),
    ({"lr": -1}, "argument 'lr' must be a finite number > 0"),
    ({"lr": float("nan")}, "argument 'lr'"),
    ({"seed": -1}, "argument 'seed'"),
    ({"patience": 0}, "argument 'patience'"),
    ({"progress": 1}, "argument 'progress' must be True or False"),
    ({"resume": "yes"}, "argument 'resume' must be True or False"),
    ({"epoch": 2}, "unexpected keyword argument 'epoch'; parameters are"),
])
def test_training_arguments(case, kwargs, fragment):
    model, data, _ = case
    if "patience" in kwargs and "patience" not in inspect.signature(model.fit).parameters:
        fragment = "unexpected keyword argument 'patience'"     # a GAN has no validation
    with pytest.raises(DataError) as info:
        model.copy().fit(data, **{"progress": False, **kwargs})
    assert fragment in str(info.value)


def test_likelihood_arguments_and_valid_calls_still_work(case):
    model, data, sample = case
    if not hasattr(model, "log_likelihood"):
        pytest.skip("an adversarial model has no likelihood")
    with pytest.raises(DataError, match="argument 'per_row' must be True or False"):
        model.log_likelihood(data, per_row=1)
    with pytest.raises(DataError, match="unexpected keyword argument 'perrow'"):
        model.log_likelihood(data, perrow=True)
    rows = model.log_likelihood(data, per_row=True)
    assert np.isclose(rows.sum(), model.log_likelihood(data))
    assert len(sample(2, seed=0)) > 0


def test_autoregressive_only_arguments():
    model, data, _ = _autoregressive()
    holes = data.copy()
    holes[:, 40:] = np.nan
    with pytest.raises(DataError, match="argument 'particles' must be a whole number >= 1"):
        model.complete(holes, particles=0)
    with pytest.raises(DataError, match="argument 'seed'"):
        model.complete(holes, seed=-3)
    with pytest.raises(EvidenceError, match="argument 'given' must be a mapping"):
        model.sample(2, given=[1, 2])
    out = model.complete(holes, seed=0)
    assert np.array_equal(out[:, :40], data[:, :40]) and np.isin(out, (0, 1)).all()


def test_neural_temporal_only_arguments():
    model, logs, _ = _neural_temporal()
    with pytest.raises(DataError, match="argument 'length' must be a whole number >= 1"):
        model.sample_sequences(2, 0)
    with pytest.raises(DataError, match="argument 'length'"):
        model.sample_sequences(2, True)
    with pytest.raises(DataError, match="argument 'clip' must be a finite number > 0"):
        model.copy().fit(logs, clip=0, progress=False)
    for method in (model.filter, model.smooth, model.viterbi, model.predict_next):
        with pytest.raises(DataError, match="unexpected keyword argument 'seqence'"):
            method(logs, seqence="sequence")
    post = model.filter(logs)
    np.testing.assert_allclose(post.filter(like="P(regime=").sum(axis=1), 1.0, rtol=1e-5)   # float32 network


def test_adversarial_only_arguments():
    model, data, _ = _adversarial()
    with pytest.raises(DataError, match="argument 'steps' must be a whole number >= 1"):
        model.interpolate(np.zeros(4), np.ones(4), steps=0)
    with pytest.raises(DataError, match="argument 'n'"):
        model.score(n=0)
    with pytest.raises(DataError, match="argument 'seed'"):
        model.interpolate(np.zeros(4), np.ones(4), seed=-1)
    fitted = model.copy().fit(data, epochs=1, batch_size=20, seed=0, progress=False)
    a, b = fitted.sample(3, seed=5)["x"], fitted.sample(3, seed=5)["x"]
    assert a.shape == (3, 64) and np.array_equal(a, b)
