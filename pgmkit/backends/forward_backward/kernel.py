"""Forward-backward and Viterbi over packed, ragged batches with per-group parameters.

pomegranate's ``DenseHMM`` runs one equal-length batch with one parameter set, learns
an end state a DBN does not have, and materializes an ``(n, length, K, K)`` tensor for
the expected transitions. EM over thousands of ragged sequences of many models (one
per skill) needs all of these lifted, so this module is the missing piece, in torch:

- events are packed time-major (see :mod:`pgmkit.data.sequences`): step ``t`` touches
  only the sequences still running, whatever the spread of lengths;
- each sequence carries a group index that picks its parameter set;
- the forward pass is scaled (per-step normalizers kept in log), emissions enter as
  ``exp(log e - max)``, so nothing underflows; expected transitions are summed with one
  matrix product instead of a ``K x K`` tensor per event.

Two paths run the per-step loops. On the CPU (``Packed.device is None``, the default)
they run on numpy views of the torch tensors: one small product per time step, where
numpy's call overhead is a few microseconds and torch's tens. With a torch device
(``Packed.device``, e.g. CUDA) every step stays in torch on that device, in float64,
so the E-step never leaves it; both paths compute the same sums (the tests hold them
equal to 1e-9, running the torch path on the CPU).
"""
from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass

import numpy as np

from pgmkit.errors import EvidenceError


@contextlib.contextmanager
def few_threads(n: int = 1, blas: bool = False):
    """Run torch on ``n`` intra-op threads, restoring the setting afterwards; with
    ``blas`` numpy's BLAS too.

    The passes are thousands of small per-step operations; on a busy machine torch's
    thread pool costs more than it saves (measured: 6x slower with 2 threads on a
    loaded 2-core box), so the kernels run single-threaded. The EM's one large product
    (the expected transitions, ``(K, E) @ (E, K)`` in numpy) suffers the same from
    OpenBLAS's pool: 11 ms on one thread against 126 ms on two, at K=32 and 100,000
    events on that box. ``blas`` costs about a millisecond per call (threadpoolctl, a
    dependency of scikit-learn, finds the loaded BLAS), so it is for the EM entry points.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        if blas:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=n, user_api="blas"):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(before)


def single_threaded(fn):
    """Decorator form of :func:`few_threads` for the engine's entry points."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with few_threads(1):
            return fn(*args, **kwargs)

    return wrapper


@dataclass(eq=False)
class Packed:
    """Torch-side indices of a :class:`SequenceBatch`."""

    batch_sizes: list[int]
    offsets: list[int]
    seq_group: "object"     # (N,) long tensor
    event_group: "object"   # (E,) long tensor
    prev: "object"          # (E - n0,) packed index of the previous event of each later event
    G: int
    device: "object" = None  # None: the numpy loops on the CPU; a torch.device: torch loops there

    @property
    def n0(self) -> int:
        return self.batch_sizes[0]

    @property
    def E(self) -> int:
        return self.offsets[-1]


def pack_indices(batch, G: int, device=None) -> Packed:
    """The torch indices of ``batch`` for ``G`` parameter sets, on ``device`` (None: the
    CPU, numpy loops)."""
    import torch

    bs = batch.batch_sizes.astype(np.int64)
    time = batch.time_of_event
    n0 = int(bs[0])
    prev = np.arange(n0, batch.num_events) - bs[time[n0:] - 1]
    # one parameter set serves every group of the data (a single model queried by group)
    seq_group = batch.group_codes if G > 1 else np.zeros_like(batch.group_codes)
    return Packed([int(b) for b in bs], [int(o) for o in batch.offsets],
                  torch.as_tensor(seq_group, dtype=torch.long, device=device),
                  torch.as_tensor(seq_group[batch.seq_of_event], dtype=torch.long, device=device),
                  torch.as_tensor(prev, dtype=torch.long, device=device), G, device)


class Transition:
    """Applies ``x @ A[g]`` for rows of ``x`` belonging to groups ``g`` (one or many A)."""

    def __init__(self, log_a: np.ndarray, packed: Packed):
        import torch

        self.log_a = torch.as_tensor(log_a, device=packed.device)
        self.a = torch.exp(self.log_a)
        self.shared = self.a.shape[0] == 1
        self.a_seq = None if self.shared else self.a[packed.seq_group]
        # numpy views for the CPU's per-step loops (see ``step_np``)
        on_cpu = packed.device is None
        self.a_np = self.a.numpy() if on_cpu else None
        self.a_seq_np = None if self.shared or not on_cpu else self.a_seq.numpy()

    def step_np(self, x: np.ndarray, n: int, transpose: bool = False) -> np.ndarray:
        """:meth:`step` on numpy arrays.

        The passes make one small product per time step; numpy's call overhead is a
        few microseconds where torch's is tens, which decides the speed at small K.
        """
        if self.shared:
            return x @ (self.a_np[0].T if transpose else self.a_np[0])
        a = self.a_seq_np[:n]
        if transpose:
            return np.matmul(a, x[:, :, None])[:, :, 0]
        return np.matmul(x[:, None, :], a)[:, 0, :]

    def step(self, x, n: int, transpose: bool = False):
        """Rows ``0..n`` of the live sequences times their matrix (or its transpose)."""
        import torch

        if self.shared:
            return x @ (self.a[0].T if transpose else self.a[0])
        a = self.a_seq[:n]
        if transpose:
            return torch.bmm(a, x.unsqueeze(2)).squeeze(2)
        return torch.bmm(x.unsqueeze(1), a).squeeze(1)

    def rows(self, x, groups):
        """``x[i] @ A[groups[i]]`` for arbitrary rows (used for one-step predictions)."""
        import torch

        if self.shared:
            return x @ self.a[0]
        out = torch.empty_like(x)
        chunk = max(1, 2_000_000 // max(1, self.a.shape[1] ** 2))
        for s in range(0, x.shape[0], chunk):
            g = groups[s:s + chunk]
            out[s:s + chunk] = torch.bmm(x[s:s + chunk].unsqueeze(1), self.a[g]).squeeze(1)
        return out


@dataclass(eq=False)
class Forward:
    alpha: "object"      # (E, K) filtered p(state_t | obs_1..t)
    log_c: "object"      # (E,) log p(obs_t | obs_1..t-1)
    e: "object"          # (E, K) exp(log emission - m)
    m: "object"          # (E,) the per-event shift


def forward(log_e, log_pi, trans: Transition, packed: Packed, labels=None) -> Forward:
    """Scaled forward pass. ``log_pi`` is ``(G, K)``; ``labels`` name events in errors."""
    import torch

    m = log_e.max(dim=1).values
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    e = torch.exp(log_e - m[:, None])
    alpha = torch.empty_like(e)
    c = torch.empty(e.shape[0], dtype=e.dtype, device=e.device)
    n0 = packed.n0
    pi = torch.exp(log_pi)
    a = (pi[0] if pi.shape[0] == 1 else pi[packed.seq_group[:n0]]) * e[:n0]
    c[:n0] = a.sum(1)
    alpha[:n0] = a / c[:n0, None]
    if packed.device is None:
        _forward_np(alpha, c, e, trans, packed)
    else:
        for t in range(1, len(packed.batch_sizes)):
            s, n, ps = packed.offsets[t], packed.batch_sizes[t], packed.offsets[t - 1]
            a = trans.step(alpha[ps:ps + n], n) * e[s:s + n]
            c[s:s + n] = a.sum(1)
            alpha[s:s + n] = a / c[s:s + n, None]
    bad = ~(c > 0)
    if bool(bad.any()):
        _impossible(int(torch.nonzero(bad)[0]), labels)
    return Forward(alpha, torch.log(c) + m, e, m)


def _forward_np(alpha, c, e, trans: Transition, packed: Packed) -> None:
    """The forward loop on numpy views of the same memory (see Transition.step_np).

    Row sums are a product with ones and row scaling goes through transposed views:
    numpy's reductions and broadcasts along a short last axis cost several times more.
    """
    alpha_np, c_np, e_np = alpha.numpy(), c.numpy(), e.numpy()
    ones = np.ones(alpha_np.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):   # impossible events: see forward
        for t in range(1, len(packed.batch_sizes)):
            s, n, ps = packed.offsets[t], packed.batch_sizes[t], packed.offsets[t - 1]
            a = trans.step_np(alpha_np[ps:ps + n], n)
            a *= e_np[s:s + n]
            ct = a @ ones
            c_np[s:s + n] = ct
            np.multiply(a.T, 1.0 / ct, out=alpha_np[s:s + n].T)


def _impossible(event: int, labels) -> None:
    where = labels(event) if labels else f"event {event}"
    raise EvidenceError(f"{where}: the observations have probability zero under the model "
                        "(impossible evidence)")


def backward(fw: Forward, trans: Transition, packed: Packed):
    """Scaled backward pass; returns ``beta`` and ``w`` (the weight of each later event
    used by the expected transitions: ``beta * e / c``), both ``(E, K)``."""
    import torch

    beta = torch.ones_like(fw.alpha)
    w = torch.zeros_like(fw.alpha)
    c = torch.exp(fw.log_c - fw.m)
    scaled = fw.e / c[:, None]          # e / c once for every event
    if packed.device is not None:
        for t in range(len(packed.batch_sizes) - 1, 0, -1):
            s, n, ps = packed.offsets[t], packed.batch_sizes[t], packed.offsets[t - 1]
            w[s:s + n] = beta[s:s + n] * scaled[s:s + n]
            beta[ps:ps + n] = trans.step(w[s:s + n], n, transpose=True)
        return beta, w
    # the loop on numpy views of the same memory (see Transition.step_np)
    scaled, beta_np, w_np = scaled.numpy(), beta.numpy(), w.numpy()
    for t in range(len(packed.batch_sizes) - 1, 0, -1):
        s, n, ps = packed.offsets[t], packed.batch_sizes[t], packed.offsets[t - 1]
        wt = np.multiply(beta_np[s:s + n], scaled[s:s + n], out=w_np[s:s + n])
        beta_np[ps:ps + n] = trans.step_np(wt, n, transpose=True)
    return beta, w


def expected_transitions(fw: Forward, w, trans: Transition, packed: Packed):
    """Sum over events of ``p(state_t-1 = i, state_t = j | obs)`` per group: ``(G, K, K)``."""
    import torch

    n0, k = packed.n0, fw.alpha.shape[1]
    if trans.shared and packed.device is None:   # numpy's gather and product: ~2x torch's here
        prev_alpha = np.take(fw.alpha.numpy(), packed.prev.numpy(), axis=0)
        counts = torch.from_numpy(prev_alpha.T @ w.numpy()[n0:])
        return (trans.a[0] * counts).unsqueeze(0)
    prev_alpha, nxt = fw.alpha[packed.prev], w[n0:]
    if trans.shared:
        return (trans.a[0] * (prev_alpha.T @ nxt)).unsqueeze(0)
    out = torch.zeros(packed.G, k * k, dtype=prev_alpha.dtype, device=prev_alpha.device)
    groups = packed.event_group[n0:]
    chunk = max(1, 4_000_000 // (k * k))
    for s in range(0, prev_alpha.shape[0], chunk):
        outer = prev_alpha[s:s + chunk, :, None] * nxt[s:s + chunk, None, :]
        out.index_add_(0, groups[s:s + chunk], outer.reshape(-1, k * k))
    return out.reshape(packed.G, k, k) * trans.a


def viterbi(log_e, log_pi, trans: Transition, packed: Packed, lengths: np.ndarray, labels=None):
    """Most probable product-state path, packed ``(E,)``, and each path's log-probability."""
    import torch

    e_count, k = log_e.shape
    delta = torch.empty_like(log_e)
    back = torch.empty((e_count, k), dtype=torch.long)
    n0 = packed.n0
    lp = log_pi[0] if log_pi.shape[0] == 1 else log_pi[packed.seq_group[:n0]]
    delta[:n0] = lp + log_e[:n0]
    la = trans.log_a[0] if trans.shared else trans.log_a[packed.seq_group]
    for t in range(1, len(packed.batch_sizes)):
        s, n, ps = packed.offsets[t], packed.batch_sizes[t], packed.offsets[t - 1]
        scores = delta[ps:ps + n, :, None] + (la if trans.shared else la[:n])
        best, arg = scores.max(dim=1)
        delta[s:s + n] = best + log_e[s:s + n]
        back[s:s + n] = arg
    path = torch.empty(e_count, dtype=torch.long)
    n_seq = len(lengths)
    cur = torch.zeros(n_seq, dtype=torch.long)
    score = torch.empty(n_seq, dtype=log_e.dtype)
    sizes = packed.batch_sizes + [0]
    for t in range(len(packed.batch_sizes) - 1, -1, -1):
        s, n = packed.offsets[t], sizes[t]
        ending = slice(sizes[t + 1], n)        # sequences whose last step is t
        best, arg = delta[s + ending.start:s + n].max(dim=1)
        cur[ending], score[ending] = arg, best
        path[s:s + n] = cur[:n]
        if t:
            cur[:n] = back[s:s + n].gather(1, cur[:n, None]).squeeze(1)
    if not bool(torch.isfinite(score).all()):
        i = int(torch.nonzero(~torch.isfinite(score))[0])
        _impossible(packed.offsets[0] + i, labels)
    return path, score


def log_normal(x, loc, scale):
    """Elementwise ``log N(x | loc, scale)``."""
    import torch

    z = (x - loc) / scale
    return -0.5 * z * z - torch.log(scale) - 0.5 * math.log(2 * math.pi)
