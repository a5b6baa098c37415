"""One dynamic Bayesian network per group (one knowledge-tracing model per skill).

``DynamicBayesNet.fit(logs, ..., groupby="skill")`` returns a
:class:`GroupedDynamicBayesNet`: a read-only mapping ``group -> DynamicBayesNet`` whose
queries take the same logs (with the group column) and route every row to its group's
model, all groups in one batch.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Mapping

import yaml

from pgmkit.base import Model
from pgmkit.distributed import route
from pgmkit.checks import validated
from pgmkit.errors import DataError
from pgmkit.learn import em
from pgmkit.results import FitHistory
from pgmkit.temporal.queries import TemporalQueries, samples_frame, unknown_group

INDEX_FILE = "groups.yaml"


class GroupedDynamicBayesNet(TemporalQueries, Model, Mapping):
    """A family of same-structure models, one per value of the ``groupby`` column.

    An ordinary model (``spec``, ``fit``, ``save``, ``backend``, the temporal queries) that
    is also a read-only mapping ``group -> DynamicBayesNet``.

    ``grouped[skill]`` is that skill's :class:`DynamicBayesNet`; ``grouped.history`` is
    the joint EM history (its ``extra`` has the event and sequence counts). Queries
    (``filter``, ``smooth``, ``viterbi``, ``predict_next``, ``log_likelihood``) read the
    group of each row from ``groupby`` (default: the column the models were fitted by)
    and answer with the matching model; an unknown group is a ``DataError``.

    Examples
    --------
    >>> import pgmkit
    >>> bkt = pgmkit.example("bkt")
    >>> logs = bkt.sample_sequences(30, 8, seed=0)
    >>> logs["skill"] = logs["sequence"] % 2
    >>> per_skill = bkt.fit(logs, groupby="skill", progress=False)
    >>> sorted(per_skill)
    [0, 1]
    >>> per_skill.predict_next(logs).shape[0] == len(logs)
    True
    """

    operation = "smooth"

    def __init__(self, models: Mapping, groupby: str, history: FitHistory | None = None,
                 backend: str | None = None):
        if not models:
            raise DataError("a grouped model needs at least one group")
        self.models = dict(models)
        first = next(iter(self.models.values()))
        super().__init__(first.spec, backend)
        self.groupby = groupby
        self.history = history
        self.layout = first.layout
        self._by_text = {str(k): k for k in self.models}
        self._stacked = None

    # -- mapping ------------------------------------------------------------------------
    def __getitem__(self, group):
        return self.models[self._key(group)]

    def _key(self, group):
        """The fitted label ``group`` names (a label read back as text matches too)."""
        key = group if group in self.models else self._by_text.get(str(group))
        if key is None:
            raise unknown_group(group, self.models)
        return key

    def __iter__(self) -> Iterator:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    def __repr__(self) -> str:
        return (f"GroupedDynamicBayesNet('{self.spec.name}', {len(self)} groups by "
                f"'{self.groupby}')")

    def __eq__(self, other) -> bool:
        return (isinstance(other, GroupedDynamicBayesNet) and self.groupby == other.groupby
                and self.models == other.models)

    __hash__ = None

    def num_parameters(self) -> int:
        """Free parameters of every group's CPDs."""
        return sum(m.num_parameters() for m in self.models.values())

    # -- queries -----------------------------------------------------------------------
    def _bind(self, logs, sequence, order, groupby):
        import numpy as np

        from pgmkit.backends.forward_backward.compile import params_from_specs
        from pgmkit.backends.forward_backward.engine import bind
        from pgmkit.data.keep import check_log_columns
        from pgmkit.data.sequences import pack_logs, read_logs

        groupby = groupby or self.groupby
        logs = read_logs(logs, order)
        batch = pack_logs(self.spec, logs, sequence, order, groupby)
        if self._stacked is None:
            self._stacked = params_from_specs(self.layout, [m.spec for m in self.models.values()])
        position = {key: i for i, key in enumerate(self.models)}
        index = np.asarray([position[self._key(label)] for label in batch.groups])
        return logs, batch, bind(self.layout, self._stacked.take(index), batch)

    @validated
    @route.fit("em.fit_grouped", "logs")
    def fit(self, logs, sequence: str = "sequence", order: str = "step",
            groupby: str | None = None, max_iter: int = em.MAX_ITER, tol: float = em.TOL,
            restarts: int | None = None, seed: int | None = 0,
            pseudo_count: float = em.PSEUDO_COUNT, progress: bool = True,
            backend: str | None = None, device: str | None = None) -> "GroupedDynamicBayesNet":
        """Refit the groups present in ``logs`` by EM, in place; returns ``self``.

        Each group starts from its current CPDs (all groups in one batched EM, as in
        :meth:`DynamicBayesNet.fit`); groups absent from the logs keep theirs, and a
        group the family has no model for is a ``DataError``. Options and their defaults
        as there (the one EM driver's, :mod:`pgmkit.learn.em`), ``device`` too (CPU by
        default; ``"cuda"`` runs the E-steps on the GPU, an error where there is none).
        """
        from pgmkit.backends.forward_backward.compile import params_from_specs, spec_for_group
        from pgmkit.backends.forward_backward.learn import run_em
        from pgmkit.data.keep import check_log_columns
        from pgmkit.data.sequences import pack_logs, read_logs
        from pgmkit.distributed.torchrun import engine_device

        self.engine("fit_sequences", backend)
        dev = engine_device(device)
        groupby = groupby or self.groupby
        logs = read_logs(logs, order)
        check_log_columns(self.spec, logs, sequence, order, groupby)
        batch = pack_logs(self.spec, logs, sequence, order, groupby)
        keys = [self._key(label) for label in batch.groups]
        start = params_from_specs(self.layout, [self.models[k].spec for k in keys])
        res = run_em(self.layout, start, batch, max_iter=max_iter, tol=tol, restarts=restarts,
                     seed=seed, pseudo_count=pseudo_count, progress=progress, device=dev)
        self.history = FitHistory(tuple(res.log_likelihood), res.converged, tuple(res.restarts),
                                  "em", {"events": batch.num_events,
                                         "sequences": batch.num_sequences,
                                         "pseudo_count": pseudo_count})
        for g, key in enumerate(keys):
            gh = FitHistory((float(res.group_loglik[g]),), res.converged, (), "em",
                            {"restart": int(res.chosen[g])})
            self.models[key]._refit(spec_for_group(self.layout, res.params, g), gh)
        self._stacked = None     # the stacked parameters were built from the old specs
        return self

    def copy(self) -> "GroupedDynamicBayesNet":
        """The same family with every group's model copied (fit the copy, keep this one)."""
        return type(self)({k: m.copy() for k, m in self.models.items()}, self.groupby,
                          self.history, self.backend if self._explicit else None)

    @validated
    def sample_sequences(self, n: int, length: int, seed: int | None = None,
                         sequence: str = "sequence", order: str = "step",
                         backend: str | None = None):
        """``n`` sequences of ``length`` slices for every group, with the group column."""
        import numpy as np
        import pandas as pd

        from pgmkit.backends.forward_backward.infer import sample_sequences

        self.engine("smooth", backend)
        seeds = np.random.SeedSequence(seed).spawn(len(self.models))
        parts = []
        for (label, m), s in zip(self.models.items(), seeds):
            frame = samples_frame(m.spec, sample_sequences(m.spec, n, length, s), sequence, order)
            frame.insert(0, self.groupby, label)
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    # -- persistence -------------------------------------------------------------------
    def save(self, directory: str | os.PathLike, fmt: str | None = None) -> Path:
        """Write one YAML per group and an index (``groups.yaml``) into ``directory``."""
        from pgmkit.io.safe import make_dirs, write_text

        folder = make_dirs(directory, "grouped model folder")
        files = {}
        for i, (label, m) in enumerate(self.models.items()):
            name = f"{self.spec.name}-{i:04d}.yaml"
            m.save(folder / name)
            files[str(label)] = name
        index = {"model": self.spec.name, "groupby": self.groupby, "groups": files}
        write_text(folder / INDEX_FILE, yaml.safe_dump(index, sort_keys=False))
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "GroupedDynamicBayesNet":
        """Read a folder written by :meth:`save` (group labels come back as text)."""
        from pgmkit.api import wrap
        from pgmkit.io.files import read_spec

        folder = Path(directory)
        index_path = folder / INDEX_FILE
        if not index_path.is_file():
            raise DataError(f"'{folder}' has no {INDEX_FILE}: not a grouped model folder")
        from pgmkit.errors import SpecError
        from pgmkit.io.safe import read_text
        from pgmkit.spec.yaml_io import parse_yaml

        text = read_text(index_path, "group index", DataError)
        try:    # the model files' reader: the same alias-bomb, depth and tag limits
            index = parse_yaml(text, source=str(index_path)) if text.strip() else None
        except SpecError as exc:
            raise DataError(f"{index_path}: not a readable group index ({exc})") from None
        groups = index.get("groups") if isinstance(index, dict) else None
        if (not isinstance(groups, dict) or not isinstance(index.get("groupby"), str)
                or not index["groupby"] or not all(
                isinstance(n, str) and "/" not in n and "\\" not in n for n in groups.values())):
            raise DataError(f"{index_path}: not a group index written by pgmkit (expected "
                            "'groupby' and 'groups' mapping each group to a file in the folder)")
        models = {str(label): wrap(read_spec(folder / str(name)))
                  for label, name in groups.items()}
        return cls(models, str(index["groupby"]))
