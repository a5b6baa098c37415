"""Digit scores: the Frechet distance against its formula, MMD, coverage, matching."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from pgmkit import evaluate
from pgmkit.datasets import digits
from pgmkit.errors import DataError


@pytest.fixture(scope="module")
def real():
    x, y = digits.load("train", binarize=False)
    xt, yt = digits.load("test", binarize=False)
    return x, y, xt, yt


def test_classifier_is_fixed_and_good(real):
    x, y, xt, yt = real
    assert (evaluate.classify(xt) == yt).mean() > 0.9  # held-out digits
    assert np.array_equal(evaluate.features(xt[:20]), evaluate.features(xt[:20]))


def test_frechet_distance_is_the_gaussian_formula(real):
    """|m1 - m2|^2 + tr(C1 + C2 - 2 sqrtm(C1 C2)) on the features, with scipy's sqrtm."""
    from scipy.linalg import sqrtm

    x, _, xt, _ = real
    f1, f2 = evaluate.features(x[:400]), evaluate.features(xt)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    with warnings.catch_warnings():  # dead ReLU features make C1 C2 singular: still exact
        warnings.simplefilter("ignore")
        root = sqrtm(c1 @ c2).real
    by_hand = ((f1.mean(0) - f2.mean(0)) ** 2).sum() + np.trace(c1 + c2 - 2 * root)
    assert evaluate.frechet_distance(x[:400], xt) == pytest.approx(by_hand, rel=1e-6)
    assert abs(evaluate.frechet_distance(x[:400], x[:400])) < 1e-6


def test_scores_rank_real_digits_above_noise_and_collapse(real):
    x, _, xt, yt = real
    rng = np.random.default_rng(0)
    noise = rng.random((300, 64))
    sevens = np.repeat(xt[yt == 7][:1], 300, axis=0)
    fd_real, fd_noise = evaluate.frechet_distance(x, xt), evaluate.frechet_distance(x, noise)
    assert fd_real < 0.1 * fd_noise
    assert evaluate.classes_covered(xt) == 10 and evaluate.classes_covered(sevens) == 1
    assert abs(evaluate.mmd(x, xt)) < 0.01 < evaluate.mmd(x, noise)
    assert evaluate.class_accuracy(sevens, ["7"] * 300) == 1.0


def test_matched_accuracy_finds_the_best_relabelling():
    labels = np.arange(10).repeat(5)
    codes = (labels + 3) % 10  # every code is a permuted label
    assert evaluate.matched_accuracy(codes, labels) == 1.0
    probs = np.eye(10)[codes]
    probs[:5] = np.eye(10)[9]  # five 0s now share the code of the 6s: they cannot all match
    assert evaluate.matched_accuracy(probs, labels) == pytest.approx(45 / 50)


def test_mistakes_are_named():
    with pytest.raises(DataError, match="rows of 64 pixels; received shape \\[3, 10\\]"):
        evaluate.frechet_distance(np.zeros((3, 10)), np.zeros((3, 64)))
    with pytest.raises(DataError, match="at least 2 images"):
        evaluate.mmd(np.zeros((1, 64)), np.zeros((3, 64)))
    with pytest.raises(DataError, match="3 codes but 2 labels"):
        evaluate.matched_accuracy([0, 1, 2], [0, 1])
