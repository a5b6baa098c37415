"""Scores for generated 8x8 digits: an FID-style Frechet distance, class accuracy, classes
covered and a kernel two-sample statistic (see :mod:`pgmkit.evaluate.digits`)."""
from pgmkit.evaluate.digits import (class_accuracy, classes_covered, classify, features,
                                    frechet_distance, matched_accuracy, mmd, score)

__all__ = ["class_accuracy", "classes_covered", "classify", "features", "frechet_distance",
           "matched_accuracy", "mmd", "score"]
