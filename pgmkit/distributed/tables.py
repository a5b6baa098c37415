"""``BayesNet.fit`` on Dask partitions: counts add, EM statistics add.

``mle`` and ``bayes`` need one pass: each partition counts its families, the counts are
added as a tree and normalized on the driver (the log-likelihood follows from the same
counts). ``em`` runs the contraction engine's E-step per encoded partition with the
same starts, stopping rule and M-step as :func:`pgmkit.backends.contraction.learn.fit_em`.
"""
from __future__ import annotations

import numpy as np

from pgmkit.distributed.em import add_tuples, located
from pgmkit.distributed.frames import as_frame, log, require_dask
from pgmkit.distributed.store import PartitionStore
from pgmkit.errors import DataError


def _encode(part, index, spec, columns, complete: bool):
    from pgmkit.data.tables import encode_frame

    if len(part) == 0:
        return None
    try:
        return encode_frame(spec, part[columns], columns, allow_missing=not complete,
                            missing_hint=": method='mle'/'bayes' need complete rows; "
                                         "method='em' marginalizes missing cells")
    except DataError as exc:
        raise located(index, exc, within=False) from None


def _counts(codes, index, spec, columns):
    from pgmkit.backends.numpy.estimate import family_counts

    if codes is None:
        return None
    return tuple([family_counts(spec, codes, columns, v.name) for v in spec.variables]) + (
        len(codes),)


def fit_bayesnet(model, method_name: str, arg: str, kwargs: dict):
    """``BayesNet.fit`` whose data is a Dask DataFrame or a Parquet folder."""
    from pgmkit.data.tables import check_columns
    from pgmkit.errors import did_you_mean

    require_dask()
    from pgmkit.bayesnet import FIT_METHODS

    frame = as_frame(kwargs[arg])
    method = kwargs["method"]
    if method not in FIT_METHODS:
        raise DataError(f"unknown fit method '{method}'{did_you_mean(method, FIT_METHODS)}; "
                        f"expected one of {list(FIT_METHODS)}")
    spec = model.spec
    options = {k: v for k, v in kwargs.items()
               if k not in (arg, "method", "prior", "pseudo_count", "backend")}
    # the engine the pandas path would pick must exist; on Dask the counting is pgmkit's own
    model.engine("fit_em" if method == "em" else "fit", kwargs.get("backend"))
    if method == "em":
        return _fit_em(model, frame, kwargs["pseudo_count"], options)
    strength = 1.0 if kwargs["pseudo_count"] is None else kwargs["pseudo_count"]
    if options:
        raise DataError(f"options {sorted(options)} apply to method='em' only")
    if spec.latent_names:
        raise DataError(f"latent variable(s) {list(spec.latent_names)} cannot be counted: use "
                        "method='em'")
    check_columns(spec, frame._meta, required=spec.names)
    columns = list(spec.names)
    with PartitionStore(frame, _encode, spec, columns, True) as store:
        total = store.map_reduce(_counts, add_tuples, spec, columns)
    if total is None:
        raise DataError("the data has no rows")
    return model._refit(*_tables_from_counts(spec, total[:-1], method, kwargs["prior"],
                                             strength, frame.npartitions))


def _tables_from_counts(spec, counts, method, prior, strength, partitions):
    """The fitted spec and its history from summed family counts (as ``fit_tables``)."""
    from pgmkit.backends.numpy.estimate import normalize_rows, pseudo_counts
    from pgmkit.results import FitHistory
    from pgmkit.spec.cpd import TableCPD

    cpds, unseen, ll = {}, {}, 0.0
    for var, c in zip(spec.variables, counts):
        raw = c
        if method == "bayes":
            c = c + pseudo_counts(spec, var.name, prior, strength)
        old = var.cpd.table if var.cpd is not None else None
        table, empty = normalize_rows(c, old)
        if empty:
            unseen[var.name] = empty
        cpds[var.name] = TableCPD(table)
        seen = raw > 0
        ll += float((raw[seen] * np.log(table[seen])).sum())
    if unseen:
        log.warning("parent assignments never seen in the data keep their previous (or a "
                    "uniform) row: %s", unseen)
    return spec.with_cpds(cpds), FitHistory((ll,), True, (), method,
                                            {"unseen_rows": unseen, "partitions": partitions})


# -- EM ---------------------------------------------------------------------------------

def _table_partition(part, index, problem, first_row: int):
    if len(part) == 0:
        return None
    try:
        return problem, problem.partition(part[problem.column_names], first_row)
    except DataError as exc:
        raise located(index, exc, within=False) from None


def _fit_em(model, frame, pseudo, options: dict):
    """``fit_em`` with the E-step of the contraction engine's TableEM per partition."""
    import dask

    from pgmkit.backends.contraction.learn import TableEM, _hidden
    from pgmkit.distributed.em import OPTIONS, DaskRunner
    from pgmkit.learn import em
    from pgmkit.results import FitHistory

    known = set(OPTIONS) | {"latent"}
    extra = sorted(set(options) - known)
    if extra:
        raise DataError(f"unknown EM option(s) {extra}; expected some of {sorted(known)}")
    pseudo = em.PSEUDO_COUNT if pseudo is None else pseudo
    settings = {k: options[k] for k in OPTIONS if k in options}
    settings.setdefault("progress", False)
    em.check_settings(settings.get("max_iter", em.MAX_ITER), settings.get("tol", em.TOL), pseudo)
    spec = model.spec
    meta = frame._meta_nonempty                  # columns and dtypes, no data read
    problem = TableEM(spec, list(frame.columns), _hidden(spec, meta, options.get("latent")),
                      pseudo)
    sizes = dask.compute(*[dask.delayed(len)(p) for p in frame.to_delayed()])
    # each partition numbers its rows from its first row in the whole frame (for errors)
    firsts = tuple(int(f) for f in np.concatenate([[0], np.cumsum(sizes)])[:-1])
    with PartitionStore(frame, _table_prepare, problem, firsts) as store:
        res = em.run(problem, DaskRunner(store), desc="EM (dask)", **settings)
        missing = store.map_reduce(_missing, add_tuples)
    history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                         {"rows": res.stats.n, "missing_cells": int(missing[0]) if missing else 0,
                          "hidden": tuple(problem.hidden), "best_restart": int(res.chosen[0]),
                          "pseudo_count": pseudo, "partitions": frame.npartitions})
    return model._refit(problem.to_spec(res.params), history)


def _table_prepare(part, index, problem, firsts):
    return _table_partition(part, index, problem, firsts[index])


def _missing(prepared, index):
    return None if prepared is None else (int((prepared[1].codes < 0).sum()),)
