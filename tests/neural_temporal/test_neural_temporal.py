"""Neural temporal models: the forward algorithm against brute-force sums over hidden
paths (ragged lengths, NaN cells, emissions reading x[t-1]), smoothing and Viterbi
against enumeration, batching invariance, causality of recurrent predictions,
reproducibility, recovery of a known model, and precise refusals."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.errors import SpecError, UnsupportedError

torch = pytest.importorskip("torch")

HMM = {"name": "ar_hmm", "temporal": True, "variables": {
    "h": {"states": ["a", "b"], "latent": True, "parents": ["h[t-1]"],
          "initial": [0.6, 0.4], "cpd": {"a": [0.7, 0.3], "b": [0.2, 0.8]}},
    "y": {"states": ["u", "v", "w"], "parents": ["h"],
          "cpd": {"a": [0.5, 0.3, 0.2], "b": [0.1, 0.2, 0.7]}},
    "x": {"real": [1], "parents": ["h", "x[t-1]"],
          "cpd": {"neural": {"family": "normal", "hidden": [5], "activation": "tanh"}}}}}


def ragged_logs() -> pd.DataFrame:
    rows = [("s1", 0, "u", 0.3), ("s1", 1, "w", -1.2), ("s1", 2, None, 0.5), ("s1", 3, "v", np.nan),
            ("s2", 0, "w", np.nan), ("s2", 1, "u", 0.1),
            ("s3", 2, "v", 1.5), ("s3", 0, "w", -0.4), ("s3", 1, None, np.nan)]
    return pd.DataFrame(rows, columns=["sequence", "step", "y", "x"])


def brute_force(model, logs: pd.DataFrame):
    """Per sequence: the log-likelihood, smoothed marginals and best path by enumerating
    every hidden path; emissions from the model's own network on hand-built inputs."""
    net = model.network
    init = np.array([0.6, 0.4])
    trans = np.array([[0.7, 0.3], [0.2, 0.8]])
    ytab = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    out = {}
    for sid, seq in logs.sort_values("step").groupby("sequence", sort=False):
        T = len(seq)
        ys = [None if pd.isna(v) else "uvw".index(v) for v in seq["y"]]
        xs = seq["x"].to_numpy(dtype=float)
        emit = np.zeros((T, 2))
        for t in range(T):
            prev = 0.0 if t == 0 or np.isnan(xs[t - 1]) else xs[t - 1]
            feats = torch.tensor([[prev, 1.0 if t == 0 else 0.0]], dtype=torch.float32)
            with torch.no_grad():
                params = net.heads["x"](feats, 1)[0].double()           # (K, 2)
            for k in range(2):
                e = np.log(ytab[k, ys[t]]) if ys[t] is not None else 0.0
                if not np.isnan(xs[t]):
                    loc, scale = float(params[k, 0]), float(torch.nn.functional.softplus(params[k, 1])) + 1e-3
                    e += -0.5 * ((xs[t] - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)
                emit[t, k] = e
        paths, logp = list(itertools.product(range(2), repeat=T)), []
        for path in paths:
            lp = np.log(init[path[0]]) + emit[0, path[0]]
            for t in range(1, T):
                lp += np.log(trans[path[t - 1], path[t]]) + emit[t, path[t]]
            logp.append(lp)
        logp = np.array(logp)
        total = np.logaddexp.reduce(logp)
        post = np.zeros((T, 2))
        for path, lp in zip(paths, logp):
            for t, k in enumerate(path):
                post[t, k] += np.exp(lp - total)
        best = int(np.argmax(logp))
        out[sid] = dict(total=total, post=post, path=paths[best], best=logp[best])
    return out


@pytest.fixture(scope="module")
def hmm():
    return pgmkit.model(HMM)


def test_the_spec_runs_on_the_neural_temporal_engine(hmm):
    assert type(hmm).__name__ == "NeuralTemporalModel"
    assert type(pgmkit.example("dkt")).__name__ == "NeuralTemporalModel"


def test_forward_algorithm_equals_the_sum_over_hidden_paths(hmm):
    logs = ragged_logs()
    truth = brute_force(hmm, logs)
    assert hmm.log_likelihood(logs) == pytest.approx(sum(v["total"] for v in truth.values()),
                                                     abs=1e-4)
    per_row = hmm.log_likelihood(logs, per_row=True)
    assert list(per_row.index) == list(logs.index)
    for sid, v in truth.items():
        assert per_row[logs["sequence"] == sid].sum() == pytest.approx(v["total"], abs=1e-4)


def test_smoothing_and_viterbi_equal_enumeration(hmm):
    logs = ragged_logs()
    truth = brute_force(hmm, logs)
    smooth, path = hmm.smooth(logs), hmm.viterbi(logs)
    for sid, v in truth.items():
        rows = logs.index[logs["sequence"] == sid]
        order = np.argsort(logs.loc[rows, "step"].to_numpy())
        got = smooth.loc[rows, ["P(h=a)", "P(h=b)"]].to_numpy()[order]
        assert np.allclose(got, v["post"], atol=1e-5)
        assert path.loc[rows, "h"].to_numpy()[order].tolist() == ["ab"[k] for k in v["path"]]
        assert np.allclose(path.loc[rows, "path_log_probability"], v["best"], atol=1e-4)


def test_filtering_ends_where_smoothing_ends_and_predictions_are_distributions(hmm):
    logs = ragged_logs()
    f, s = hmm.filter(logs), hmm.smooth(logs)
    last = logs.groupby("sequence")["step"].idxmax()
    assert np.allclose(f.loc[last, ["P(h=a)", "P(h=b)"]], s.loc[last, ["P(h=a)", "P(h=b)"]], atol=1e-5)
    pred = hmm.predict_next(logs)
    assert np.allclose(pred[["P(y=u)", "P(y=v)", "P(y=w)"]].sum(axis=1), 1.0, atol=1e-6)
    first = logs["step"] == 0     # before any event: the initial distribution's mixture
    expect = 0.6 * np.array([0.5, 0.3, 0.2]) + 0.4 * np.array([0.1, 0.2, 0.7])
    assert np.allclose(pred.loc[first, ["P(y=u)", "P(y=v)", "P(y=w)"]], expect, atol=1e-5)


def test_batching_does_not_change_a_sequence(hmm):
    logs = ragged_logs()
    whole = hmm.log_likelihood(logs)
    alone = sum(hmm.log_likelihood(g) for _, g in logs.groupby("sequence"))
    assert whole == pytest.approx(alone, abs=1e-4)
    shuffled = logs.sample(frac=1.0, random_state=0)
    assert hmm.log_likelihood(shuffled) == pytest.approx(whole, abs=1e-4)


RNN = {"name": "rnn", "temporal": True, "variables": {
    "skill": {"states": ["p", "q", "r"]},
    "s": {"real": [6], "latent": True, "parents": ["s[t-1]", "skill[t-1]", "correct[t-1]"],
          "cpd": {"recurrent": {"cell": "gru", "cross": True}}},
    "correct": {"states": ["0", "1"], "parents": ["s", "skill"],
                "cpd": {"neural": {"family": "categorical", "hidden": [8]}}}}}


def rnn_logs(n=60, length=12, seed=0) -> pd.DataFrame:
    """Correctness that depends on the previous answer: a recurrent state can learn it."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        prev = 0
        for t in range(int(rng.integers(3, length))):
            c = int(rng.random() < (0.85 if prev else 0.25))
            rows.append((f"st{s}", t, "pqr"[rng.integers(3)], c))
            prev = c
    return pd.DataFrame(rows, columns=["student", "step", "skill", "correct"])


def test_recurrent_predictions_see_only_the_past():
    m = pgmkit.model(RNN)
    logs = rnn_logs(3, 10)
    base = m.predict_next(logs, sequence="student")["P(correct=1)"].to_numpy()
    changed = logs.copy()
    target = changed.index[(changed["student"] == "st0") & (changed["step"] == 2)][0]
    changed.loc[target, "correct"] = 1 - changed.loc[target, "correct"]
    after = m.predict_next(changed, sequence="student")["P(correct=1)"].to_numpy()
    same_seq = (logs["student"] == "st0").to_numpy()
    early = same_seq & (logs["step"] <= 2).to_numpy()
    late = same_seq & (logs["step"] > 2).to_numpy()
    assert np.allclose(base[early], after[early]) and np.allclose(base[~same_seq], after[~same_seq])
    assert not np.allclose(base[late], after[late])


def test_recurrent_fit_is_reproducible_and_learns_the_dependence():
    train, test = rnn_logs(80, 12, seed=1), rnn_logs(40, 12, seed=2)
    a = pgmkit.model(RNN).fit(train, sequence="student", epochs=15, batch_size=16, seed=3,
                              progress=False)
    b = pgmkit.model(RNN).fit(train, sequence="student", epochs=15, batch_size=16, seed=3,
                              progress=False)
    assert a.log_likelihood(test, sequence="student") == b.log_likelihood(test, sequence="student")
    pred = a.predict_next(test, sequence="student")
    prev = test.groupby("student")["correct"].shift(1)
    after_right = pred["P(correct=1)"][prev == 1].mean()
    after_wrong = pred["P(correct=1)"][prev == 0].mean()
    assert after_right > 0.7 and after_wrong < 0.4, (after_right, after_wrong)


def test_neural_hmm_recovers_its_own_likelihood_from_samples():
    truth = pgmkit.example("neural_hmm")
    train = truth.sample_sequences(150, 40, seed=0).drop(columns=["regime"])
    test = truth.sample_sequences(100, 40, seed=1).drop(columns=["regime"])
    fitted = pgmkit.example("neural_hmm").fit(train, seed=1, progress=False)
    per_event_true = truth.log_likelihood(test) / len(test)
    per_event_fit = fitted.log_likelihood(test) / len(test)
    assert per_event_fit > per_event_true - 0.05, (per_event_fit, per_event_true)
    tables = fitted.spec["regime"].cpd.table
    assert np.allclose(tables.sum(-1), 1.0) and not np.array_equal(tables, truth.spec["regime"].cpd.table)


def test_save_and_load_round_trip(tmp_path):
    m = pgmkit.model(RNN).fit(rnn_logs(10, 6), sequence="student", epochs=1, progress=False)
    again = pgmkit.load(m.save(tmp_path / "rnn"))
    logs = rnn_logs(4, 6, seed=5)
    assert type(again).__name__ == "NeuralTemporalModel" and again.spec == m.spec
    assert again.log_likelihood(logs, sequence="student") == pytest.approx(
        m.log_likelihood(logs, sequence="student"), abs=1e-6)


def test_misuse_is_refused_precisely():
    two = {"name": "two", "temporal": True, "variables": {
        "h": {"states": ["a", "b"], "latent": True, "parents": ["h[t-1]"]},
        "g": {"states": ["a", "b"], "latent": True, "parents": ["g[t-1]"]},
        "x": {"real": [1], "parents": ["h", "g"], "cpd": {"neural": {"family": "normal"}}}}}
    with pytest.raises(UnsupportedError, match=r"one discrete hidden chain; found \['h', 'g'\]"):
        pgmkit.model(two)
    no_self = {"name": "r", "temporal": True, "variables": {
        "y": {"states": ["0", "1"], "parents": ["s"], "cpd": {"neural": {"family": "categorical"}}},
        "s": {"real": [3], "latent": True, "parents": ["y[t-1]"],
              "cpd": {"recurrent": {"cell": "lstn"}}}}}
    with pytest.raises(SpecError) as err:
        pgmkit.model(no_self)
    assert "did you mean 'lstm'" in str(err.value) and "add 's[t-1]'" in str(err.value)
    with pytest.raises(SpecError, match="needs 'temporal: true'"):
        pgmkit.model({"variables": {"s": {"real": [3], "latent": True, "cpd": {"recurrent": {}}}}})
    with pytest.raises(SpecError, match="have no CPD to sample from"):
        pgmkit.model(RNN).sample_sequences(2, 3)
    with pytest.raises(UnsupportedError, match="smooth needs a discrete hidden chain"):
        pgmkit.model(RNN).smooth(rnn_logs(2, 4), sequence="student")


@pytest.mark.slow
def test_dkt_predicts_assistments_answers():
    from sklearn.metrics import roc_auc_score

    from pgmkit.datasets import assistments

    if not assistments.available():
        pytest.skip(assistments.missing_message())
    train, test = assistments.load("train"), assistments.load("test")
    train = train[train["student"].isin(train["student"].unique()[:400])]
    test = test[test["student"].isin(test["student"].unique()[:150])]
    dkt = pgmkit.example("dkt").fit(train, sequence="student", order="step", epochs=2,
                                    progress=False)
    p = dkt.predict_next(test, sequence="student", order="step")["P(correct=1)"]
    assert roc_auc_score(test["correct"], p) > 0.7
