"""EM: monotone log-likelihood, recovery of known parameters, agreement with
pomegranate's own Baum-Welch, batched groups equal separate fits, save/load."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.temporal.groups import GroupedDynamicBayesNet


def _hidden_dropped(model, n, length, seed):
    return model.sample_sequences(n, length, seed=seed).drop(columns=list(model.spec.latent_names))


@pytest.mark.parametrize("name", ["hmm", "factorial_hmm", "coupled_hmm", "gaussian_hmm"])
def test_em_log_likelihood_never_decreases(name):
    model = pgmkit.example(name)
    logs = _hidden_dropped(model, 40, 30, seed=1)
    fitted = model.fit(logs, restarts=2, seed=3, pseudo_count=0.0, max_iter=25, tol=-np.inf,
                       progress=False)
    ll = np.array(fitted.history.log_likelihood)
    assert len(ll) == 25
    assert np.all(np.diff(ll) >= -1e-8 * np.abs(ll[1:]))
    assert fitted.history.method == "em" and len(fitted.history.restarts) == 2


def test_hmm_parameters_recovered_up_to_permutation():
    truth = pgmkit.model({"name": "h2", "temporal": True, "variables": {
        "h": {"states": ["a", "b"], "latent": True, "parents": ["h[t-1]"],
              "initial": [0.3, 0.7], "cpd": [[0.9, 0.1], [0.2, 0.8]]},
        "x": {"states": ["0", "1", "2"], "parents": ["h"],
              "cpd": [[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]]}}})
    logs = _hidden_dropped(truth, 400, 50, seed=2)
    blank = pgmkit.DynamicBayesNet(truth.spec.replace(variables=tuple(
        v.__class__(v.name, v.domain, v.parents, None, v.latent, None) for v in truth.spec)))
    fitted = blank.fit(logs, restarts=3, seed=0, max_iter=300, tol=1e-9, progress=False)
    a_true, b_true = truth.spec["h"].cpd.table, truth.spec["x"].cpd.table
    a, b = fitted.spec["h"].cpd.table, fitted.spec["x"].cpd.table
    perm = list(min(itertools.permutations(range(2)),
                    key=lambda p: np.abs(b_true - b[list(p)]).sum()))
    np.testing.assert_allclose(b[perm], b_true, atol=0.03)
    np.testing.assert_allclose(a[perm][:, perm], a_true, atol=0.03)


def test_factorial_hmm_chains_recovered_separately():
    model = pgmkit.example("factorial_hmm")
    logs = _hidden_dropped(model, 300, 60, seed=4)
    fitted = model.copy().fit(logs, restarts=3, seed=1, max_iter=300, tol=1e-9, progress=False)
    spec, truth = fitted.spec, model.spec
    x_true, x = truth["x"].cpd.table, spec["x"].cpd.table
    # each chain may be relabelled on its own: search both flips
    best = min(itertools.product(itertools.permutations(range(2)), repeat=2),
               key=lambda pq: np.abs(x_true - x[list(pq[0])][:, list(pq[1])]).sum())
    ph, pv = list(best[0]), list(best[1])
    np.testing.assert_allclose(x[ph][:, pv], x_true, atol=0.05)
    np.testing.assert_allclose(spec["h"].cpd.table[ph][:, ph], truth["h"].cpd.table, atol=0.06)
    np.testing.assert_allclose(spec["v"].cpd.table[pv][:, pv], truth["v"].cpd.table, atol=0.06)
    assert spec["h"].cpd.table.shape == (2, 2)      # a chain's own matrix, not a joint one


def test_bkt_parameters_recovered_and_no_forgetting_kept():
    import pgmkit.spec.cpd as cpd

    truth = pgmkit.example("bkt").spec.with_cpds({"mastery": cpd.TableCPD([[0.8, 0.2], [0.0, 1.0]]),
                             "correct": cpd.TableCPD([[0.75, 0.25], [0.15, 0.85]])},
                            initial={"mastery": cpd.TableCPD([0.6, 0.4])})
    logs = _hidden_dropped(pgmkit.DynamicBayesNet(truth), 3000, 25, seed=6)
    fitted = pgmkit.example("bkt").fit(logs, sequence="sequence", order="step", seed=0,
                                       max_iter=300, tol=1e-9, progress=False)
    s = fitted.spec
    assert s["mastery"].cpd.table[1, 0] == 0.0          # structural zero stays zero
    assert s["mastery"].cpd.table[0, 1] == pytest.approx(0.2, abs=0.03)      # learn
    assert s["mastery"].initial.table[1] == pytest.approx(0.4, abs=0.04)     # prior
    assert s["correct"].cpd.table[0, 1] == pytest.approx(0.25, abs=0.03)     # guess
    assert s["correct"].cpd.table[1, 0] == pytest.approx(0.15, abs=0.03)     # slip


def test_flat_hmm_em_equals_pomegranate_baum_welch():
    """pomegranate's summarize/from_summaries from the same start, with its end-state
    re-estimation turned off (a DBN has no end state), gives the same parameters."""
    import torch

    from pgmkit.backends.forward_backward.compile import to_dense_hmm

    model = pgmkit.example("hmm")
    logs = _hidden_dropped(model, 30, 40, seed=7)
    start = model.spec.with_cpds({}, initial={})
    hmm = to_dense_hmm(start)
    x = torch.tensor(logs["activity"].map({"walk": 0, "shop": 1, "clean": 2}).to_numpy()
                     .reshape(30, 40, 1))
    iters = 5
    for _ in range(iters):
        hmm.summarize(x)
        hmm.from_summaries()
        with torch.no_grad():
            hmm.edges[:] = torch.log_softmax(hmm.edges, dim=1)
            hmm.ends[:] = 0.0
    # max_iter counts E-steps: iters updates need iters + 1 of them
    ours = model.fit(logs, max_iter=iters + 1, tol=-np.inf, progress=False).spec
    np.testing.assert_allclose(ours["weather"].cpd.table, torch.exp(hmm.edges).numpy(), atol=1e-5)
    np.testing.assert_allclose(ours["weather"].initial.table, torch.exp(hmm.starts).numpy(),
                               atol=1e-5)
    emis = np.stack([d.probs.numpy()[0] for d in hmm.distributions])
    np.testing.assert_allclose(ours["activity"].cpd.table, emis, atol=1e-5)


def test_grouped_fit_equals_separate_fits_and_routes_queries():
    bkt = pgmkit.example("bkt")
    logs = _hidden_dropped(bkt, 90, 12, seed=8)
    logs["skill"] = np.where(logs["sequence"] % 3 == 0, "add", "mul")
    grouped = bkt.fit(logs, groupby="skill", max_iter=40, tol=-np.inf, progress=False)
    assert isinstance(grouped, GroupedDynamicBayesNet) and sorted(grouped) == ["add", "mul"]
    for skill in ("add", "mul"):
        part = logs[logs["skill"] == skill]
        alone = bkt.copy().fit(part.drop(columns="skill"), max_iter=40, tol=-np.inf,
                               progress=False)
        for var in ("mastery", "correct"):
            np.testing.assert_allclose(grouped[skill].spec[var].cpd.table,
                                       alone.spec[var].cpd.table, atol=1e-9)
        np.testing.assert_allclose(grouped.predict_next(logs).loc[part.index, "P(correct=1)"],
                                   alone.predict_next(part, keep="skill")["P(correct=1)"],
                                   atol=1e-12)
    with pytest.raises(pgmkit.DataError, match="group 'div'"):
        grouped.filter(logs.assign(skill="div"))


def test_fitted_models_round_trip_through_files(tmp_path):
    hmm = pgmkit.example("hmm")
    logs = _hidden_dropped(hmm, 20, 10, seed=9)
    fitted = hmm.fit(logs, max_iter=5, progress=False)
    path = fitted.save(tmp_path / "fitted.yaml")
    assert pgmkit.load(path) == fitted
    logs["group"] = logs["sequence"] % 2
    grouped = hmm.fit(logs, groupby="group", max_iter=5, progress=False)
    folder = grouped.save(tmp_path / "per_group")
    again = GroupedDynamicBayesNet.load(folder)
    pd.testing.assert_frame_equal(again.smooth(logs), grouped.smooth(logs))


def test_missing_observations_and_labels_in_fit():
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(60, 20, seed=10)
    logs.loc[logs.index % 3 == 0, "activity"] = None
    logs.loc[logs.index % 4 != 0, "weather"] = None        # a quarter labelled
    fitted = hmm.fit(logs, max_iter=50, progress=False)
    assert np.isfinite(fitted.history.log_likelihood).all()
    # the labels pin the meaning of the states: rainy stays the state that cleans most
    b = fitted.spec["activity"].cpd.table
    assert b[0, 2] > b[1, 2]


def test_mixed_lengths_and_gaussian_recovery():
    g = pgmkit.example("gaussian_hmm")
    parts = [g.sample_sequences(40, n, seed=n) for n in (5, 50, 200)]
    for i, p in enumerate(parts):
        p["sequence"] = p["sequence"].astype(str) + f"-{i}"
    logs = pd.concat(parts, ignore_index=True).drop(columns=["regime"])
    fitted = g.fit(logs, max_iter=200, progress=False)
    np.testing.assert_allclose(np.sort(fitted.spec["x"].cpd.loc), [-2.0, 0.0, 3.0], atol=0.1)
