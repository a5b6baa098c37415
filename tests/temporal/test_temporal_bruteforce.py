"""Filter, smooth, Viterbi, one-step prediction and log-likelihood against brute force
over the unrolled network, on tiny models (T <= 5), ragged lengths and NaN."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import pgmkit
from temporal_brute import evidence_of, log_likelihood, map_path, marginal

# an autoregressive HMM: the observed x has a lagged parent, so it joins the product
# state and its missing values are summed out as hidden ones
ARHMM = {
    "name": "arhmm", "temporal": True,
    "variables": {
        "h": {"states": ["a", "b"], "latent": True, "parents": ["h[t-1]"],
              "initial": [0.6, 0.4], "cpd": {"a": [0.8, 0.2], "b": [0.3, 0.7]}},
        "x": {"states": ["0", "1"], "parents": ["h", "x[t-1]"],
              "initial": {"a": [0.9, 0.1], "b": [0.2, 0.8]},
              "cpd": {"a, 0": [0.85, 0.15], "a, 1": [0.5, 0.5],
                      "b, 0": [0.4, 0.6], "b, 1": [0.1, 0.9]}},
        "y": {"states": ["u", "v"], "parents": ["x"],
              "cpd": {"0": [0.7, 0.3], "1": [0.2, 0.8]}},
    },
}


def _logs(model, seed: int, lengths=(4, 2, 5), nan_every: int = 3):
    """Ragged sequences sampled from the model, latent columns dropped, some NaN."""
    frames = []
    for i, length in enumerate(lengths):
        f = model.sample_sequences(1, length, seed=seed + i)
        f["sequence"] = f"s{i}"
        frames.append(f)
    logs = pd.concat(frames, ignore_index=True)
    logs = logs.drop(columns=list(model.spec.latent_names))
    observed = list(model.spec.observed_names)
    for j in range(len(logs)):
        if j % nan_every == 1:
            logs.loc[j, observed[j % len(observed)]] = None
    return logs.sample(frac=1.0, random_state=seed)   # row order must not matter


MODELS = ["hmm", "factorial_hmm", "coupled_hmm", "boltzmann_zipper", "arhmm"]


def _model(name):
    return pgmkit.model(ARHMM) if name == "arhmm" else pgmkit.example(name)


def _rows(logs, seq):
    part = logs[logs["sequence"] == seq].sort_values("step")
    cols = [c for c in part.columns if c not in ("sequence", "step")]
    return part, [{c: part.iloc[t][c] for c in cols} for t in range(len(part))]


@pytest.mark.parametrize("name", MODELS)
def test_filter_smooth_loglik_predict_match_unrolled(name):
    model = _model(name)
    spec = model.spec
    logs = _logs(model, seed=3)
    filt, smooth = model.filter(logs), model.smooth(logs)
    pred, ll = model.predict_next(logs), model.log_likelihood(logs, per_row=True)
    assert list(filt.index) == list(logs.index)
    for seq in logs["sequence"].unique():
        part, rows = _rows(logs, seq)
        T = len(rows)
        full = evidence_of(spec, rows)
        assert ll.loc[part.index].sum() == pytest.approx(
            log_likelihood(spec, T, full), abs=1e-9)
        for t, idx in enumerate(part.index):
            upto = evidence_of(spec, rows[:t + 1])
            before = evidence_of(spec, rows[:t])
            for h in spec.latent_names:
                cols = [f"P({h}={s})" for s in spec[h].states]
                np.testing.assert_allclose(filt.loc[idx, cols].to_numpy(float),
                                           marginal(spec, t + 1, upto, (t, h)), atol=1e-9)
                np.testing.assert_allclose(smooth.loc[idx, cols].to_numpy(float),
                                           marginal(spec, T, full, (t, h)), atol=1e-9)
            for x in spec.observed_names:
                cols = [f"P({x}={s})" for s in spec[x].states]
                np.testing.assert_allclose(pred.loc[idx, cols].to_numpy(float),
                                           marginal(spec, t + 1, before, (t, x)), atol=1e-9)


@pytest.mark.parametrize("name", ["hmm", "factorial_hmm", "coupled_hmm", "boltzmann_zipper"])
def test_viterbi_matches_unrolled(name):
    model = _model(name)
    spec = model.spec
    logs = _logs(model, seed=11, lengths=(5, 3), nan_every=4)
    path = model.viterbi(logs)
    latent = list(spec.latent_names)
    for seq in logs["sequence"].unique():
        part, rows = _rows(logs, seq)
        best, logp = map_path(spec, len(rows), evidence_of(spec, rows), latent)
        got = tuple(spec[n].states.index(path.loc[i, n]) for i in part.index for n in latent)
        assert got == best
        assert path.loc[part.index[0], "path_log_probability"] == pytest.approx(logp, abs=1e-9)


def test_labels_of_a_latent_column_act_as_evidence():
    model = pgmkit.example("hmm")
    spec = model.spec
    logs = model.sample_sequences(1, 4, seed=5)
    logs.loc[[1, 3], "weather"] = None        # labels at steps 0 and 2 only
    smooth = model.smooth(logs)
    rows = [{c: logs.iloc[t][c] for c in ("weather", "activity")} for t in range(4)]
    ev = evidence_of(spec, rows)
    for t in range(4):
        np.testing.assert_allclose(smooth.iloc[t][["P(weather=rainy)", "P(weather=sunny)"]]
                                   .to_numpy(float), marginal(spec, 4, ev, (t, "weather")),
                                   atol=1e-9)


def test_long_sequence_stays_finite():
    model = pgmkit.example("hmm")
    logs = model.sample_sequences(2, 3000, seed=0).drop(columns=["weather"])
    ll = model.log_likelihood(logs, per_row=True)
    assert np.isfinite(ll).all() and ll.sum() < -1000
    assert np.isfinite(model.smooth(logs).filter(like="P(").to_numpy(float)).all()


def test_impossible_evidence_is_an_evidence_error():
    bkt = pgmkit.example("bkt")
    # mastery 'yes' is never forgotten, so labels yes then no are impossible
    logs = pd.DataFrame({"sequence": ["a", "a"], "step": [0, 1], "correct": [1, 1],
                         "mastery": ["yes", "no"]})
    with pytest.raises(pgmkit.EvidenceError, match="sequence 'a', step 1"):
        bkt.filter(logs)


@pytest.mark.parametrize("name, seed", [("coupled_hmm", 0), ("boltzmann_zipper", 1), ("arhmm", 2)])
def test_random_parameters_match_unrolled(name, seed):
    """The same checks with random CPDs, so no special value hides a wrong axis."""
    from pgmkit.spec.cpd import TableCPD

    base = _model(name).spec
    rng = np.random.default_rng(seed)
    rand = lambda shape: TableCPD(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]))
    spec = base.with_cpds({v.name: rand(v.cpd.table.shape) for v in base},
                          initial={v.name: rand(v.initial.table.shape) for v in base
                                   if v.initial is not None})
    model = pgmkit.DynamicBayesNet(spec)
    logs = _logs(model, seed=seed, lengths=(4, 3))
    smooth, ll = model.smooth(logs), model.log_likelihood(logs, per_row=True)
    for seq in logs["sequence"].unique():
        part, rows = _rows(logs, seq)
        full = evidence_of(spec, rows)
        assert ll.loc[part.index].sum() == pytest.approx(
            log_likelihood(spec, len(rows), full), abs=1e-9)
        for t, idx in enumerate(part.index):
            for h in spec.latent_names:
                cols = [f"P({h}={s})" for s in spec[h].states]
                np.testing.assert_allclose(smooth.loc[idx, cols].to_numpy(float),
                                           marginal(spec, len(rows), full, (t, h)), atol=1e-9)
