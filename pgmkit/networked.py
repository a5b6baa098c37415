"""What the model classes built on torch networks share: building the network under a
seed with the weights loaded (every torch-backed class), saving to a folder, loading it
back, and copying (the autoregressive and neural temporal models)."""
from __future__ import annotations

import os
from pathlib import Path

from pgmkit.base import Model


def seeded_module(make, seed: int, weights, model: str):
    """``make()`` with torch seeded by ``seed`` (network initialisation is part of the
    seeded run; the global stream is left as it was), then ``weights`` loaded into it.
    Weights of another model are a ``SpecError`` naming ``model``."""
    import torch

    from pgmkit.errors import SpecError

    with torch.random.fork_rng():
        torch.manual_seed(int(seed))
        module = make()
    if weights is not None:
        try:
            module.load_state_dict(weights)
        except RuntimeError as exc:
            raise SpecError(f"the weights do not fit model '{model}': "
                            f"{str(exc).splitlines()[0]}") from None
    return module


class NetworkModel(Model):
    """A :class:`Model` whose parameters live in ``self.network`` (a torch module built
    from the spec) and whose constructor takes ``weights=`` (a state dict)."""

    #: How a saved folder of this class is named in error messages.
    saved_what = "model"

    def copy(self):
        """A model with the same spec and weights; fitting it leaves this one untouched."""
        out = type(self)(self.spec, backend=self.backend if self._explicit else None,
                         weights=self._weights)
        out.history = self.history
        return out

    def save(self, path: str | os.PathLike, fmt: str | None = None) -> Path:
        """Write a directory: ``model.yaml`` (the spec, learned tables included) and
        ``weights.pt`` (the network's state dict), each atomically."""
        from pgmkit.io.saved import save_model_dir

        return save_model_dir(self.spec, self.network.state_dict(), path)

    @classmethod
    def load_dir(cls, path: str | os.PathLike):
        """Read a directory written by :meth:`save` (weights loaded with ``weights_only``)."""
        from pgmkit.io.saved import load_model_dir

        return load_model_dir(path, lambda spec, weights: cls(spec, weights=weights),
                              cls.saved_what)
