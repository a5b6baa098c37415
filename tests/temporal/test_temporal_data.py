"""Long-format logs: packing, state encoding, and a clear DataError for every mistake."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.data.sequences import pack_logs


@pytest.fixture(scope="module")
def bkt():
    return pgmkit.example("bkt")


def test_packing_is_time_major_and_aligned(bkt):
    logs = pd.DataFrame({"student": ["b", "a", "a", "c", "a", "c"],
                         "step": [0, 2, 0, 5, 1, 1], "correct": [1, 0, 1, 1, 0, 0]})
    batch = pack_logs(bkt.spec, logs, "student", "step")
    assert batch.sequence_ids.tolist() == ["a", "c", "b"]       # longest first
    assert batch.lengths.tolist() == [3, 2, 1]
    assert batch.batch_sizes.tolist() == [3, 2, 1]
    # step 0 of a, c, b; step 1 of a, c; step 2 of a -- c's steps are 1 then 5
    assert batch.rows.tolist() == [2, 5, 0, 4, 3, 1]
    assert batch.codes["correct"].tolist() == [1, 0, 1, 0, 1, 0]


def test_integer_float_and_text_columns_match_digit_states(bkt):
    for column in ([0, 1, 1], [0.0, 1.0, np.nan], ["0", "1", None], [False, True, True]):
        logs = pd.DataFrame({"sequence": [1, 1, 1], "step": [0, 1, 2], "correct": column})
        codes = pack_logs(bkt.spec, logs, "sequence", "step").codes["correct"]
        assert codes.tolist()[:2] == [0, 1]


def test_timestamps_order_events():
    hmm = pgmkit.example("hmm")
    logs = pd.DataFrame({"user": ["u", "u", "u"],
                         "time": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02"]),
                         "activity": ["walk", "shop", "clean"]})
    batch = pack_logs(hmm.spec, logs, "user", "time")
    assert batch.rows.tolist() == [1, 2, 0]


@pytest.mark.parametrize("logs, message", [
    (pd.DataFrame({"sequence": [], "step": [], "correct": []}), "empty"),
    (pd.DataFrame({"sequence": ["a", "a"], "step": [0, 0], "correct": [1, 0]}),
     r"sequence 'a' has step 0 twice \(rows 0 and 1\)"),
    (pd.DataFrame({"sequence": ["a", "b"], "step": [0, 0], "correct": [1, 2]}),
     r"row 1 \(sequence 'b', step 0\): 'correct' = '2' is not a state"),
    (pd.DataFrame({"sequence": ["a"], "step": [0], "corect": [1]}),
     r"no column 'correct' \(did you mean 'corect'\?\)"),
    (pd.DataFrame({"sequence": ["a", None], "step": [0, 1], "correct": [1, 1]}),
     r"row 1: column 'sequence' is empty"),
])
def test_data_errors_name_the_culprit(bkt, logs, message):
    with pytest.raises(pgmkit.DataError, match=message):
        bkt.fit(logs, progress=False)


def test_unknown_latent_label_is_a_data_error(bkt):
    logs = pd.DataFrame({"sequence": ["a"], "step": [0], "correct": [1], "mastery": ["maybe"]})
    with pytest.raises(pgmkit.DataError, match="'mastery' = 'maybe' is not a state"):
        bkt.smooth(logs)


def test_csv_path_is_accepted(bkt, tmp_path):
    logs = bkt.sample_sequences(3, 4, seed=0)
    path = tmp_path / "logs.csv"
    logs.to_csv(path, index=False)
    out = bkt.predict_next(path)
    assert len(out) == 12 and np.allclose(out.filter(like="P(").sum(axis=1), 1.0)
    with pytest.raises(pgmkit.DataError, match="no log file"):
        bkt.predict_next(tmp_path / "missing.csv")


def test_unsupported_specs_are_refused_precisely():
    neural = {"name": "n", "temporal": True, "variables": {
        "h": {"states": ["a", "b"], "latent": True, "parents": ["h[t-1]"]},
        "x": {"real": [2], "parents": ["h"], "cpd": {"neural": {"family": "normal"}}}}}
    # no dead end: neural temporal specs run on the neural temporal engine
    assert type(pgmkit.model(neural)).__name__ == "NeuralTemporalModel"
    with pytest.raises(pgmkit.UnsupportedError, match="kind 'neural'.*neural_temporal"):
        pgmkit.DynamicBayesNet(pgmkit.model(neural).spec)
    with pytest.raises(pgmkit.UnsupportedError, match="method='em'"):
        pgmkit.example("hmm").fit(pgmkit.example("hmm").sample_sequences(1, 2), method="mle")


def test_sampling_is_seeded(bkt):
    a = bkt.sample_sequences(5, 6, seed=4)
    pd.testing.assert_frame_equal(a, bkt.sample_sequences(5, 6, seed=4))
    assert not a.equals(bkt.sample_sequences(5, 6, seed=5))


def test_unreadable_csv_logs_give_one_line_data_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    broken = tmp_path / "broken.csv"
    broken.write_text('a,b\n1,2,3,4\n"x\n')
    bkt = pgmkit.example("bkt")
    with pytest.raises(pgmkit.DataError, match="empty.csv: the file is empty"):
        bkt.fit(empty, sequence="a", order="b")
    with pytest.raises(pgmkit.DataError, match="broken.csv: cannot read as CSV"):
        bkt.fit(broken, sequence="a", order="b")
