"""The temporal zoo: every model loads, round-trips, compiles; lags are checked."""
from __future__ import annotations

import numpy as np
import pytest

import pgmkit
from pgmkit.backends.forward_backward.compile import layout_of, to_dense_hmm
from temporal_brute import evidence_of, marginal

TEMPORAL = ["hmm", "gaussian_hmm", "factorial_hmm", "coupled_hmm", "boltzmann_zipper", "bkt",
            "bkt_forget", "emotion_dbn"]


@pytest.mark.parametrize("name", TEMPORAL + ["gmm"])
def test_zoo_model_round_trips_and_compiles(name, tmp_path):
    model = pgmkit.example(name)
    assert not model.spec.missing_cpds
    again = pgmkit.load(model.save(tmp_path / f"{name}.yaml"))
    assert again == model
    layout = layout_of(model.spec)
    assert set(layout.state) == set(model.spec.latent_names)
    if model.spec.temporal:
        logs = model.sample_sequences(3, 4, seed=0).drop(columns=list(model.spec.latent_names))
        assert np.isfinite(model.log_likelihood(logs, per_row=True)).all()


def test_factorial_hmm_compiles_to_one_dense_hmm_over_the_product():
    hmm = to_dense_hmm(pgmkit.example_spec("factorial_hmm"))
    assert hmm.n_distributions == 4
    a = np.exp(hmm.edges.detach().numpy())
    spec = pgmkit.example_spec("factorial_hmm")
    np.testing.assert_allclose(a, np.kron(spec["h"].cpd.table, spec["v"].cpd.table), atol=1e-6)


def test_emotion_dbn_smoothing_matches_unrolled():
    model = pgmkit.example("emotion_dbn")
    logs = model.sample_sequences(1, 3, seed=4).drop(columns=["Valence", "Emotion"])
    logs.loc[1, "Notes"] = None
    smooth = model.smooth(logs)
    rows = [{c: logs.iloc[t][c] for c in logs.columns if c not in ("sequence", "step")}
            for t in range(3)]
    ev = evidence_of(model.spec, rows)
    for t in range(3):
        cols = [f"P(Emotion={s})" for s in model.spec["Emotion"].states]
        np.testing.assert_allclose(smooth.iloc[t][cols].to_numpy(float),
                                   marginal(model.spec, 3, ev, (t, "Emotion")), atol=1e-9)


def test_lag_two_is_refused_clearly():
    with pytest.raises(pgmkit.SpecError, match=r"lag 2; only lag 1"):
        pgmkit.model({"name": "x", "temporal": True, "variables": {
            "h": {"states": ["a", "b"], "latent": True, "parents": ["h[t-2]"]}}})
