"""DBN queries condition on whatever is observed at any time: an observed variable's gaps
are summed out, and a latent variable's cell, where given, is evidence at that step."""
from __future__ import annotations

import numpy as np

import pgmkit
from tests.temporal.temporal_brute import evidence_of, marginal


def test_smoothing_with_a_latent_state_known_at_one_step_matches_the_unrolled_net():
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(1, 5, seed=0)
    logs["weather"] = None
    logs.loc[2, "weather"] = "rainy"                 # known at t=2 only
    logs.loc[4, "activity"] = None                   # and one observation missing
    got = hmm.smooth(logs)
    rows = logs[["weather", "activity"]].to_dict("records")
    ev = evidence_of(hmm.spec, rows)
    for t in range(5):
        want = marginal(hmm.spec, 5, ev, (t, "weather"))
        np.testing.assert_allclose(got.loc[t, [f"P(weather={s})" for s in hmm.spec["weather"].states]]
                                   .to_numpy(dtype=float), want, atol=1e-9)
    assert got.loc[2, "P(weather=rainy)"] == 1.0
