"""The grouped-model index (groups.yaml) is read with the model files' YAML reader, so an
alias bomb, deep nesting or a Python tag in it is a DataError naming the index, not an
hour of expansion, a RecursionError or an object built from the file."""
from __future__ import annotations

import pandas as pd
import pytest

import pgmkit
from pgmkit.errors import DataError
from pgmkit.temporal.groups import INDEX_FILE, GroupedDynamicBayesNet


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    hmm = pgmkit.example("hmm")
    hidden = [v.name for v in hmm.spec.variables if v.latent]
    logs = hmm.sample_sequences(6, 5, seed=0).drop(columns=hidden)
    logs["group"] = logs["sequence"] % 2
    grouped = hmm.fit(logs, groupby="group", max_iter=2, tol=float("-inf"),
                      progress=False)
    folder = grouped.save(tmp_path_factory.mktemp("g") / "per_group")
    return grouped, folder, logs


def _with_index(folder, text):
    (folder / INDEX_FILE).write_text(text)
    return folder


def test_round_trip_still_works(saved):
    grouped, folder, logs = saved
    again = GroupedDynamicBayesNet.load(folder)
    assert again.groupby == "group" and all(type(k) is str for k in again.models)
    pd.testing.assert_frame_equal(again.smooth(logs), grouped.smooth(logs))


def _bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):                 # 10^9 nodes once expanded
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\ngroupby: group\ngroups: {'0': m.yaml}\n"


@pytest.mark.parametrize("text, fragment", [
    (_bomb(), "alias bomb"),
    ("groupby: group\ngroups: " + "[" * 5_000 + "]" * 5_000 + "\n", "nested more than"),
    ("groupby: !!python/object/apply:os.system [echo hi]\ngroups: {}\n", "is not allowed"),
    ("groupby: [a, b]\ngroups: {'0': m.yaml}\n", "not a group index written by pgmkit"),
    ("", "not a group index written by pgmkit"),
    ("groups: {'0': ../../etc/passwd}\ngroupby: g\n", "not a group index written by pgmkit"),
])
def test_bad_indexes_are_named_data_errors(tmp_path, text, fragment):
    folder = _with_index(tmp_path, text)
    with pytest.raises(DataError) as info:
        GroupedDynamicBayesNet.load(folder)
    assert fragment in str(info.value) and str(folder / INDEX_FILE) in str(info.value)
