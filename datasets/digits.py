"""scikit-learn's bundled 8x8 handwritten digits, binarized, with a fixed split.

1797 images ship inside scikit-learn (no download). Pixels (0..16) are scaled to
[0, 1] and binarized at 0.5; the split is fixed: the first 1500 images train, the
remaining 297 test.
"""
from __future__ import annotations

import numpy as np

N_TRAIN = 1500
SPLITS = ("train", "test", "all")


def load(split: str = "train", binarize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 rows of 64 pixels and their labels (0..9).

    Parameters
    ----------
    split : {"train", "test", "all"}
    binarize : bool
        Threshold the [0, 1]-scaled pixels at 0.5 (the VAE's Bernoulli decoder needs 0/1).

    Examples
    --------
    >>> x, y = load("train")
    >>> x.shape, y.shape, sorted(set(x.ravel().tolist()))
    ((1500, 64), (1500,), [0.0, 1.0])
    """
    from sklearn.datasets import load_digits

    from pgmkit.errors import DataError

    if split not in SPLITS:
        raise DataError(f"digits split must be one of {list(SPLITS)}; received '{split}'")
    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    if binarize:
        x = (x > 0.5).astype(np.float32)
    y = bunch.target.astype(np.int64)
    if split == "train":
        return x[:N_TRAIN], y[:N_TRAIN]
    if split == "test":
        return x[N_TRAIN:], y[N_TRAIN:]
    return x, y


def invert(images: np.ndarray) -> np.ndarray:
    """The fixed map from plain digits to the second domain of the bundled pair: ``1 - x``.

    It is its own inverse, so it also brings a second-domain image back to a plain digit.
    """
    return (1.0 - np.asarray(images, dtype=np.float32)).astype(np.float32)


def domains(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """An unpaired pair of domains for translation models (the zoo's ``cyclegan``).

    Domain A: the even-indexed images of the split, scaled to [0, 1]; domain B: the
    odd-indexed ones, inverted (:func:`invert`). No image appears in both, so nothing pairs
    an A image with its B counterpart.

    Examples
    --------
    >>> a, b = domains("train")
    >>> a.shape, b.shape
    ((750, 64), (750, 64))
    """
    x, _ = load(split, binarize=False)
    return x[0::2], invert(x[1::2])
