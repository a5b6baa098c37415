"""Training objectives named in the spec: every registered one trains, errors are located,
and the choice round-trips through save/load."""
from __future__ import annotations

import numpy as np
import pytest

import pgmkit
from pgmkit.spec.build import build_spec
from pgmkit.spec.objectives import OBJECTIVES
from pgmkit.spec.serialize import to_dict
from pgmkit.spec.yaml_io import parse_yaml

TINY = """
name: tiny
objective: {objective}
variables:
  c: {{states: [a, b], latent: true, cpd: [0.5, 0.5]}}
  x: {{real: [3], parents: [c], cpd: {{neural: {{family: normal, hidden: [4]}}}}}}
"""
LATENT = """
name: tiny_vae
objective: {objective}
variables:
  z: {{real: [2], latent: true, cpd: {{normal: {{loc: 0, scale: 1}}}}}}
  x: {{real: [3], parents: [z], cpd: {{neural: {{family: normal, hidden: [4]}}}}}}
"""
GAME = """
name: tiny_gan
objective: {{adversarial: {{loss: nonsaturating, critic: {{hidden: [4]}}}}}}
variables:
  z: {{real: [2], latent: true, cpd: {{normal: {{loc: 0, scale: 1}}}}}}
  x: {{real: [3], parents: [z], cpd: {{implicit: {{hidden: [4]}}}}}}
"""
SPECS = {"exact": TINY, "adversarial": GAME}
DATA = np.random.default_rng(0).normal(size=(60, 3))


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_every_objective_trains_and_round_trips(name, tmp_path):
    text = SPECS.get(name, LATENT).format(objective=name)
    spec = build_spec(parse_yaml(text))
    assert spec.objective.name == name
    assert build_spec(to_dict(spec)) == spec
    model = pgmkit.wrap(spec).fit(DATA, epochs=2, batch_size=30, progress=False, seed=0)
    # likelihood objectives record a log-likelihood per epoch, adversarial ones two losses
    trace = getattr(model.history, "log_likelihood", None) or model.history.generator
    assert len(trace) == 2 and np.isfinite(trace).all()
    assert pgmkit.load(model.save(tmp_path / name)).spec.objective == spec.objective


def test_exact_objective_is_the_brute_force_log_likelihood():
    import torch

    from pgmkit.backends.pyro.objectives import make_objective

    model = pgmkit.wrap(build_spec(parse_yaml(TINY.format(objective="exact"))))
    prog = model.program
    x = torch.tensor(DATA, dtype=prog.dtype)
    loss = make_objective(prog, {"x"}).loss(prog.model, prog.guide, {"x": x}, len(DATA))
    with torch.no_grad():  # sum over c by hand: log sum_c P(c) p(x | c)
        per_state = torch.stack([prog.site("x")(torch.full((len(DATA),), c)).log_prob(x)
                                 for c in range(2)])
        want = torch.logsumexp(per_state + np.log(0.5), dim=0).sum()
    assert abs(-loss - float(want)) < 1e-3


def test_options_are_read_and_checked_with_lines():
    spec = build_spec(parse_yaml(LATENT.format(objective="{beta_elbo: {beta: 4}}")))
    assert spec.objective.options["beta"] == 4.0
    with pytest.raises(pgmkit.SpecError, match=r"line 3.*unknown objective 'elbow' \(did you "
                                               r"mean 'elbo'\?\)"):
        build_spec(parse_yaml(LATENT.format(objective="elbow")))
    with pytest.raises(pgmkit.SpecError, match="unknown key 'particles' in objective 'iwae'"):
        build_spec(parse_yaml(LATENT.format(objective="{iwae: {particles: 3}}")))


def test_exact_is_refused_with_a_guided_latent():
    spec = build_spec(parse_yaml(LATENT.format(objective="exact")))
    with pytest.raises(pgmkit.UnsupportedError, match="objective 'exact'.*guides"):
        pgmkit.wrap(spec).fit(DATA, epochs=1, progress=False)
