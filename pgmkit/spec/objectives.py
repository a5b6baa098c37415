"""Training objectives a spec may name (``objective:``), registered in one table.

The spec records which objective the user chose and its options; it never imports an
engine. Each engine that trains models maps the same names to implementations
(``Engine.objectives`` in its ``rules.py``; Pyro's are in
:mod:`pgmkit.backends.pyro.objectives`).

YAML::

    objective: elbo                       # the default
    objective: {beta_elbo: {beta: 4}}     # KL terms of the guided latents weighed by beta
    objective: {iwae: {num_particles: 8}} # importance-weighted bound (IWAE)
    objective: exact                      # exact log-likelihood (every latent discrete)

How to add an objective
-----------------------
1. Add an :class:`ObjectiveKind` to :data:`OBJECTIVES` below: its name, the options it
   takes with their defaults, and a one-line description. That is the spec side: the
   YAML reads it, unknown names and options are ``SpecError`` with file and line, and
   save/load writes it back.
2. Register an implementation in each engine that trains with it: add
   ``"name": "module:function"`` to ``objectives`` in the engine's ``rules.py``. The
   function receives the compiled program, the observed names and the options, and
   returns an object with ``differentiable_loss(model, guide, data, n)`` (minimised)
   and ``loss(model, guide, data, n)`` (for evaluation), as Pyro's ELBOs do.
   (Adversarial objectives for implicit CPDs register the same way in the torch engine
   that trains them; their loss object owns the generator/critic updates.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping


@dataclass(frozen=True)
class ObjectiveKind:
    """A registered objective: name, options with defaults, what it is."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""


OBJECTIVES: dict[str, ObjectiveKind] = {o.name: o for o in (
    ObjectiveKind("elbo", {"num_particles": 1}, "the evidence lower bound"),
    ObjectiveKind("beta_elbo", {"beta": 1.0, "num_particles": 1},
                  "the ELBO with the guided latents' KL terms weighed by beta (beta-VAE)"),
    ObjectiveKind("iwae", {"num_particles": 8},
                  "the importance-weighted bound with num_particles samples (IWAE)"),
    ObjectiveKind("exact", {}, "the exact log-likelihood; every latent discrete and summed"),
    # read by pgmkit.spec.adversarial (nested options); listed here for names and messages
    ObjectiveKind("adversarial", {}, "implicit CPDs trained against critics (GANs)"),
)}

DEFAULT = "elbo"


@dataclass(frozen=True)
class Objective:
    """The objective a spec names, with its options (defaults filled in)."""

    name: str = DEFAULT
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def __hash__(self):
        return hash((self.name, tuple(sorted(self.options.items()))))

    def __eq__(self, other):
        return (isinstance(other, Objective) and self.name == other.name
                and dict(self.options) == dict(other.options))


def parse_objective(raw, col, line) -> Objective | None:
    """Read ``objective:`` (a name, or ``{name: {option: value}}``); problems go to ``col``."""
    from pgmkit.errors import did_you_mean
    from pgmkit.spec.reading import number, unknown_keys
    from pgmkit.spec.yaml_io import line_of

    if raw is None:
        return None
    if isinstance(raw, Objective):
        return raw
    body: Mapping = {}
    if isinstance(raw, Mapping) and len(raw) == 1:
        (name, body), = raw.items()
        body = body or {}
    elif isinstance(raw, str):
        name = raw
    else:
        col.add(f"'objective' must be a name or {{name: {{options}}}}; received {raw!r}",
                line=line)
        return None
    name = str(name)
    kind = OBJECTIVES.get(name)
    if kind is None:
        col.add(f"unknown objective '{name}'{did_you_mean(name, OBJECTIVES)}; expected one of "
                f"{list(OBJECTIVES)}", line=line_of(raw, name) or line)
        return None
    if not isinstance(body, Mapping):
        col.add(f"objective '{name}' options must be a mapping; received {body!r}", line=line)
        return None
    unknown_keys(body, tuple(kind.options), f"objective '{name}'", col, None)
    options = dict(kind.options)
    for key, value in body.items():
        if str(key) in kind.options:
            value = number(value, f"objective '{name}' option '{key}'", col, None,
                           line_of(body, key) or line)
            if not value > 0:
                col.add(f"objective '{name}' option '{key}' must be > 0; received {value}",
                        line=line_of(body, key) or line)
            default = kind.options[str(key)]
            options[str(key)] = int(value) if isinstance(default, int) and value == int(value) \
                else value
    return Objective(name, options)


def objective_dict(objective: Objective):
    """The YAML form: the bare name when every option has its default."""
    kind = OBJECTIVES[objective.name]
    changed = {k: v for k, v in objective.options.items() if kind.options.get(k) != v}
    return {objective.name: changed} if changed else objective.name
