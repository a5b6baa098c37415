"""Decorators that send a Dask input (or a Parquet path) of a facade method to Dask.

A decorated method runs unchanged on pandas input. When its data argument is a Dask
DataFrame or a Parquet file or folder, the call goes to :mod:`pgmkit.distributed`, which
calls the same method on each pandas partition. Nothing here imports Dask.
"""
from __future__ import annotations

import functools
import inspect

from pgmkit.distributed.frames import is_dask, is_parquet


def _arguments(sig: inspect.Signature, self, args, kwargs) -> dict:
    """The call's arguments by name (defaults filled in, ``**options`` spread out)."""
    bound = sig.bind(self, *args, **kwargs)
    bound.apply_defaults()
    out = {}
    for name, value in list(bound.arguments.items())[1:]:
        if sig.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = value
    return out


def _route(arg: str, runner: str):
    def decorate(fn):
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            data = kwargs.get(arg, args[0] if args and list(sig.parameters)[1] == arg else None)
            if data is None:
                data = _arguments(sig, self, args, kwargs).get(arg)
            if is_dask(data) or is_parquet(data):
                import importlib

                module, name = runner.rsplit(".", 1)
                run = getattr(importlib.import_module(f"pgmkit.distributed.{module}"), name)
                return run(self, fn.__name__, arg, _arguments(sig, self, args, kwargs))
            return fn(self, *args, **kwargs)

        return wrapper

    return decorate


def rows(arg: str):
    """A row-wise query: partitions are answered independently."""
    return _route(arg, "queries.map_rows")


def sequences(arg: str = "logs"):
    """A temporal query: sequences are kept whole, answers return to the input's rows."""
    return _route(arg, "queries.map_sequences")


def fit(runner: str, arg: str):
    """A fit whose data may be a Dask DataFrame or a Parquet path; ``runner`` is
    ``"module.function"`` under :mod:`pgmkit.distributed`."""
    return _route(arg, runner)
