"""Identifier columns: refused unless named in keep= (--keep), then returned next to every
answer so results join back to the input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit
from tests.conftest import run_cli


def test_bayes_net_predict_and_query_batch_pass_ids_through():
    bn = pgmkit.example("asia")
    test = bn.sample(50, seed=0).drop(columns="lung")
    test.index = test.index * 3                        # a non-default index survives too
    with pytest.raises(pgmkit.DataError, match="'patient_id'.*keep="):
        bn.predict(test.assign(patient_id=np.arange(50)), "lung")
    rows = test.assign(patient_id=np.arange(50) + 1000)
    pred = bn.predict(rows, "lung", keep=["patient_id"])
    plain = bn.predict(test, "lung")
    assert list(pred.columns) == ["patient_id", *plain.columns]
    assert (pred.index == test.index).all()
    pd.testing.assert_frame_equal(pred.drop(columns="patient_id"), plain)
    joined = rows.join(pred[["patient_id", "lung"]].set_index("patient_id"), on="patient_id")
    assert joined["lung"].notna().all()
    batch = bn.query_batch("lung", rows, keep="patient_id")
    assert batch["patient_id"].tolist() == list(range(1000, 1050))
    with pytest.raises(pgmkit.DataError, match="keep= names column 'patient'.*did you mean 'patient_id'"):
        bn.predict(rows, "lung", keep=["patient"])


def test_predict_proba_on_a_network_is_the_posterior():
    bn = pgmkit.example("alarm")
    rows = pd.DataFrame({"JohnCalls": ["yes", "no"], "MaryCalls": ["yes", None]})
    proba = bn.predict_proba(rows, "Burglary")
    assert list(proba.columns) == ["P(Burglary=no)", "P(Burglary=yes)"]
    for i, row in rows.iterrows():
        exact = bn.query("Burglary", row.dropna().to_dict())
        np.testing.assert_allclose(proba.loc[i].to_numpy(), exact.values, atol=1e-12)


def test_temporal_queries_refuse_unknown_columns_and_keep_named_ones():
    bkt = pgmkit.example("bkt")
    logs = bkt.sample_sequences(5, 4, seed=1).drop(columns="mastery")
    logs["when"] = pd.date_range("2026-01-01", periods=len(logs), freq="h")
    with pytest.raises(pgmkit.DataError, match="'when'.*not variables of model 'bkt'.*keep="):
        bkt.smooth(logs)
    with pytest.raises(pgmkit.DataError, match="'when'"):
        bkt.copy().fit(logs, progress=False)
    out = bkt.smooth(logs, keep=["when"])
    assert list(out.columns[:3]) == ["sequence", "step", "when"]
    assert (out["when"] == logs["when"]).all()
    np.testing.assert_allclose(out["P(mastery=yes)"],
                               bkt.smooth(logs.drop(columns="when"))["P(mastery=yes)"])
    assert "when" in bkt.viterbi(logs, keep="when").columns


def test_mixture_refuses_and_keeps_ids():
    gmm = pgmkit.example("gmm")
    data = gmm.sample(20, seed=2).drop(columns="z").assign(id=range(20))
    with pytest.raises(pgmkit.DataError, match="'id'"):
        gmm.posterior(data)
    assert gmm.predict(data, keep="id")["id"].tolist() == list(range(20))


def test_cli_batch_query_keeps_the_id_column(tmp_path):
    rows = pd.DataFrame({"patient": ["p1", "p2"], "xray": ["yes", "no"]})
    rows.to_csv(tmp_path / "rows.csv", index=False)
    bad = run_cli("query", "asia", "lung", "--batch", tmp_path / "rows.csv")
    assert bad.returncode == 2 and "'patient'" in bad.stderr and "--keep" in bad.stderr
    ok = run_cli("query", "asia", "lung", "--batch", tmp_path / "rows.csv", "--keep", "patient",
                 "-o", tmp_path / "out.csv")
    assert ok.returncode == 0, ok.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["patient"].tolist() == ["p1", "p2"]
