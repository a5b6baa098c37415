"""query_batch / log_likelihood_rows / predict: textbook numbers, per-row evidence
patterns, impossible rows, errors, chunking and the cost guard."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import brute_joint

from pgmkit.api import example_spec
from pgmkit.backends.contraction import compile as batched_compile
from pgmkit.backends.contraction.infer import STRATEGIES, log_likelihood_rows, predict, query_batch
from pgmkit.errors import CostError, DataError, EvidenceError
from pgmkit.spec.build import build_spec

ALARM = example_spec("alarm")

# A deterministic "sensor" makes some rows impossible: Sensor=on never happens when Fire=no
# unless Smoke=yes.
SENSOR = build_spec({"name": "sensor", "variables": {
    "Fire": {"states": ["no", "yes"], "cpd": [0.9, 0.1]},
    "Smoke": {"states": ["no", "yes"], "parents": ["Fire"],
              "cpd": {"no": [1.0, 0.0], "yes": [0.2, 0.8]}},
    "Sensor": {"states": ["off", "on"], "parents": ["Smoke"],
               "cpd": {"no": [1.0, 0.0], "yes": [0.1, 0.9]}},
}})


def brute(spec, row: dict, var: str):
    names, joint = brute_joint(spec)
    idx = tuple(spec[n].states.index(row[n]) if n in row else slice(None) for n in names)
    sub = joint[idx]
    kept = [n for n in names if n not in row]
    p_e = sub.sum()
    if var in row:
        return np.eye(spec[var].card)[spec[var].states.index(row[var])], p_e
    marg = sub.sum(axis=tuple(i for i, n in enumerate(kept) if n != var))
    return marg / p_e, p_e


def test_textbook_burglary_posterior():
    # Russell & Norvig: P(Burglary | JohnCalls, MaryCalls) = <0.284, 0.716>.
    out = query_batch(ALARM, ["Burglary"], pd.DataFrame({"JohnCalls": ["yes"],
                                                          "MaryCalls": ["yes"]}))
    assert out.loc[0, "P(Burglary=yes)"] == pytest.approx(0.284172, abs=1e-6)


def test_each_row_its_own_pattern_matches_brute_force():
    rows = pd.DataFrame({
        "JohnCalls": ["yes", None, "no", None, "yes", None],
        "MaryCalls": ["yes", "no", None, None, None, "yes"],
        "Alarm": [None, None, "yes", None, None, "no"],
        "Earthquake": [None, "yes", None, None, "no", None],
    }, index=[10, 11, 12, 13, 14, 15])
    for strategy in STRATEGIES:
        out = query_batch(ALARM, ["Burglary", "Alarm"], rows, strategy=strategy,
                          min_pattern_rows=1)
        assert list(out.index) == list(rows.index)
        for label, r in rows.iterrows():
            row = {k: v for k, v in r.items() if isinstance(v, str)}
            for var in ("Burglary", "Alarm"):
                want, p_e = brute(ALARM, row, var)
                got = out.loc[label, [f"P({var}={s})" for s in ALARM[var].states]].to_numpy(float)
                np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)
            assert out.loc[label, "log_evidence"] == pytest.approx(np.log(p_e), abs=1e-12)


def test_observed_query_variable_is_one_hot():
    out = query_batch(ALARM, ["Alarm"], pd.DataFrame({"Alarm": ["yes", None]}))
    assert out.loc[0, ["P(Alarm=no)", "P(Alarm=yes)"]].tolist() == [0.0, 1.0]
    assert 0 < out.loc[1, "P(Alarm=yes)"] < 1


def test_impossible_rows_flagged_and_only_they_are_nan():
    rows = pd.DataFrame({"Smoke": ["no", "yes", "no", None],
                         "Sensor": ["on", "on", "off", "on"]})
    out = query_batch(SENSOR, ["Fire"], rows)
    assert out["impossible"].tolist() == [True, False, False, False]
    assert out.loc[0, ["P(Fire=no)", "P(Fire=yes)"]].isna().all()
    assert out.loc[0, "log_evidence"] == -np.inf
    assert out.drop(index=0).notna().all().all()
    want, _ = brute(SENSOR, {"Sensor": "on"}, "Fire")
    np.testing.assert_allclose(out.loc[3, ["P(Fire=no)", "P(Fire=yes)"]].to_numpy(float), want,
                               atol=1e-12)


def test_joint_columns_and_consistency_with_marginals():
    rows = pd.DataFrame({"JohnCalls": ["yes", "no"], "Earthquake": [None, "yes"]})
    joint = query_batch(ALARM, ["Burglary", "Alarm"], rows, joint=True)
    assert list(joint.columns[:4]) == ["P(Burglary=no,Alarm=no)", "P(Burglary=no,Alarm=yes)",
                                       "P(Burglary=yes,Alarm=no)", "P(Burglary=yes,Alarm=yes)"]
    marg = query_batch(ALARM, ["Burglary", "Alarm"], rows)
    np.testing.assert_allclose(joint.iloc[:, :4].to_numpy().reshape(2, 2, 2).sum(axis=2),
                               marg[["P(Burglary=no)", "P(Burglary=yes)"]].to_numpy(), atol=1e-15)
    np.testing.assert_allclose(joint["log_evidence"], marg["log_evidence"], atol=1e-15)


def test_chunking_gives_the_same_answers():
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"JohnCalls": rng.choice(["yes", "no", None], 50),
                         "MaryCalls": rng.choice(["yes", "no", None], 50)})
    whole = query_batch(ALARM, ["Earthquake"], rows)
    for strategy in ("merged", "patterns"):
        bits = query_batch(ALARM, ["Earthquake"], rows, chunk_size=7, min_pattern_rows=1,
                           strategy=strategy)
        pd.testing.assert_frame_equal(whole, bits, atol=1e-15, rtol=0)


def test_log_likelihood_rows_marginalizes_missing_cells():
    rows = pd.DataFrame({"Burglary": ["yes", None, None],
                         "JohnCalls": ["yes", "no", None], "Smoke": [None] * 3}).drop(
        columns="Smoke")
    got = log_likelihood_rows(ALARM, rows)
    for i, r in rows.iterrows():
        row = {k: v for k, v in r.items() if isinstance(v, str)}
        _, p_e = brute(ALARM, row, "Alarm")
        assert got[i] == pytest.approx(np.log(p_e), abs=1e-12)
    impossible = log_likelihood_rows(SENSOR, pd.DataFrame({"Smoke": ["no"], "Sensor": ["on"]}))
    assert impossible[0] == -np.inf


def test_predict_naive_bayes_style_column():
    rows = pd.DataFrame({"Burglary": ["yes", "no"], "JohnCalls": ["yes", "no"],
                         "MaryCalls": ["yes", "no"]}, index=["a", "b"])
    out = predict(ALARM, rows, "Burglary")      # the Burglary column itself is ignored
    assert list(out.columns) == ["Burglary", "probability", "P(Burglary=no)", "P(Burglary=yes)"]
    assert out["Burglary"].tolist() == ["no", "no"]
    assert out.loc["a", "probability"] == pytest.approx(1 - 0.284172, abs=1e-6)
    imp = predict(SENSOR, pd.DataFrame({"Smoke": ["no"], "Sensor": ["on"]}), "Fire")
    assert imp["Fire"].isna().all() and imp["probability"].isna().all()


def test_errors_name_the_culprit():
    with pytest.raises(DataError, match="Alarn"):
        query_batch(ALARM, ["Burglary"], pd.DataFrame({"Alarn": ["yes"]}))
    with pytest.raises(DataError, match=r"column 'Alarm', row 7: 'maybe' is not a state"):
        query_batch(ALARM, ["Burglary"], pd.DataFrame({"Alarm": ["yes", "maybe"]},
                                                      index=[6, 7]))
    with pytest.raises(EvidenceError, match="did you mean 'Burglary'"):
        query_batch(ALARM, ["Burglar"], pd.DataFrame({"Alarm": ["yes"]}))
    with pytest.raises(DataError, match="Burglar"):
        predict(ALARM, pd.DataFrame({"Alarm": ["yes"]}), "Burglar")
    with pytest.raises(EvidenceError, match="'merge'.*did you mean 'merged'"):
        query_batch(ALARM, ["Burglary"], pd.DataFrame({"Alarm": ["yes"]}), strategy="merge")


def test_cost_guard_names_the_cost_and_points_to_sampling():
    with pytest.raises(CostError, match=r"flops.*sampling"):
        query_batch(ALARM, ["Burglary"], pd.DataFrame({"JohnCalls": ["yes"]}), max_cost=1.0)


def test_plans_are_cached_per_pattern():
    spec = example_spec("bnlearn:asia")
    rows = pd.DataFrame({"xray": ["yes", "no", None], "dysp": [None, "yes", "no"]})
    for strategy in STRATEGIES:
        query_batch(spec, ["lung"], rows, min_pattern_rows=1, strategy=strategy)
    net = batched_compile.compile_net(spec)
    before = len(net.plans)
    for strategy in STRATEGIES:
        query_batch(spec, ["lung"], rows.iloc[::-1], min_pattern_rows=1, strategy=strategy)
    assert len(net.plans) == before


def test_barren_and_d_separated_variables_are_pruned():
    spec = example_spec("bnlearn:asia")
    net = batched_compile.compile_net(spec)
    ix = net.index
    # Query 'smoke' given 'bronc': the plan keeps only smoke and bronc (asia, tub, either,
    # xray, dysp, lung are barren).
    plan = net.plan([ix["bronc"]], [], [(ix["smoke"],)], grad=True)
    used = {v for p in plan.pieces for _, v in p.operands} | set(plan.scalars)
    assert used == {ix["bronc"], ix["smoke"]}
    # Given smoke, lung and bronc are d-separated: two independent pieces.
    plan = net.plan([ix["smoke"]], [ix["lung"], ix["bronc"]], [(ix["lung"],)])
    assert len(plan.pieces) == 2


@pytest.mark.slow
def test_link_given_all_its_leaves_is_refused_per_pattern_and_answered_by_the_tree():
    # link (724 variables) given a sampled value of each of its 133 leaves: the best
    # per-pattern contraction order needs ~2e9 flops and a 1 GiB table per row, so that
    # strategy refuses; the junction tree compiled for these columns answers it exactly.
    import pgmkit

    spec = example_spec("link")
    parents = {p.name for v in spec.variables for p in v.parents}
    leaves = [v.name for v in spec.variables if v.name not in parents]
    rows = pgmkit.model(spec).sample(1, seed=0)[leaves]
    target = spec.names[len(spec) // 2]
    with pytest.raises(CostError, match=r"'link'.*flops.*GiB.*sampling"):
        query_batch(spec, [target], rows, strategy="patterns")
    out = query_batch(spec, [target], rows)
    post = out.filter(like="P(").to_numpy()
    assert not out["impossible"].any() and np.isfinite(out["log_evidence"]).all()
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-12)
    # the evidence's probability is the same number whichever variable is asked for
    other = query_batch(spec, [spec.names[0]], rows)
    np.testing.assert_allclose(other["log_evidence"], out["log_evidence"], rtol=1e-10)


@pytest.mark.slow
def test_cost_guard_refuses_a_joint_table_too_large_on_munin():
    # The joint of fourteen munin variables (5 to 21 states each) cannot be held per row.
    spec = example_spec("munin")
    wide = [v.name for v in spec.variables if v.card >= 5][:14]
    rows = pd.DataFrame({spec.names[-1]: [spec[spec.names[-1]].states[0]]})
    with pytest.raises(CostError, match=r"'munin'.*GiB.*sampling"):
        query_batch(spec, wide, rows, joint=True)


def test_rows_rounded_in_the_file_are_renormalised_so_strategies_agree():
    # bnlearn's alarm stores rows summing to 1 +- 1e-7; pruning a barren variable is exact
    # only if its rows sum to 1, so every strategy must answer the renormalised model.
    spec = example_spec("bnlearn:alarm")
    assert max(abs(v.cpd.table.sum(-1) - 1).max() for v in spec.variables) > 1e-8
    rng = np.random.default_rng(0)
    sample = pd.DataFrame({n: rng.choice(list(spec[n].states) + [None], 40)
                           for n in ("HREKG", "MINVOL", "HISTORY", "HRSAT", "HRBP")})
    outs = [query_batch(spec, ["HR", "LVFAILURE"], sample, strategy=s, min_pattern_rows=1)
            for s in STRATEGIES]
    for other in outs[1:]:
        pd.testing.assert_frame_equal(outs[0], other, atol=1e-14, rtol=0)
    exact = batched_compile.normalized(spec)
    assert all(np.allclose(v.cpd.table.sum(-1), 1, rtol=0, atol=1e-15) for v in exact.variables)


@pytest.mark.slow
def test_log_likelihood_of_wide_rows_on_andes_two_ways():
    # Rows observing ~155 of andes' 223 variables: one merged contraction (likelihood
    # vectors, a variable-elimination order, torch for the heavy steps) against one
    # pruned contraction per row with the evidence sliced in.
    import pgmkit

    spec = example_spec("andes")
    df = pgmkit.model(spec).sample(25, seed=0).astype(object)
    df = df.mask(np.random.default_rng(0).random(df.shape) < 0.3)
    codes = df.notna().to_numpy()
    assert (codes.sum(axis=1) > 130).all()
    merged = query_batch(spec, [], df, strategy="merged")["log_evidence"]
    single = query_batch(spec, [], df, strategy="patterns", min_pattern_rows=1)["log_evidence"]
    np.testing.assert_allclose(merged, single, rtol=1e-12, atol=0)
    assert (merged < -40).all()


def test_predict_naive_bayes_with_integer_columns_and_missing_words():
    # The closed form: P(class | words) is the prior times the product of P(word | class)
    # over the observed words only, normalised. Columns hold 0/1 integers (floats once a
    # NaN is in them), matching the states "0" and "1".
    spec = example_spec("spam")
    words = [n for n in spec.names if n != "Spam"]
    rng = np.random.default_rng(3)
    data = pd.DataFrame({w: rng.integers(0, 2, 30).astype(float) for w in words})
    data = data.mask(rng.random(data.shape) < 0.3)
    out = predict(spec, data, "Spam")
    prior = spec["Spam"].cpd.table
    for i, row in data.iterrows():
        post = prior.copy()
        for w in words:
            if row[w] == row[w]:
                post = post * spec[w].cpd.table[:, int(row[w])]
        post = post / post.sum()
        np.testing.assert_allclose(out.loc[i, ["P(Spam=ham)", "P(Spam=spam)"]].to_numpy(float), post,
                                   atol=1e-14, rtol=0)
        assert out.loc[i, "Spam"] == spec["Spam"].states[int(post.argmax())]
