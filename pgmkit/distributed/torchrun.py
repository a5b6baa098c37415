"""Devices and data-parallel SVI under ``torchrun`` (DistributedDataParallel).

``DeepModel.fit(x, distributed=True)`` is called on every rank with the full data. The
process group comes from the environment ``torchrun`` sets (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT``, ``LOCAL_RANK``): gloo on CPU, NCCL on CUDA. Every rank
draws the same permutation each epoch; a global minibatch of ``batch_size`` rows is cut
into one slice per rank, and DistributedDataParallel all-reduces the gradients so that
each optimizer step sees the gradient of the whole global minibatch, as one process
would. Only rank 0 writes checkpoints and files.
"""
from __future__ import annotations

import contextlib
import logging
import os

from pgmkit.errors import DataError, PgmkitError, UnsupportedError

log = logging.getLogger(__name__)
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def resolve_device(device: str | None, distributed: bool = False):
    """The ``torch.device`` to train on: CPU by default, CUDA only when asked and present.

    Under ``distributed=True`` a CUDA run uses the GPU of its ``LOCAL_RANK``.
    """
    import torch

    if device is None or str(device) == "cpu":
        return torch.device("cpu")
    text = str(device)
    if not text.startswith("cuda"):
        raise DataError(f"device must be 'cpu' or 'cuda' (optionally 'cuda:N'); received "
                        f"device={device!r}")
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise PgmkitError(f"device={device!r} was asked but CUDA is not available here (torch "
                          f"{torch.__version__}, {build}); use device='cpu'")
    if distributed and text == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    try:
        out = torch.device(text)
    except RuntimeError:
        raise DataError(f"device {device!r} is not a device name such as 'cuda:0'") from None
    if out.index is not None and out.index >= torch.cuda.device_count():
        raise PgmkitError(f"device={device!r} was asked but only {torch.cuda.device_count()} "
                          "CUDA device(s) are present")
    return out


@contextlib.contextmanager
def process_group(device):
    """Yield ``(rank, world_size)``; joins (and afterwards leaves) the torchrun group.

    A group the caller already initialized is used as it is and left open.
    """
    import torch.distributed as dist

    if not dist.is_available():
        raise UnsupportedError("distributed=True needs torch.distributed, which this torch "
                               "build lacks")
    if dist.is_initialized():
        yield dist.get_rank(), dist.get_world_size()
        return
    missing = [k for k in TORCHRUN_ENV if k not in os.environ]
    if missing:
        raise PgmkitError(f"distributed=True runs under torchrun, which sets {list(TORCHRUN_ENV)}; "
                          f"{missing} are not set. Launch with: torchrun --nproc_per_node=2 "
                          "your_script.py")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        import torch

        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend)
    log.info("rank %d of %d joined the %s process group", dist.get_rank(),
             dist.get_world_size(), backend)
    try:
        yield dist.get_rank(), dist.get_world_size()
    finally:
        dist.destroy_process_group()


class DataParallel:
    """One rank's share of each global minibatch and the DDP-wrapped loss.

    ``loss(batch, size)`` is ``world * (sum of the rank's negative ELBO terms)``: DDP
    averages gradients over ranks, so the step follows the gradient of the sum over the
    whole global minibatch, exactly as one process computes it.
    """

    def __init__(self, program, elbo, rank: int, world: int, device):
        import torch
        from torch.nn.parallel import DistributedDataParallel

        self.rank, self.world = rank, world
        module = _loss_class()(program, elbo)
        ids = [device.index] if device.type == "cuda" else None
        self.ddp = DistributedDataParallel(module, device_ids=ids, find_unused_parameters=True)
        self.torch = torch

    def share(self, batch: dict, size: int) -> tuple[dict, int, float]:
        """This rank's rows of a global minibatch, their count and the loss weight."""
        lo = size * self.rank // self.world
        hi = size * (self.rank + 1) // self.world
        if hi > lo:
            return {k: v[lo:hi] for k, v in batch.items()}, hi - lo, float(self.world)
        # fewer rows than ranks: this rank still takes part in the all-reduce, weight 0
        return {k: v[:1] for k, v in batch.items()}, 1, 0.0

    def loss(self, batch: dict, size: int):
        local, n, weight = self.share(batch, size)
        return self.ddp(local, n) * weight

    def total(self, value: float) -> float:
        """Sum of ``value`` over ranks (the epoch's loss of the whole data)."""
        import torch.distributed as dist

        t = self.torch.tensor([value], dtype=self.torch.float64)
        dist.all_reduce(t)
        return float(t.item())


def _loss_class():
    """An ``nn.Module`` whose forward is the negative ELBO, so DDP can wrap it (defined
    here so that importing this module does not import torch)."""
    import torch.nn as nn

    class Loss(nn.Module):
        def __init__(self, program, elbo):
            super().__init__()
            self.program = program
            self.elbo = elbo

        def forward(self, batch, size):
            return self.elbo.differentiable_loss(self.program.model, self.program.guide,
                                                 batch, size)

    return Loss


def engine_device(device: str | None):
    """The device an EM engine's E-step runs on: None for the CPU (the engine's own CPU
    path, numpy loops for forward-backward), else the ``torch.device`` asked for.

    ``None``/``"cpu"`` give None; CUDA where absent or a bad name is the same error as
    for deep models (:func:`resolve_device`).
    """
    if device is None or str(device) == "cpu":
        return None
    return resolve_device(device)
