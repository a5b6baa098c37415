"""The implicit kind and the objectives in the language: reading, round trips, layouts."""
from __future__ import annotations

import pytest

import pgmkit
from pgmkit.errors import SpecError
from pgmkit.spec.adversarial import Adversarial
from pgmkit.spec.objectives import Objective
from pgmkit.spec.build import build_spec
from pgmkit.spec.game import layout
from pgmkit.spec.kinds.implicit import ImplicitCPD
from pgmkit.spec.serialize import to_dict
from tests.adversarial.helpers import tiny_bigan, tiny_cgan, tiny_cyclegan, tiny_infogan


def test_zoo_models_read_as_written():
    gan = pgmkit.example("gan").spec
    assert gan["x"].cpd == ImplicitCPD((128, 128), "leaky_relu", "sigmoid")
    assert gan.objective == Adversarial(loss="nonsaturating")
    wgan = pgmkit.example("wgan_gp").spec.objective
    assert (wgan.loss, wgan.n_critic, wgan.penalty, wgan.betas) == ("wasserstein_gp", 5, 10.0,
                                                                    (0.5, 0.9))
    info = pgmkit.example("infogan").spec.objective
    assert info.info_codes == ("c", "s") and info.lr_generator > info.lr_critic


def test_every_option_round_trips():
    raw = {"name": "m", "variables": {
        "z": {"real": [3], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [2, 2], "parents": ["z"], "cpd": {"implicit": {
            "hidden": [5], "activation": "tanh", "output": "tanh"}}}},
        "objective": {"adversarial": {
            "loss": "wasserstein_gp", "critic": {"hidden": [7, 3], "activation": "elu"},
            "n_critic": 2, "gp_weight": 5, "betas": [0.0, 0.9], "lr_generator": 0.01,
            "lr_critic": 0.02}}}
    spec = build_spec(raw)
    assert build_spec(to_dict(spec)) == spec
    assert spec.objective.penalty == 5.0 and spec.objective.critic_hidden == (7, 3)
    assert build_spec({**raw, "objective": {"adversarial": {"loss": "hinge"}}}) != spec


def test_elbo_objective_is_named_and_kept():
    raw = {"name": "v", "variables": {
        "z": {"real": [2], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [4], "parents": ["z"], "cpd": {"neural": {"family": "normal"}}}},
        "guide": {"z": {"neural": {"given": ["x"], "family": "normal"}}}, "objective": "elbo"}
    spec = build_spec(raw)
    assert spec.objective == Objective("elbo", {"num_particles": 1})
    assert build_spec(to_dict(spec)) == spec
    assert type(pgmkit.model(spec)).__name__ == "DeepModel"


def test_critic_inputs_follow_the_graph():
    cgan = layout(build_spec(tiny_cgan()))
    assert cgan.critic_inputs == ("y", "x") and cgan.conditions == ("y",)
    bigan = layout(build_spec(tiny_bigan()))
    assert bigan.critic_inputs == ("z", "x") and bigan.encoded == ("z",)
    info = layout(build_spec(tiny_infogan()))
    assert info.critic_inputs == ("x",) and set(info.noise) == {"c", "s", "z"}
    cyc = layout(build_spec(tiny_cyclegan()))
    assert cyc.mode == "cycle" and cyc.domains == ("a", "b")


def test_the_spec_picks_the_adversarial_facade():
    model = pgmkit.model(tiny_cgan())
    assert type(model).__name__ == "AdversarialModel" and model.backend == "adversarial"
    with pytest.raises(pgmkit.errors.UnsupportedError, match="backends that can: 'adversarial'"):
        pgmkit.model(tiny_cgan(), backend="pyro")


def test_python_problems_are_all_reported_at_once():
    raw = tiny_cgan(loss="hinj", n_critic=0)
    raw["variables"]["x"]["cpd"]["implicit"]["output"] = "softmax"
    with pytest.raises(SpecError) as info:
        build_spec(raw)
    text = str(info.value)
    assert "3 problems" in text and "'hinj' is unknown (did you mean 'hinge'?)" in text
    assert "output 'softmax' is unknown" in text and "'n_critic'" in text
