"""Scores for generated 8x8 digits, the ones users of GANs expect.

- :func:`frechet_distance`: an FID-style score for 8x8 digits. Both sets of images go
  through the fixed classifier of :mod:`pgmkit.evaluate.classifier`; each set's 32
  penultimate features get a Gaussian (mean, covariance), and the score is the Frechet
  distance between the two Gaussians, ``|m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2))``.
  0 for identical sets; lower is better. Like FID it is biased upwards for small sets:
  compare scores computed on the same number of images.
- :func:`classes_covered`: how many digits the classifier finds among the samples; a
  digit counts when it gets at least ``min_share`` (default 2%) of them. Fewer than 10
  means mode collapse.
- :func:`class_accuracy`: the share of class-conditional samples the classifier puts in
  the requested class.
- :func:`matched_accuracy`: agreement of an unsupervised code with the labels after the
  best one-to-one matching of codes to classes (InfoGAN's categorical code).
- :func:`mmd`: the unbiased squared maximum mean discrepancy between two sets of images
  with a Gaussian kernel on pixels, bandwidth the median pairwise distance.
- :func:`score`: all of these for a fitted model at once.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from pgmkit.errors import DataError
from pgmkit.evaluate import classifier

PIXELS = 64


def _images(x, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1 and arr.size == PIXELS:
        arr = arr[None]
    arr = arr.reshape(len(arr), -1) if arr.ndim > 2 else arr
    if arr.ndim != 2 or arr.shape[1] != PIXELS:
        raise DataError(f"{what}: expected 8x8 digit images as rows of {PIXELS} pixels; "
                        f"received shape {list(np.shape(x))}")
    if len(arr) < 2:
        raise DataError(f"{what}: need at least 2 images; received {len(arr)}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{what}: images contain NaN or infinite pixels")
    return arr


def features(images) -> np.ndarray:
    """The classifier's 32 penultimate features of each image."""
    return classifier.penultimate(_images(images, "images"))


def classify(images) -> np.ndarray:
    """The classifier's digit (0..9) for each image."""
    return classifier.logits(_images(images, "images")).argmax(axis=1)


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(real, generated) -> float:
    """Frechet distance between the classifier features of two image sets (lower is better).

    Examples
    --------
    >>> from pgmkit.datasets import digits
    >>> x, _ = digits.load("train", binarize=False)
    >>> frechet_distance(x[:500], x[:500]) < 1e-6
    True
    """
    f1, f2 = features(_images(real, "real")), features(_images(generated, "generated"))
    m1, m2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    s1 = _sqrt_psd(c1)
    # tr (C1 C2)^(1/2) = tr (S1 C2 S1)^(1/2) with S1 = C1^(1/2): a symmetric PSD matrix
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(s1 @ c2 @ s1), 0.0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2.0 * cross)


def classes_covered(images, min_share: float = 0.02) -> int:
    """Digits the classifier finds in at least ``min_share`` of the images (0..10)."""
    counts = np.bincount(classify(images), minlength=10)
    return int((counts >= min_share * counts.sum()).sum())


def class_accuracy(images, requested) -> float:
    """Share of images the classifier puts in the requested digit (labels 0..9 or "0".."9")."""
    want = np.asarray([int(str(r)) for r in np.ravel(requested)])
    got = classify(images)
    if len(want) != len(got):
        raise DataError(f"class_accuracy: {len(got)} images but {len(want)} requested labels")
    return float((got == want).mean())


def matched_accuracy(codes, labels) -> float:
    """Agreement of codes with labels after the best one-to-one matching (Hungarian).

    ``codes`` are integers or per-row probabilities (their argmax is used).

    Examples
    --------
    >>> matched_accuracy([2, 2, 0, 1], [0, 0, 1, 2])
    1.0
    """
    from scipy.optimize import linear_sum_assignment

    c = np.asarray(codes)
    c = c.argmax(axis=1) if c.ndim == 2 else c.astype(np.int64)
    y = np.asarray([int(str(v)) for v in np.ravel(labels)])
    if len(c) != len(y):
        raise DataError(f"matched_accuracy: {len(c)} codes but {len(y)} labels")
    k = int(max(c.max(), y.max())) + 1
    table = np.zeros((k, k))
    np.add.at(table, (c, y), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(c))


def mmd(real, generated, max_rows: int = 1000, seed: int = 0) -> float:
    """Unbiased squared MMD with a Gaussian kernel (median-distance bandwidth) on pixels.

    At most ``max_rows`` rows of each set are used (drawn with ``seed``). About 0 when the
    sets come from one distribution; larger is worse.
    """
    rng = np.random.default_rng(seed)
    a, b = _images(real, "real"), _images(generated, "generated")
    a = a[rng.choice(len(a), max_rows, replace=False)] if len(a) > max_rows else a
    b = b[rng.choice(len(b), max_rows, replace=False)] if len(b) > max_rows else b
    both = np.concatenate([a, b])
    sq = (both ** 2).sum(1)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2.0 * both @ both.T, 0.0, None)
    bandwidth2 = np.median(d2[np.triu_indices(len(both), 1)])
    k = np.exp(-d2 / max(bandwidth2, 1e-12))
    n, m = len(a), len(b)
    kaa, kbb, kab = k[:n, :n], k[n:, n:], k[:n, n:]
    return float((kaa.sum() - np.trace(kaa)) / (n * (n - 1))
                 + (kbb.sum() - np.trace(kbb)) / (m * (m - 1)) - 2.0 * kab.mean())


def score(model, n: int = 1000, seed: int = 0, real=None, labels=None) -> dict[str, Any]:
    """Every digit score that applies to a fitted model, as a dict.

    ``real``/``labels`` default to the training split of the bundled digits (scaled, not
    binarized): the distribution the zoo's models are fitted to. Always: ``frechet``,
    ``mmd``, ``classes_covered`` of ``n`` unconditional samples. A model with a discrete
    digit label as a parent of the image (cgan) adds ``class_accuracy`` of samples drawn
    per requested digit; one with a categorical code its model can encode (infogan) adds
    ``matched_accuracy`` on the real images; a two-domain translation model (cyclegan)
    adds ``class_kept``, the share of translations the classifier still gives the label of
    their source image.
    """
    from pgmkit.datasets import digits

    if real is None:
        real, labels = digits.load("train", binarize=False)
    real = _images(real, "real")
    roles = model.roles()
    image = roles["image"]
    out: dict[str, Any] = {"model": model.spec.name, "n": int(n)}
    if roles.get("domains"):
        return {**out, **_translation_scores(model, roles["domains"], seed)}
    draws = model.sample(n, seed=seed)[image]
    out["frechet"] = frechet_distance(real, draws)
    out["mmd"] = mmd(real, draws, seed=seed)
    out["classes_covered"] = classes_covered(draws)
    label = roles.get("label")
    if label:
        states = model.spec[label].states
        per = max(1, n // len(states))
        imgs = [model.sample(per, given={label: s}, seed=seed + i)[image]
                for i, s in enumerate(states)]
        out["class_accuracy"] = class_accuracy(np.concatenate(imgs),
                                               np.repeat(np.asarray(states), per))
    code = roles.get("code")
    if code and labels is not None:
        out["matched_accuracy"] = matched_accuracy(model.encode(real, code), labels)
    return out


def _translation_scores(model, domains, seed: int) -> dict[str, Any]:
    """The bundled pair: domain A plain digits, domain B inverted ones (``digits.invert``).

    The held-out digits go A -> B and their inverted copies B -> A; B outputs are inverted
    back before the classifier sees them.
    """
    from pgmkit.datasets import digits

    x, y = digits.load("test", binarize=False)
    a, b = domains
    to_b = model.sample(len(x), given={a: x}, seed=seed)[b]
    to_a = model.sample(len(x), given={b: digits.invert(x)}, seed=seed)[a]
    kept_ab = class_accuracy(digits.invert(to_b), y)
    kept_ba = class_accuracy(to_a, y)
    return {"class_kept": (kept_ab + kept_ba) / 2.0, "class_kept_a_to_b": kept_ab,
            "class_kept_b_to_a": kept_ba, "frechet_b_to_a": frechet_distance(x, to_a)}
