"""A compiled model bound to a batch: product-state tensors and emission log-probabilities."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgmkit.backends.forward_backward import kernel
from pgmkit.data.sequences import show
from pgmkit.backends.forward_backward.compile import (Layout, Params, check_complete, gaussian_by_state,
                                                 log_emission_tables, log_initial, log_transition)


@dataclass(eq=False)
class Bound:
    """Everything one forward-backward needs: parameters as tensors, indices, emissions."""

    layout: Layout
    params: Params
    batch: object
    packed: kernel.Packed
    log_pi: object
    trans: kernel.Transition
    log_e: object

    def labels(self, event: int) -> str:
        """'sequence 'x', step 3' for a packed event index (used in error messages)."""
        b = self.batch
        seq = b.seq_of_event[event]
        group = b.groups[b.group_codes[seq]]
        where = f"sequence '{b.sequence_ids[seq]}'" + (f" (group '{group}')" if group is not None else "")
        return f"{where}, step {show(b.steps[event])} (row {int(b.rows[event])})"

    def forward(self) -> kernel.Forward:
        return kernel.forward(self.log_e, self.log_pi, self.trans, self.packed, self.labels)


def bind(layout: Layout, params: Params, batch, packed: kernel.Packed | None = None,
         device=None) -> Bound:
    """Compile ``params`` to tensors and score every event of ``batch`` under every state.

    The tensors live on ``packed.device`` (given ``packed``) or ``device``: None is the
    CPU with the kernel's numpy loops, a ``torch.device`` keeps every pass there.
    """
    import torch

    check_complete(layout, params)
    packed = packed or kernel.pack_indices(batch, params.G, device)
    log_pi = torch.as_tensor(log_initial(layout, params), device=packed.device)
    trans = kernel.Transition(log_transition(layout, params), packed)
    return Bound(layout, params, batch, packed, log_pi, trans,
                 log_emissions(layout, params, batch, packed))


def log_emissions(layout: Layout, params: Params, batch, packed: kernel.Packed):
    """``log p(observed leaves_t, state evidence_t | state_t)``, shape ``(E, K)``.

    Missing leaves contribute 0 (summed out); an observed (or labelled) state variable
    rules out the product states that disagree with it.
    """
    import torch

    k, dev = layout.K, packed.device
    out = torch.zeros((batch.num_events, k), dtype=torch.float64, device=dev)
    shared = params.G == 1
    g = packed.event_group
    for name, table in log_emission_tables(layout, params).items():
        code = batch.codes.get(name)
        if code is None:
            continue
        # an extra all-zero column is where missing values (code -1) look up
        t = torch.as_tensor(np.concatenate([table, np.zeros(table.shape[:2] + (1,))], axis=2),
                            device=dev)
        t = t.permute(0, 2, 1).contiguous()      # (G, card + 1, K)
        c = torch.as_tensor(code, device=dev)
        out += t[0][c] if shared else t[g, c]
    for name, (loc, scale) in gaussian_by_state(layout, params).items():
        x = batch.reals.get(name)
        if x is None:
            continue
        xt = torch.as_tensor(x, device=dev)[:, None, :]
        loc_t, scale_t = torch.tensor(loc, device=dev), torch.tensor(scale, device=dev)
        if shared:
            lp = kernel.log_normal(xt, loc_t[0][None], scale_t[0][None])
        else:
            lp = kernel.log_normal(xt, loc_t[g], scale_t[g])
        out += torch.where(torch.isnan(xt), torch.zeros_like(lp), lp).sum(-1)
    for name in layout.state:
        code = batch.codes.get(name)
        if code is None:
            continue
        c = torch.as_tensor(code, device=dev)
        idx = torch.as_tensor(layout.state_index(name), device=dev)
        clash = (c[:, None] >= 0) & (idx[None, :] != c[:, None])
        out.masked_fill_(clash, float("-inf"))
    return out
