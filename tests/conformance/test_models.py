"""Every bundled model on every backend: the backends that claim it load it and answer
through the public API; the others refuse it with an UnsupportedError naming them."""
from __future__ import annotations

import pytest

import pgmkit
from pgmkit.api import CLASSES, zoo_names
from pgmkit.backends.contract import engine


def _claimed(spec, backend) -> bool:
    return any(engine(backend).supports(spec, op) for op, _, _ in CLASSES)


def _exercise(model):
    """One cheap public call per model class."""
    kind = type(model).__name__
    if kind == "BayesNet":
        first = model.spec.names[0]
        assert abs(sum(model.query(first).values) - 1) < 1e-9
        assert len(model.sample(3, seed=0)) == 3
    elif kind == "DynamicBayesNet":
        logs = model.sample_sequences(2, 3, seed=0)
        assert isinstance(model.log_likelihood(logs), float)
        if model.spec.latent_names:
            assert len(model.smooth(logs)) == 6
    elif kind == "MixtureModel":
        rows = model.sample(5, seed=0)
        assert isinstance(model.log_likelihood(rows.drop(columns=list(model.spec.latent_names))),
                          float)
    elif kind == "DeepModel":
        draws = model.sample(2, seed=0)
        assert all(len(v) == 2 for v in draws.values())
    else:                 # a class this suite has no cheap call for yet: it describes itself
        assert model.spec.name in repr(model) or model.describe()


@pytest.mark.parametrize("name", zoo_names())
def test_bundled_model_on_backend(name, backend):
    spec = pgmkit.example_spec(name)
    if not _claimed(spec, backend):       # refused up front, by name, with the reason
        with pytest.raises(pgmkit.UnsupportedError, match=f"'{backend}'"):
            pgmkit.example(name, backend=backend)
        return
    try:
        model = pgmkit.example(name, backend=backend)
    except pgmkit.CostError as exc:    # claimed, but past this engine's size budget
        assert "handles up to" in str(exc) or "limit" in str(exc), exc
        return
    assert model.backend == engine(backend).name
    _exercise(model)


@pytest.mark.parametrize("name", zoo_names())
def test_bundled_model_default_backend_is_the_first_that_claims_it(name):
    model = pgmkit.example(name)
    assert engine(model.backend).supports(model.spec, model.operation)
