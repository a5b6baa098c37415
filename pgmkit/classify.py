"""Discrete predictions from deep models, and a check on the scale of real data.

A neural categorical child of observed parents (logistic regression, the discriminative
counterpart of naive Bayes) is a classifier: ``P(target | row)`` is computed exactly by
enumerating the target's states (:func:`predict_proba`).
"""
from __future__ import annotations

import numpy as np

from pgmkit.errors import DataError, UnsupportedError, did_you_mean


def predict_proba(model, data, target: str | None = None, keep=None):
    """``P(target = state | row)`` for a discrete variable absent from ``data``, exactly
    (by enumeration): one ``P(target=state)`` column per state, aligned with the rows.

    This is how a neural categorical child is used as a classifier (logistic
    regression is ``y`` with parents ``x`` and a neural categorical CPD). ``target``
    may be left out when one discrete variable is missing from ``data``; ``keep``
    names identifier columns of a DataFrame to return in front of the answers.
    Models with guided (continuous) latents have no exact answer: UnsupportedError.
    """
    import pandas as pd

    from pgmkit.backends.pyro.infer import marginals
    from pgmkit.data.columns import posterior_columns
    from pgmkit.data.keep import attach_kept, split_kept
    from pgmkit.deep import _chunks, _no_grad, _seeded

    data, kept = split_kept(data, keep) if isinstance(data, pd.DataFrame) else (data, None)
    tensors, n = model._tensors(data)
    target = _target(model, target, tensors)
    if model.program.guide_order:
        raise UnsupportedError(f"model '{model.spec.name}' has guided latents "
                               f"{list(model.program.guide_order)}: P({target} | row) has no "
                               "exact value here; use encode() for the guide's answer")
    probs = []
    with _seeded(0), _no_grad():
        for part, size in _chunks(tensors, n):
            probs.append(marginals(model.program, part, size, [target])[target].double().numpy())
    index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
    frame = pd.DataFrame(np.concatenate(probs), index=index,
                         columns=posterior_columns(target, model.spec[target].states))
    return attach_kept(frame, kept)


def predict(model, data, target: str | None = None, keep=None):
    """The most probable state of ``target`` per row, its ``probability`` and the
    ``P(target=state)`` columns (see :meth:`predict_proba`).

    Examples
    --------
    >>> import pgmkit, numpy as np
    >>> clf = pgmkit.model({"name": "logreg", "variables": {
    ...     "x": {"real": [2], "cpd": {"normal": {"loc": 0, "scale": 1}}},
    ...     "y": {"states": ["a", "b"], "parents": ["x"],
    ...           "cpd": {"neural": {"family": "categorical", "hidden": []}}}}})
    >>> clf.predict({"x": np.zeros((3, 2))})["y"].shape
    (3,)
    """
    import pandas as pd

    from pgmkit.data.keep import keep_list

    proba = predict_proba(model, data, target, keep)
    names = keep_list(keep)
    cols = [c for c in proba.columns if c not in names]
    target = cols[0][2:].split("=")[0]
    values = proba[cols].to_numpy()
    best = values.argmax(axis=1)
    out = pd.DataFrame({target: np.asarray(model.spec[target].states, dtype=object)[best],
                        "probability": values[np.arange(len(values)), best]},
                       index=proba.index)
    return pd.concat([proba[names], out, proba[cols]], axis=1)


def _target(model, target: str | None, tensors) -> str:
    if target is None:
        missing = [v.name for v in model.spec.variables
                   if v.is_discrete and v.name not in tensors]
        if len(missing) != 1:
            raise DataError(f"name the variable to predict with target=; discrete "
                            f"variables without data: {missing}")
        return missing[0]
    if target not in model.spec:
        raise DataError(f"model '{model.spec.name}' has no variable '{target}'"
                        f"{did_you_mean(target, model.spec.names)}")
    if not model.spec[target].is_discrete:
        raise UnsupportedError(f"'{target}' is real-valued: predict_proba gives "
                               "probabilities of a discrete variable's states")
    if target in tensors:
        raise DataError(f"the data holds '{target}', the variable to predict: drop it")
    return target


#: A Gaussian decoder's data should have |mean| and sd within these bounds.
SCALE_LIMITS = (3.0, 1 / 3, 3.0)


def warn_unscaled(spec, tensors) -> None:
    """Warn when real data for a Gaussian neural CPD is far from unit scale.

    Its network starts out predicting values near 0 with spread near 1 and learns slowly
    from there: data with mean 10 and sd 2 trains to samples with the wrong mean, without
    any error. Standardizing the columns first (and undoing it on samples) fixes that.
    """
    import warnings

    from pgmkit.errors import ScaleWarning

    for name, t in tensors.items():
        var = spec[name]
        if var.is_discrete or getattr(var.cpd, "family", None) != "normal":
            continue
        flat = t.double().reshape(len(t), -1)
        mean, sd = float(flat.mean()), float(flat.std())
        top_mean, low_sd, top_sd = SCALE_LIMITS
        if abs(mean) > top_mean or not low_sd <= sd <= top_sd:
            warnings.warn(f"'{name}' has mean {mean:.3g} and sd {sd:.3g}; its Gaussian neural "
                          "decoder learns data near mean 0 and sd 1 far better: standardize "
                          f"the columns ((x - mean) / sd) before fitting and undo it on "
                          "samples", ScaleWarning, stacklevel=3)
