"""The generic event-log loader and the ASSISTments loader's clean absence."""
from __future__ import annotations

import pandas as pd
import pytest

import pgmkit
from pgmkit.datasets import assistments
from pgmkit.datasets.logs import load_logs, split_by_sequence


def test_load_logs_sorts_and_checks_columns(tmp_path):
    path = tmp_path / "events.csv"
    pd.DataFrame({"user": ["b", "a", "a"], "t": [0, 1, 0], "x": ["p", "q", "r"]}).to_csv(path, index=False)
    logs = load_logs(path, "user", "t")
    assert logs["x"].tolist() == ["r", "q", "p"]
    with pytest.raises(pgmkit.DataError, match=r"no column 'usr' \(did you mean 'user'\?\)"):
        load_logs(path, "usr", "t")


def test_split_by_sequence_keeps_sequences_whole():
    logs = pd.DataFrame({"s": [i // 3 for i in range(30)], "step": [i % 3 for i in range(30)]})
    train, test = split_by_sequence(logs, "s", 0.3, seed=1)
    assert not set(train["s"]) & set(test["s"]) and len(train) + len(test) == 30
    assert test.groupby("s").size().eq(3).all()


def test_assistments_absent_folder_is_a_clear_error(tmp_path):
    assert not assistments.available(tmp_path)
    with pytest.raises(pgmkit.DataError, match="ASSISTments 2009 logs not found"):
        assistments.load("train", path=tmp_path)
