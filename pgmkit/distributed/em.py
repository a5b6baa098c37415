"""EM on Dask partitions: the one EM driver (:mod:`pgmkit.learn.em`) with a Dask runner.

The driver owns the loop, restarts, stopping rule and defaults; an engine's *problem*
owns ``summarize``/``maximize``. :class:`DaskRunner` is the driver's runner for Dask:
each partition is encoded once into a :class:`~pgmkit.distributed.store.PartitionStore`
together with the problem (sequences whole, group codes global, so statistics add
exactly), then every E-step sends only the parameters, runs ``summarize`` per partition
on the workers and adds the statistics as a tree; the M-step runs on the driver. The
result equals the pandas fit up to floating-point summation order.
"""
from __future__ import annotations

import dataclasses
import operator

import numpy as np

from pgmkit.distributed.frames import as_frame, check_columns, log, require_dask, whole_sequences
from pgmkit.distributed.store import PartitionStore
from pgmkit.errors import DataError, PgmkitError, UnsupportedError

OPTIONS = ("max_iter", "tol", "restarts", "seed", "progress")


def _options(kwargs: dict) -> dict:
    """The EM settings of a fit call (what :func:`pgmkit.learn.em.run` and the prior take)."""
    return {k: kwargs[k] for k in OPTIONS + ("pseudo_count",) if k in kwargs}


def located(index: int, exc: PgmkitError, within: bool = True) -> PgmkitError:
    """The same error, saying which partition it came from (``within``: its row numbers
    count from the partition's first row)."""
    return type(exc)(f"partition {index}{' (rows counted within it)' if within else ''}: {exc}")


class DaskRunner:
    """The EM driver's runner over prepared partitions: ``summarize`` adds them as a tree."""

    def __init__(self, store: PartitionStore):
        self.store = store
        self.steps = 0

    def summarize(self, problem, params):
        stats = self.store.map_reduce(_summarize, operator.add, params)
        if stats is None:
            raise DataError("the data has no rows")
        log.debug("EM iteration %d: log-likelihood %.12g", self.steps, float(np.sum(stats.loglik)))
        self.steps += 1
        return stats


def _summarize(prepared, index, params):
    from pgmkit.backends.forward_backward.kernel import few_threads

    if prepared is None:
        return None
    problem, part = prepared
    with few_threads(1, blas=True):
        try:
            return problem.summarize(params, part)
        except DataError as exc:     # table partitions number their rows in the whole frame
            raise located(index, exc, within=not hasattr(part, "first_row")) from None


def add_tuples(a, b):
    """Elementwise sum of tuples of numbers and arrays (lists of arrays summed per item)."""
    return tuple([x + y for x, y in zip(u, v)] if isinstance(u, list) else u + v
                 for u, v in zip(a, b))


# -- temporal models and mixtures (the forward-backward engine's ChainEM) ---------------------

def _pack_partition(part, index, problem, spec, sequence, order, groupby, groups):
    """One partition as the problem's packed batch, its group codes global."""
    from pgmkit.data.sequences import pack_logs

    if len(part) == 0:
        return None
    try:
        batch = pack_logs(spec, part, sequence, order, groupby)
    except DataError as exc:
        raise located(index, exc) from None
    if groupby:
        where = {label: g for g, label in enumerate(groups)}
        local = np.asarray([where[label] for label in batch.groups], dtype=np.int64)
        batch = dataclasses.replace(batch, group_codes=local[batch.group_codes],
                                    groups=tuple(groups))
    return problem, problem.partition(batch)


def _sequences(prepared, index):
    return None if prepared is None else (prepared[1].batch.num_sequences,)


def _groups(frame, groupby: str | None) -> tuple:
    """The global group labels, sorted as the pandas path sorts them."""
    if not groupby:
        return (None,)
    import pandas as pd

    labels = frame[groupby].dropna().unique().compute()
    return tuple(pd.Index(labels).sort_values().tolist())


def run_chain_em(layout, start, frame, sequence, order, groupby, *, source, device=None,
                 pseudo_count=None, **options):
    """The EM driver over a Dask log: ``(EMResult, sequences, groups)``.

    ``frame`` holds whole sequences per partition; ``source`` is the log in input order
    (before any repartition), which random starts read (:mod:`pgmkit.distributed.reals`).
    ``device`` is where the workers run the E-steps (None: the CPU's numpy loops).
    """
    from pgmkit.backends.forward_backward.learn import ChainEM
    from pgmkit.distributed.reals import FrameReals
    from pgmkit.learn import em

    pseudo = em.PSEUDO_COUNT if pseudo_count is None else pseudo_count
    em.check_settings(options.get("max_iter", em.MAX_ITER), options.get("tol", em.TOL), pseudo)
    groups = _groups(frame, groupby)
    reals = FrameReals(source, layout.spec, layout.gauss)
    problem = ChainEM(layout, start, len(groups), reals, pseudo, device)
    # the workers' copy draws no start, so it holds no frame
    shipped = ChainEM(layout, start, len(groups), None, pseudo, device)
    with PartitionStore(frame, _pack_partition, shipped, layout.spec, sequence, order,
                        groupby, groups) as store:
        n_seq = store.map_reduce(_sequences, add_tuples)
        res = em.run(problem, DaskRunner(store), desc="EM (dask)",
                     **{k: options[k] for k in OPTIONS if k in options})
    return res, (n_seq or (0,))[0], groups


def fit_dynamic(model, method: str, arg: str, kwargs: dict):
    """``DynamicBayesNet.fit`` on a Dask log or a Parquet folder."""
    from pgmkit.backends.forward_backward.compile import params_from_specs, spec_for_group
    from pgmkit.distributed.torchrun import engine_device
    from pgmkit.results import FitHistory

    require_dask()
    model.engine("fit_sequences", kwargs.get("backend"))
    device = engine_device(kwargs.get("device"))
    if kwargs.get("method", "em") != "em":
        raise UnsupportedError(f"DynamicBayesNet.fit supports method='em'; received "
                               f"method='{kwargs['method']}'")
    source = as_frame(kwargs[arg])
    sequence, order, groupby = kwargs["sequence"], kwargs["order"], kwargs["groupby"]
    check_columns(source, [k for k in (sequence, order, groupby) if k], "the logs")
    frame, _ = whole_sequences(source, ([groupby] if groupby else []) + [sequence])
    start = params_from_specs(model.layout, [model.spec])
    res, n_seq, groups = run_chain_em(model.layout, start, frame, sequence, order, groupby,
                                      source=source, device=device, **_options(kwargs))
    history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                         {"events": res.stats.n, "sequences": n_seq,
                          "pseudo_count": kwargs["pseudo_count"],
                          "partitions": frame.npartitions})
    if groupby is None:
        return model._refit(spec_for_group(model.layout, res.params, 0), history)
    models = {}
    for g, label in enumerate(groups):
        models[label] = type(model)(spec_for_group(model.layout, res.params, g),
                                    model.backend if model._explicit else None)
        models[label].history = _group_history(res, g)
    from pgmkit.temporal.groups import GroupedDynamicBayesNet

    return GroupedDynamicBayesNet(models, groupby, history)


def _group_history(res, g: int):
    from pgmkit.results import FitHistory

    return FitHistory((float(res.group_loglik[g]),), res.converged, (), "em",
                      {"restart": int(res.chosen[g])})


def fit_grouped(family, method: str, arg: str, kwargs: dict):
    """``GroupedDynamicBayesNet.fit`` (refit in place) on a Dask log or a Parquet folder."""
    from pgmkit.backends.forward_backward.compile import params_from_specs, spec_for_group
    from pgmkit.distributed.torchrun import engine_device
    from pgmkit.results import FitHistory

    require_dask()
    family.engine("fit_sequences", kwargs.get("backend"))
    device = engine_device(kwargs.get("device"))
    source = as_frame(kwargs[arg])
    sequence, order = kwargs["sequence"], kwargs["order"]
    groupby = kwargs["groupby"] or family.groupby
    check_columns(source, [k for k in (sequence, order, groupby) if k], "the logs")
    frame, _ = whole_sequences(source, [groupby, sequence])
    labels = _groups(frame, groupby)
    keys = [family._key(label) for label in labels]
    start = params_from_specs(family.layout, [family.models[k].spec for k in keys])
    res, n_seq, _ = run_chain_em(family.layout, start, frame, sequence, order, groupby,
                                 source=source, device=device, **_options(kwargs))
    family.history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts),
                                "em", {"events": res.stats.n, "sequences": n_seq,
                                       "pseudo_count": kwargs["pseudo_count"],
                                       "partitions": frame.npartitions})
    for g, key in enumerate(keys):
        family.models[key]._refit(spec_for_group(family.layout, res.params, g),
                                  _group_history(res, g))
    family._stacked = None
    return family


def fit_mixture(model, method: str, arg: str, kwargs: dict):
    """``MixtureModel.fit`` on a Dask DataFrame: every row is a sequence of one slice."""
    from pgmkit.backends.forward_backward.compile import params_from_specs, spec_for_group
    from pgmkit.distributed.frames import POSITION, with_positions
    from pgmkit.mixture import ROW
    from pgmkit.results import FitHistory

    require_dask()
    model.engine("fit_mixture", kwargs.get("backend"))
    frame = as_frame(kwargs[arg])
    if ROW in frame.columns:
        raise DataError(f"column '{ROW}' is reserved")
    numbered, _ = with_positions(frame)
    numbered = numbered.rename(columns={POSITION: ROW})
    start = params_from_specs(model.layout, [model.spec])
    res, _, _ = run_chain_em(model.layout, start, numbered, ROW, None, None, source=frame,
                             **_options(kwargs))
    history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts), "em",
                         {"rows": res.stats.n, "pseudo_count": kwargs["pseudo_count"],
                          "partitions": frame.npartitions})
    return model._refit(spec_for_group(model.layout, res.params, 0), history)
