"""Textbook numbers, evidence errors and learning on the zoo's burglary alarm."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import pgmkit


def test_aima_posteriors(alarm):
    # Russell & Norvig, AIMA: P(B | j, m) = 0.284; P(B | j, not m) = 0.0051.
    assert round(alarm.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})["yes"], 4) == 0.2842
    assert round(alarm.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "no"})["yes"], 4) == 0.0051


def test_joint_probability_of_a_full_assignment(alarm):
    # AIMA: P(j, m, a, not b, not e) = 0.90 * 0.70 * 0.001 * 0.999 * 0.998 = 0.000628
    p = alarm.probability({"JohnCalls": "yes", "MaryCalls": "yes", "Alarm": "yes",
                           "Burglary": "no", "Earthquake": "no"})
    assert math.isclose(p, 0.9 * 0.7 * 0.001 * 0.999 * 0.998, rel_tol=1e-12)


def test_result_objects_are_labelled(alarm):
    d = alarm.query(["Burglary", "Earthquake"], {"JohnCalls": "yes"})
    frame = d.to_frame()
    assert list(frame.columns) == ["Burglary", "Earthquake", "probability"]
    assert math.isclose(frame.probability.sum(), 1.0)
    assert d[("yes", "no")] == d.to_dict()[("yes", "no")]
    assert "P(Burglary, Earthquake | JohnCalls=yes)" in str(d)
    m = alarm.map(evidence={"JohnCalls": "yes", "MaryCalls": "yes"})
    assert m.to_dict() == {"Burglary": "no", "Earthquake": "no", "Alarm": "yes"}


@pytest.mark.parametrize("call, message", [
    (lambda m: m.query("Burglar"), "unknown variable 'Burglar' (did you mean 'Burglary'?)"),
    (lambda m: m.query("Burglary", {"JohnCall": "yes"}), "did you mean 'JohnCalls'"),
    (lambda m: m.query("Burglary", {"JohnCalls": "yess"}), "'yess' is not a state of 'JohnCalls' (did you mean 'yes'?)"),
    (lambda m: m.query("Burglary", {"Burglary": "yes"}), "both queried and observed"),
    (lambda m: m.query("Burglary", {"JohnCalls": True}), "boolean"),
    (lambda m: m.query([]), "at least one variable"),
    (lambda m: m.map(["Alarm"], {"Alarm": "yes"}), "both queried and observed"),
])
def test_evidence_errors_name_the_culprit(alarm, call, message):
    with pytest.raises(pgmkit.EvidenceError) as info:
        call(alarm)
    assert message in str(info.value)


def test_impossible_evidence_raises_never_nan():
    bn = pgmkit.model({"variables": {
        "A": {"states": ["a0", "a1"], "cpd": [1.0, 0.0]},
        "B": {"states": ["b0", "b1"], "parents": ["A"], "cpd": {"a0": [0.5, 0.5], "a1": [0, 1]}}}})
    with pytest.raises(pgmkit.EvidenceError, match="impossible"):
        bn.query("B", {"A": "a1"})
    with pytest.raises(pgmkit.EvidenceError, match="impossible"):
        bn.map(evidence={"A": "a1"})
    with pytest.raises(pgmkit.EvidenceError, match="impossible"):
        bn.sample(5, evidence={"A": "a1"})
    assert bn.probability({"A": "a1"}) == 0.0


def test_missing_cpd_is_reported_at_query_time():
    bn = pgmkit.model({"variables": {"A": {"states": ["x", "y"]},
                                     "B": {"states": ["x", "y"], "parents": ["A"]}}})
    with pytest.raises(pgmkit.SpecError, match=r"\['A', 'B'\] have no CPD"):
        bn.query("A")


def test_mle_recovers_the_true_tables(alarm):
    data = alarm.sample(300_000, seed=11)
    fitted = alarm.copy().fit(data, method="mle")
    for v in alarm.spec.variables:
        truth, learned = v.cpd.table, fitted.spec[v.name].cpd.table
        rows = pd.Series(data[[p.name for p in v.parents]].apply(tuple, axis=1)
                         if v.parents else np.zeros(len(data))).value_counts()
        if rows.min() >= 500:  # well-identified rows only: 3 sigma of a binomial
            np.testing.assert_allclose(learned, truth, atol=3 * math.sqrt(0.25 / rows.min()))
    assert fitted is not alarm and fitted.history.method == "mle"


def test_mle_and_bayes_match_pgmpy_estimators():
    from pgmpy.estimators import BayesianEstimator, MaximumLikelihoodEstimator

    from pgmkit.backends.pgmpy.compile import compile_model

    bn = pgmkit.example("asia")
    data = bn.sample(3000, seed=5)
    pg = compile_model(bn.spec)
    for method, estimator, kwargs in (
            ("mle", MaximumLikelihoodEstimator, {}),
            ("bayes", BayesianEstimator, {"prior_type": "BDeu", "equivalent_sample_size": 5})):
        ours = bn.copy().fit(data, method=method, prior="BDeu", pseudo_count=5)
        est = estimator(pg, data)
        for v in bn.spec.variables:
            cpd = est.estimate_cpd(v.name, **kwargs)
            # pgmpy's axes: child first, then the evidence; each in its own state order.
            axes = cpd.variables
            theirs = cpd.values
            for axis, name in enumerate(axes):
                order = [cpd.state_names[name].index(st) for st in bn.spec[name].states]
                theirs = np.take(theirs, order, axis=axis)
            family = [p.name for p in v.parents] + [v.name]
            theirs = np.transpose(theirs, [axes.index(n) for n in family])
            np.testing.assert_allclose(ours.spec[v.name].cpd.table, theirs, atol=1e-12)


def test_fit_policies_for_bad_data(alarm):
    data = alarm.sample(100, seed=0)
    with pytest.raises(pgmkit.DataError, match="missing cell.*column 'Alarm'.*method='em'"):
        gaps = data.copy()
        gaps.loc[3, "Alarm"] = None
        alarm.fit(gaps, method="mle")
    with pytest.raises(pgmkit.DataError, match="no column for variable.*'Alarm'"):
        alarm.fit(data.drop(columns="Alarm"))
    with pytest.raises(pgmkit.DataError, match="row 5: 'maybe' is not a state of 'Alarm'"):
        bad = data.copy()
        bad.loc[5, "Alarm"] = "maybe"
        alarm.fit(bad)
    with pytest.raises(pgmkit.DataError, match=r"'Alarms' are not variables of model 'alarm' \(did you mean 'Alarm'\?\)"):
        alarm.fit(data.rename(columns={"Alarm": "Alarms"}))
    with pytest.raises(pgmkit.DataError, match="unknown fit method 'mlee'"):
        alarm.fit(data, method="mlee")


def test_fit_round_trips_through_yaml(alarm, tmp_path):
    fitted = alarm.copy().fit(alarm.sample(5000, seed=2), method="bayes")
    path = fitted.save(tmp_path / "fitted.yaml")
    again = pgmkit.load(path)
    assert again == fitted
    assert again.query("Alarm").values.tolist() == fitted.query("Alarm").values.tolist()


def test_digit_states_match_integer_columns():
    bn = pgmkit.model({"variables": {
        "skill": {"states": ["0", "1"], "cpd": [0.4, 0.6]},
        "correct": {"states": ["0", "1"], "parents": ["skill"],
                    "cpd": {"0": [0.8, 0.2], "1": [0.1, 0.9]}}}})
    data = pd.DataFrame({"skill": [0, 1, 1, 0], "correct": [0, 1, 1, 1]})
    fitted = bn.copy().fit(data)
    assert fitted.spec["skill"].cpd.table.tolist() == [0.5, 0.5]
    assert bn.query("skill", {"correct": 1})["1"] == pytest.approx(0.54 / (0.54 + 0.08))


def test_pgmpy_and_batched_answers_agree_on_a_file_with_rounded_rows():
    # bnlearn's alarm stores rows summing to 1 +- 3e-7: every engine reads the
    # row-normalised tables, so the two agree to rounding error, not to 1e-7.
    bn = pgmkit.example("bnlearn:alarm")
    rows = bn.sample(12, seed=4)[["HRBP", "CO", "BP", "HISTORY"]].copy()
    rows.iloc[::3, 1] = None
    batch = bn.query_batch("LVFAILURE", rows)
    for i, row in rows.iterrows():
        single = bn.query("LVFAILURE", row.dropna().to_dict())
        for state in bn.spec["LVFAILURE"].states:
            assert abs(batch.loc[i, f"P(LVFAILURE={state})"] - single[state]) < 1e-12
    sums = np.concatenate([v.cpd.rows().sum(axis=1) for v in bn.spec.variables])
    assert np.abs(sums - 1).max() > 1e-9  # the file really is rounded


def test_distribution_helpers(alarm):
    joint = alarm.query(["Burglary", "Alarm"], {"JohnCalls": "yes", "MaryCalls": "yes"})
    single = alarm.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})
    np.testing.assert_allclose(joint.marginal("Burglary").values, single.values, atol=1e-12)
    assert single.argmax() == "no"
    assert joint.argmax() == max(joint.to_dict(), key=joint.to_dict().get)


def test_counting_fit_points_latent_variables_to_em():
    spec = {"name": "latent_class", "variables": {
        "Z": {"states": ["a", "b"], "latent": True, "cpd": [0.5, 0.5]},
        "X": {"states": ["0", "1"], "parents": ["Z"], "cpd": {"a": [0.9, 0.1], "b": [0.2, 0.8]}},
    }}
    with pytest.raises(pgmkit.DataError, match=r"latent variable\(s\) \['Z'\].*method='em'"):
        pgmkit.model(spec).fit(pd.DataFrame({"X": ["0", "1"]}))


def test_fit_history_holds_the_log_likelihood_of_the_fitted_tables(alarm):
    data = alarm.sample(500, seed=3)
    fitted = alarm.copy().fit(data, method="mle")
    (ll,) = fitted.history.log_likelihood
    assert ll == pytest.approx(fitted.log_likelihood(data), rel=1e-12)
    assert ll >= alarm.log_likelihood(data)    # maximum likelihood beats the truth


def test_a_repeated_column_is_named(alarm):
    data = alarm.sample(20, seed=4)
    twice = pd.concat([data[["Burglary"]], data], axis=1)
    for call in (lambda: alarm.log_likelihood(twice), lambda: alarm.fit(twice),
                 lambda: alarm.fit(twice, method="em", max_iter=2),
                 lambda: alarm.query_batch("Alarm", twice.drop(columns="Alarm"))):
        with pytest.raises(pgmkit.DataError, match="'Burglary' appear more than once"):
            call()
