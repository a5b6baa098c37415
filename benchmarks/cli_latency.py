"""CLI start-up: wall time of ``pgmkit`` commands against the bare interpreter.

Each command runs in a fresh process, as a user runs it; the baseline is
``python -c "import numpy, pandas, yaml"`` (what any pgmkit command must load anyway).
The commands and the baseline take turns, ``--repeats`` rounds, and the medians and
ratios are printed. Run: ``.venv/bin/python benchmarks/cli_latency.py [--repeats 7]``.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = ("bare interpreter", [sys.executable, "-c", "import numpy, pandas, yaml"])


def commands(tmp: Path) -> list[tuple[str, list[str]]]:
    cli = [sys.executable, "-m", "pgmkit"]
    return [
        ("query", cli + ["query", "alarm", "Burglary", "--given", "JohnCalls=yes",
                         "MaryCalls=yes"]),
        ("map", cli + ["map", "alarm", "--given", "JohnCalls=yes"]),
        ("sample", cli + ["sample", "alarm", "-n", "100", "--given", "MaryCalls=yes",
                          "--seed", "0"]),
        ("show", cli + ["show", "alarm"]),
        ("check", cli + ["check", "alarm"]),
        ("convert", cli + ["convert", "alarm", str(tmp / "alarm.json")]),
    ]


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        runs = [BASELINE] + commands(Path(tmp))
        times = {label: [] for label, _ in runs}
        for _ in range(args.repeats):
            for label, cmd in runs:
                times[label].append(wall(cmd))
    base = statistics.median(times[BASELINE[0]])
    print(f"median wall time of {args.repeats} alternating runs; baseline "
          f"`python -c \"import numpy, pandas, yaml\"` = {base:.3f} s")
    for label, values in times.items():
        med = statistics.median(values)
        print(f"  {label:<18} {med:6.3f} s   {med / base:5.2f}x the baseline")


if __name__ == "__main__":
    main()
