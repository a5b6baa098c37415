"""The small fixed digit classifier whose feature space the digit scores use.

An MLP 64 -> 128 -> 32 -> 10 (ReLU) trained once per process on the training split of
the bundled 8x8 digits (pixels scaled to [0, 1], not binarized): full-batch Adam, 400
steps, learning rate 1e-2, weight decay 1e-4, seed 0, on its own generator so it never
touches the caller's random state. It reaches about 96% accuracy on the 297 held-out
test digits. Its 32 penultimate ReLU units are the features of the Frechet distance,
as Inception's pool features are for FID on natural images.
"""
from __future__ import annotations

import functools

import numpy as np

FEATURES = 32
STEPS, LR, WEIGHT_DECAY, SEED = 400, 1e-2, 1e-4, 0


@functools.lru_cache(maxsize=1)
def digit_classifier():
    """The trained classifier (a ``torch.nn.Sequential``, eval mode, frozen); built once."""
    import torch
    from torch import nn

    from pgmkit.datasets import digits

    x, y = digits.load("train", binarize=False)
    gen = torch.Generator().manual_seed(SEED)
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, FEATURES), nn.ReLU(),
                        nn.Linear(FEATURES, 10)).double()
    with torch.no_grad():  # initialise from our own generator: the global RNG stays untouched
        for layer in net:
            if isinstance(layer, nn.Linear):
                bound = 1.0 / np.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=gen)
                layer.bias.uniform_(-bound, bound, generator=gen)
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y)
    opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    for _ in range(STEPS):
        opt.zero_grad()
        nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def _run(images: np.ndarray, upto: int):
    import torch

    net = digit_classifier()
    with torch.no_grad():
        h = torch.as_tensor(np.asarray(images, dtype=np.float64))
        for layer in list(net)[:upto]:
            h = layer(h)
    return h.numpy()


def penultimate(images: np.ndarray) -> np.ndarray:
    """The 32 features of each image (rows of 64 pixels in [0, 1])."""
    return _run(images, 4)


def logits(images: np.ndarray) -> np.ndarray:
    """Class scores (10 per image)."""
    return _run(images, 5)
