"""Knowledge tracing on the real ASSISTments 2009 split: one BKT per skill.

Fits ``models/bkt.yaml`` and ``models/bkt_forget.yaml`` with ``groupby="skill"`` (one
batched EM over every skill's student sequences), then scores next-answer prediction
(``predict_next``) on the held-out students: AUC and RMSE over every test answer whose
skill was seen in training. Prints fit times against the targets and the published /
measured reference numbers. Skips with a message when the data folder is absent.

Run: ``.venv/bin/python benchmarks/bkt_assistments.py``
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

import pgmkit
from pgmkit.datasets import assistments

REFERENCE = [
    ("pyBKT 1.4.3, serial (measured for the issue)", "bkt", 280.0, 0.750, 0.417),
    ("pyBKT 1.4.3 + forgetting (measured for the issue)", "bkt_forget", 578.0, 0.814, 0.395),
]
TARGET_SECONDS, TARGET_AUC = 30.0, {"bkt": 0.75, "bkt_forget": 0.81}


def evaluate(name: str, train, test) -> dict:
    from sklearn.metrics import roc_auc_score

    model = pgmkit.example(name)
    t = time.perf_counter()
    per_skill = model.fit(train, sequence="student", order="step", groupby="skill",
                          max_iter=100, progress=False)
    fit_seconds = time.perf_counter() - t
    seen = test[test["skill"].isin(list(per_skill))]
    pred = per_skill.predict_next(seen, sequence="student", order="step")
    p, y = pred["P(correct=1)"].to_numpy(), seen["correct"].to_numpy()
    return {"model": name, "skills": len(per_skill), "fit s": fit_seconds,
            "EM iterations": len(per_skill.history.log_likelihood),
            "test answers": len(seen), "unseen-skill answers": len(test) - len(seen),
            "AUC": roc_auc_score(y, p), "RMSE": float(np.sqrt(np.mean((p - y) ** 2)))}


def main() -> int:
    if not assistments.available():
        print(f"skipped: {assistments.missing_message()}")
        return 0
    train, test = assistments.load("train"), assistments.load("test")
    pgmkit.example("bkt").fit(train.head(50), sequence="student", order="step",
                              max_iter=1, progress=False)      # warm-up: torch import
    rows = [evaluate(name, train, test) for name in ("bkt", "bkt_forget")]
    table = pd.DataFrame(rows)
    print(f"ASSISTments 2009: {len(train)} train / {len(test)} test answers, "
          f"{train['skill'].nunique()} skills")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("\nreference (not re-run here):")
    for label, name, seconds, auc, rmse in REFERENCE:
        ours = table.set_index("model").loc[name]
        print(f"  {label}: fit {seconds:.0f} s, AUC {auc:.3f}, RMSE {rmse:.3f} -> pgmkit "
              f"{seconds / ours['fit s']:.1f}x faster, AUC {ours['AUC'] - auc:+.3f}")
    print("\ntargets:")
    for r in rows:
        print(f"  {r['model']}: AUC {r['AUC']:.4f} >= {TARGET_AUC[r['model']]} "
              f"{'met' if r['AUC'] >= TARGET_AUC[r['model']] else 'MISSED'}; fit "
              f"{r['fit s']:.1f} s < {TARGET_SECONDS:.0f} s "
              f"{'met' if r['fit s'] < TARGET_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
