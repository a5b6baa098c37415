"""BKT on the real ASSISTments split (slow; skipped when the data is absent)."""
from __future__ import annotations

import numpy as np
import pytest

import pgmkit
from pgmkit.datasets import assistments

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not assistments.available(), reason=assistments.missing_message())]


@pytest.mark.parametrize("name, target", [("bkt", 0.75), ("bkt_forget", 0.81)])
def test_bkt_per_skill_reaches_published_auc(name, target):
    from sklearn.metrics import roc_auc_score

    train, test = assistments.load("train"), assistments.load("test")
    per_skill = pgmkit.example(name).fit(train, sequence="student", order="step",
                                         groupby="skill", max_iter=100, progress=False)
    assert len(per_skill) == train["skill"].nunique()
    seen = test[test["skill"].isin(list(per_skill))]
    p = per_skill.predict_next(seen, sequence="student", order="step")["P(correct=1)"]
    assert roc_auc_score(seen["correct"], p) >= target
    assert np.sqrt(np.mean((p.to_numpy() - seen["correct"].to_numpy()) ** 2)) < 0.42
