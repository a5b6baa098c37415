"""Encoded partitions, prepared once and visited by every EM iteration.

With an active ``distributed.Client`` the prepared partitions are persisted on the
workers: each iteration sends only the parameters, and a worker lost mid-fit has its
partitions recomputed by Dask from their lineage. Without one, Dask's default scheduler
prepares the partitions and each is spilled to a temporary folder, so an iteration holds
one partition per thread in memory, whatever the size of the log (out-of-core).
Per-partition results are combined as a tree (``split_every`` at a time).
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from typing import Callable

from pgmkit.distributed.frames import active_client, log

SPLIT_EVERY = 8


class PartitionStore:
    """``prepare(part, index, *args)`` applied once to every partition of ``frame``.

    :meth:`map_reduce` then applies ``fn(prepared, index, *args)`` to every prepared
    partition and combines the answers with ``combine`` (a tree reduction).
    """

    def __init__(self, frame, prepare: Callable, *args):
        import dask

        self.client = active_client()
        self.npartitions = frame.npartitions
        parts = [dask.delayed(prepare)(p, i, *args)
                 for i, p in enumerate(frame.to_delayed())]
        if self.client is not None:
            self.folder = None
            self.parts = self.client.compute(parts)     # persisted on the workers
            log.info("%d partitions persisted on %d workers", len(parts),
                     len(self.client.scheduler_info().get("workers", {})))
        else:
            self.folder = tempfile.mkdtemp(prefix="pgmkit-partitions-")
            spilled = [dask.delayed(_spill)(p, os.path.join(self.folder, f"{i}.pkl"))
                       for i, p in enumerate(parts)]
            self.parts = list(dask.compute(*spilled))
            log.info("%d partitions encoded and spilled to %s", len(parts), self.folder)

    def map_reduce(self, fn: Callable, combine: Callable, *args):
        """``combine`` over partitions of ``fn(prepared, index, *args)`` (None is skipped)."""
        if self.client is not None:
            futures = [self.client.submit(fn, p, i, *args, pure=False)
                       for i, p in enumerate(self.parts)]
            return self._tree(futures, combine, self.client.submit).result()
        import dask

        tasks = [dask.delayed(_from_disk)(fn, path, i, *args) for i, path in enumerate(self.parts)]
        return dask.compute(self._tree(tasks, combine, _delayed_call))[0]

    @staticmethod
    def _tree(items, combine, submit):
        while len(items) > 1:
            items = [submit(_combine_all, combine, *items[i:i + SPLIT_EVERY])
                     for i in range(0, len(items), SPLIT_EVERY)]
        return items[0]

    def close(self) -> None:
        """Release the persisted partitions or delete the spilled ones."""
        if self.client is not None:
            for f in self.parts:
                f.release()
        elif self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.parts = []

    def __enter__(self) -> "PartitionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _delayed_call(fn, *args):
    import dask

    return dask.delayed(fn)(*args)


def _combine_all(combine, *items):
    out = None
    for item in items:
        if item is None:
            continue
        out = item if out is None else combine(out, item)
    return out


def _spill(prepared, path: str) -> str:
    import cloudpickle     # a dependency of dask; pickles what Dask itself can ship

    with open(path, "wb") as fh:
        cloudpickle.dump(prepared, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _from_disk(fn, path: str, index: int, *args):
    with open(path, "rb") as fh:
        prepared = pickle.load(fh)       # written by this process a moment ago
    return fn(prepared, index, *args)
