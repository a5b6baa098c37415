"""Packed logs on the torch side: any subset of sequences as one time-major packed batch.

:func:`pgmkit.data.sequences.pack_logs` reads and encodes the log once; here its events
are held sequence-major (each sequence's events contiguous), so a minibatch of any
sequences is re-packed with two index computations and one gather. A batch of every
sequence (longest first, as ``pack_logs`` sorts them) is exactly ``pack_logs``'s layout,
so its events line up with ``SequenceBatch.rows``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pgmkit.data.sequences import SequenceBatch


@dataclass(eq=False)
class Packed:
    """Events of some sequences, time-major; ``prev[p]`` is the packed position of the
    event before ``p`` in its sequence (-1 for a first event)."""

    codes: dict[str, torch.Tensor]
    reals: dict[str, torch.Tensor]
    batch_sizes: list[int]
    prev: torch.Tensor
    dtype: torch.dtype

    @property
    def num_events(self) -> int:
        return int(self.prev.shape[0])

    @property
    def batch_sizes_tensor(self) -> torch.Tensor:
        return torch.as_tensor(self.batch_sizes, dtype=torch.int64)

    @property
    def offsets(self) -> list[int]:
        return np.concatenate([[0], np.cumsum(self.batch_sizes)]).tolist()

    def lagged_codes(self, name: str) -> torch.Tensor:
        codes = self.codes[name]
        return torch.where(self.prev >= 0, codes[self.prev.clamp(min=0)], -1)

    def lagged_reals(self, name: str) -> torch.Tensor:
        vals = self.reals[name]
        return torch.where((self.prev >= 0)[:, None], vals[self.prev.clamp(min=0)], float("nan"))


class Events:
    """The events of a :class:`SequenceBatch`, sequence-major, ready to re-pack."""

    def __init__(self, batch: SequenceBatch, dtype: torch.dtype = torch.float32):
        self.lengths = np.asarray(batch.lengths, dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        seq, t = batch.seq_of_event, batch.time_of_event
        order = np.empty(batch.num_events, dtype=np.int64)
        order[self.starts[seq] + t] = np.arange(batch.num_events)   # seq-major -> packed
        self.dtype = dtype
        self.codes = {k: torch.as_tensor(v[order], dtype=torch.int64) for k, v in batch.codes.items()}
        self.reals = {k: torch.as_tensor(v[order], dtype=dtype) for k, v in batch.reals.items()}

    @property
    def num_sequences(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def num_events(self) -> int:
        return int(self.lengths.sum())

    def pack(self, seqs: np.ndarray | None = None) -> Packed:
        """Sequences ``seqs`` (all by default) as a packed batch, longest first."""
        seqs = np.arange(self.num_sequences) if seqs is None else np.asarray(seqs)
        seqs = seqs[np.argsort(-self.lengths[seqs], kind="stable")]
        lengths = self.lengths[seqs]
        sizes = np.bincount(lengths, minlength=int(lengths[0]) + 1)[::-1].cumsum()[::-1][1:]
        total = int(sizes.sum())
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        t = np.repeat(np.arange(len(sizes)), sizes)
        j = np.arange(total) - np.repeat(offsets, sizes)
        index = torch.as_tensor(self.starts[seqs][j] + t)
        prev = np.where(t > 0, np.arange(total) - np.concatenate([[0], sizes])[t], -1)
        return Packed({k: v[index] for k, v in self.codes.items()},
                      {k: v[index] for k, v in self.reals.items()},
                      sizes.tolist(), torch.as_tensor(prev), self.dtype)

    def minibatches(self, batch_size: int, generator: torch.Generator) -> list[np.ndarray]:
        """Sequences grouped into minibatches of similar length (little wasted recurrence),
        their make-up and order varying from epoch to epoch with ``generator``."""
        jitter = torch.rand(self.num_sequences, generator=generator, dtype=torch.float64).numpy()
        key = np.log(self.lengths) + 0.3 * jitter
        ranked = np.argsort(key, kind="stable")
        groups = [ranked[i:i + batch_size] for i in range(0, len(ranked), batch_size)]
        perm = torch.randperm(len(groups), generator=generator).numpy()
        return [groups[i] for i in perm]
