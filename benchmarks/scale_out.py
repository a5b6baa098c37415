"""Scale-out of BKT EM: 1 vs 2 Dask workers on 10M answers, and a 50M out-of-core fit.

The log is synthetic: students answering one skill each (``skill`` = student mod 20),
drawn from models/bkt.yaml's parameters (prior 0.3, learn 0.15, guess 0.2, slip 0.1), 50
answers per student, written as a Parquet folder with ``--partition-rows`` rows per file
(whole students per file). Measured:

1. ``DynamicBayesNet.fit(folder, groupby="skill")`` on a LocalCluster with 1 and then 2
   worker processes (1 thread each): EM rows per second (events / seconds per
   iteration, the median over iterations after the first) and each worker's peak RSS.
2. The same fit on a 50M-answer folder without a cluster (Dask's default scheduler,
   encoded partitions spilled to disk): seconds per iteration and the peak RSS of the
   whole process (measured in a child process, so it is that fit's alone).

Run: ``python benchmarks/scale_out.py [--rows 10_000_000] [--big-rows 50_000_000]``.
EM runs a fixed number of iterations (``--iterations``, tol=-inf) so that both worker
counts do the same work.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LENGTH, SKILLS = 50, 20


def write_log(folder: Path, rows: int, partition_rows: int, seed: int = 0) -> bool:
    """A synthetic BKT log of ``rows`` answers as Parquet files of whole students
    (False when ``folder`` already holds one, which is then reused)."""
    import pgmkit

    if folder.is_dir() and any(folder.glob("*.parquet")):
        return False
    bkt = pgmkit.example("bkt")
    folder.mkdir(parents=True, exist_ok=True)
    students = rows // LENGTH
    per_file = max(1, partition_rows // LENGTH)
    seeds = np.random.SeedSequence(seed).spawn((students + per_file - 1) // per_file)
    for i, start in enumerate(range(0, students, per_file)):
        n = min(per_file, students - start)
        part = bkt.sample_sequences(n, LENGTH, seed=int(seeds[i].generate_state(1)[0]))
        part["sequence"] += start
        part = part.drop(columns=["mastery"]).astype({"correct": "int8", "step": "int16"})
        part["skill"] = (part["sequence"] % SKILLS).astype("int16")
        part.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return True


class IterationClock(logging.Handler):
    """Timestamps of pgmkit's per-iteration EM log lines."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.times: list[float] = []

    def emit(self, record):
        if record.getMessage().startswith("EM iteration"):
            self.times.append(time.perf_counter())


def timed_fit(folder: Path, iterations: int) -> dict:
    import pgmkit

    clock = IterationClock()
    logger = logging.getLogger("pgmkit.distributed")
    logger.addHandler(clock)
    logger.setLevel(logging.DEBUG)
    start = time.perf_counter()
    fitted = pgmkit.example("bkt").fit(str(folder), groupby="skill", max_iter=iterations,
                                       tol=float("-inf"), seed=0, progress=False)
    total = time.perf_counter() - start
    logger.removeHandler(clock)
    steps = np.diff(clock.times)
    events = fitted.history.extra["events"]
    per_iter = float(np.median(steps)) if len(steps) else float("nan")
    return {"events": events, "partitions": fitted.history.extra["partitions"],
            "fit_seconds": round(total, 2), "prepare_seconds": round(clock.times[0] - start, 2),
            "seconds_per_iteration": round(per_iter, 3),
            "rows_per_second": round(events / per_iter), "iterations": len(clock.times),
            "final_log_likelihood": fitted.history.log_likelihood[-1]}


def on_cluster(folder: Path, workers: int, iterations: int) -> dict:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=0,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        out = timed_fit(folder, iterations)
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    out["workers"] = workers
    out["peak_rss_gb_per_worker"] = [round(kb / 1e6, 2) for kb in peaks.values()]
    return out


def out_of_core(folder: Path, iterations: int) -> dict:
    """The fit in a child process, which reports its own peak RSS."""
    code = ("import json, resource, sys; sys.path.insert(0, %r)\n"
            "from benchmarks.scale_out import timed_fit\nfrom pathlib import Path\n"
            "out = timed_fit(Path(%r), %d)\n"
            "out['peak_rss_gb'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)\n"
            "print(json.dumps(out))") % (str(Path(__file__).resolve().parent.parent),
                                         str(folder), iterations)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the out-of-core fit failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(key: str, value) -> None:
    """One finished measurement, printed at once (a long run reports as it goes)."""
    print(json.dumps({key: value}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=50_000_000)
    parser.add_argument("--partition-rows", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--big-iterations", type=int, default=3)
    parser.add_argument("--workdir", default=None, help="where the Parquet logs go (temp)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pgmkit-scale-"))
    report = {"cpu_count": os.cpu_count(), "load_average_before": os.getloadavg()}
    try:
        small = work / "log10m"
        t = time.perf_counter()
        if write_log(small, args.rows, args.partition_rows):
            report["write_small_seconds"] = round(time.perf_counter() - t, 1)
        runs = []
        for w in (1, 2):
            runs.append(on_cluster(small, w, args.iterations))
            show(f"cluster_{w}_workers", runs[-1])
        report["cluster"] = runs
        report["speedup_2_vs_1"] = round(runs[1]["rows_per_second"] / runs[0]["rows_per_second"], 2)
        report["same_result"] = abs(runs[0]["final_log_likelihood"] -
                                    runs[1]["final_log_likelihood"]) < 1e-6 * abs(
            runs[0]["final_log_likelihood"])
        if args.workdir is None:
            shutil.rmtree(small, ignore_errors=True)
        if args.big_rows:
            big = work / "log50m"
            t = time.perf_counter()
            if write_log(big, args.big_rows, args.partition_rows, seed=1):
                report["write_big_seconds"] = round(time.perf_counter() - t, 1)
            report["out_of_core"] = out_of_core(big, args.big_iterations)
            show("out_of_core", report["out_of_core"])
        report["load_average_after"] = os.getloadavg()
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
