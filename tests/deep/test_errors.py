"""Shapes and errors: every user mistake is a SpecError or DataError naming the culprit."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import pgmkit
from pgmkit.errors import DataError, SpecError, UnsupportedError
from tests.deep.helpers import tiny_vae


def _spec_error(definition) -> str:
    with pytest.raises(SpecError) as info:
        pgmkit.model(definition)
    return str(info.value)


def test_normal_loc_of_the_wrong_shape():
    d = tiny_vae()
    d["variables"]["z"]["cpd"] = {"normal": {"loc": [0, 0, 0], "scale": 1}}
    msg = _spec_error(d)
    assert "'z'" in msg and "loc" in msg and "[2]" in msg


def test_linear_gaussian_weights_that_do_not_fit():
    msg = _spec_error({"name": "fa", "variables": {
        "z": {"real": [2], "latent": True, "cpd": {"normal": {}}},
        "x": {"real": [3], "parents": ["z"], "cpd": {"linear_gaussian": {
            "weights": {"z": [[1, 0, 0], [0, 1, 0]]}}}}}})
    assert "'x'" in msg and "weights" in msg and "[3, 2]" in msg


def test_guide_for_an_unknown_variable_says_did_you_mean():
    d = tiny_vae()
    d["guide"]["zz"] = d["guide"].pop("z")
    msg = _spec_error(d)
    assert "unknown variable 'zz'" in msg and "did you mean 'z'" in msg


def test_guide_for_an_observed_variable():
    d = tiny_vae()
    d["guide"]["x"] = {"neural": {"given": ["z"], "family": "bernoulli"}}
    assert "observed" in _spec_error(d)


def test_guide_given_an_unknown_variable():
    d = tiny_vae()
    d["guide"]["z"]["neural"]["given"] = ["xx"]
    assert "'xx'" in _spec_error(d)


def test_guide_family_must_fit_the_latent():
    d = tiny_vae()
    d["guide"]["z"]["neural"]["family"] = "categorical"
    assert "categorical" in _spec_error(d)


def test_guide_cannot_read_a_latent_summed_out_in_the_model():
    definition = {"name": "bad_m2", "variables": {
        "y": {"states": ["a", "b"], "latent": True, "cpd": [0.5, 0.5]},
        "z": {"real": [2], "latent": True, "cpd": {"normal": {}}},
        "x": {"real": [4], "parents": ["y", "z"], "cpd": {"neural": {"family": "normal"}}}},
        "guide": {"z": {"neural": {"given": ["x", "y"], "family": "normal"}}}}
    msg = _spec_error(definition)
    assert "'y'" in msg and "guide" in msg and "categorical" in msg


def test_real_variable_without_a_cpd():
    d = tiny_vae()
    del d["variables"]["x"]["cpd"]
    msg = _spec_error(d)
    assert "'x'" in msg and "no CPD" in msg


def test_temporal_spec_is_not_for_pyro():
    from pgmkit.backends.pyro.compile import Program

    spec = pgmkit.build_spec({"name": "hmm", "temporal": True, "variables": {
        "S": {"states": ["a", "b"], "latent": True, "parents": ["S[t-1]"],
              "cpd": [[0.9, 0.1], [0.2, 0.8]], "initial": [0.5, 0.5]},
        "O": {"states": ["u", "v"], "parents": ["S"], "cpd": [[0.7, 0.3], [0.1, 0.9]]}}})
    with pytest.raises(UnsupportedError, match="forward_backward"):
        Program(spec)


# -- data -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vae():
    return pgmkit.model(tiny_vae())


@pytest.fixture(scope="module")
def cvae():
    return pgmkit.example("cvae")


def test_data_of_the_wrong_width(vae):
    with pytest.raises(DataError, match=r"'x' has shape \[64\].*received \[5, 63\]"):
        vae.elbo(np.zeros((5, 63)))


def test_bernoulli_data_must_be_binary(vae):
    x = np.zeros((3, 64))
    x[1, 5] = 0.4
    with pytest.raises(DataError, match="row 1.*0.4.*binarize"):
        vae.fit(x, epochs=1, progress=False)


def test_nan_in_real_data(vae):
    x = np.zeros((3, 64))
    x[2, 0] = np.nan
    with pytest.raises(DataError, match="row 2"):
        vae.elbo(x)


def test_bare_array_for_a_model_with_two_observed_variables(cvae):
    with pytest.raises(DataError, match=r"2 observed variables.*dict or DataFrame"):
        cvae.elbo(np.zeros((2, 64)))


def test_unknown_key_says_did_you_mean(cvae):
    with pytest.raises(DataError, match="did you mean 'y'"):
        cvae.elbo({"x": np.zeros((2, 64)), "yy": [1, 2]})


def test_sample_given_an_unknown_variable_says_did_you_mean(cvae):
    with pytest.raises(DataError, match="given names unknown variable 'yy'.*did you mean 'y'"):
        cvae.sample(2, given={"yy": "3"})


def test_unknown_label_state(cvae):
    with pytest.raises(DataError, match="row 1: '11' is not a state of 'y'"):
        cvae.elbo({"x": np.zeros((2, 64)), "y": [3, 11]})


def test_missing_label_is_a_data_error(cvae):
    with pytest.raises(DataError, match="row 1: 'y' is missing"):
        cvae.elbo({"x": np.zeros((2, 64)), "y": [3, np.nan]})


def test_rows_must_agree(cvae):
    with pytest.raises(DataError, match="rows"):
        cvae.elbo({"x": np.zeros((3, 64)), "y": [1, 2]})


def test_guide_input_missing_from_the_data(cvae):
    with pytest.raises(DataError, match=r"guide for 'z'.*\['y'\]"):
        cvae.encode({"x": np.zeros((2, 64))})


def test_dataframe_columns(cvae):
    # the real-vector naming every class reads and writes: x[0], x[1], ...
    frame = pd.DataFrame(np.zeros((2, 64)), columns=[f"x[{i}]" for i in range(64)])
    frame["y"] = ["3", "4"]
    assert np.isfinite(cvae.elbo(frame))
    frame["extra"] = 1
    with pytest.raises(DataError, match="'extra'"):
        cvae.elbo(frame)
    with pytest.raises(DataError, match="the data has 63 of them"):
        cvae.elbo(frame.drop(columns=["extra", "x[7]"]))
    other = frame.drop(columns="extra").rename(columns=lambda c: c.replace("[", "_").rstrip("]"))
    with pytest.raises(DataError, match=r"'x_0'.*x\[0\]..x\[63\]"):
        cvae.elbo(other)


def test_checkpoint_of_another_model(tmp_path, vae):
    x = (np.random.default_rng(0).random((40, 64)) > 0.5).astype(float)
    vae.copy().fit(x, epochs=1, batch_size=20, checkpoint_dir=tmp_path, progress=False)
    other = copy.deepcopy(tiny_vae(z=3))
    with pytest.raises(DataError, match="does not fit"):
        pgmkit.model(other).fit(x, epochs=2, checkpoint_dir=tmp_path, resume=True,
                                progress=False)


def test_bad_training_settings(vae):
    with pytest.raises(DataError, match="batch_size"):
        vae.fit(np.zeros((4, 64)), epochs=1, batch_size=0, progress=False)


def test_exact_evidence_refuses_guided_latents(vae):
    import torch

    from pgmkit.backends.pyro.infer import log_evidence

    with pytest.raises(UnsupportedError, match=r"model '.*' has guided latents \['z'\]"):
        log_evidence(vae.program, {"x": torch.zeros(2, 64)}, 2)
