"""Draw the pictures on the README's first page into docs/img/ (run from the repo root):

    python benchmarks/readme_images.py

alarm.png: the burglary alarm network; hmm_smoothed.png: the smoothed posterior and the
Viterbi path of one generated day sequence of the weather HMM, beside what was observed.
"""
from __future__ import annotations

from pathlib import Path

import pgmkit

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    print(pgmkit.example("alarm").draw(OUT / "alarm.png"))
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(1, 20, seed=3).drop(columns="weather")
    print(hmm.plot_sequence(logs, OUT / "hmm_smoothed.png", how="smooth"))


if __name__ == "__main__":
    main()
