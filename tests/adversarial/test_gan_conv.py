"""Convolutional implicit CPDs: shapes, locality, round trips, learning, and mistakes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pgmkit
from pgmkit.errors import SpecError
from pgmkit.spec.build import build_spec
from pgmkit.spec.kinds.implicit import ImplicitCPD
from pgmkit.spec.serialize import to_dict
from tests.adversarial.helpers import conv, tiny_conv_cyclegan


def test_conv_block_reads_round_trips_and_defaults_its_kernel():
    spec = build_spec(tiny_conv_cyclegan(channels=[4, 6]))
    assert spec["b"].cpd == ImplicitCPD(output="sigmoid", channels=(4, 6), kernel=3,
                                        shape=(8, 8))
    assert spec.guide["a"].is_conv and spec.guide["a"].image == (1, 8, 8)
    assert build_spec(to_dict(spec)) == spec
    written = to_dict(spec)["variables"]["b"]["cpd"]["implicit"]
    assert written["conv"] == {"channels": [4, 6], "kernel": 3} and "hidden" not in written


def test_conv_map_keeps_the_image_size_and_counts_its_weights():
    m = pgmkit.model(tiny_conv_cyclegan(channels=[4, 6], kernel=5))
    net = m.game.generators["b"]
    out = net(torch.rand(3, 64))
    assert out.shape == (3, 64) and bool(((out > 0) & (out < 1)).all())  # sigmoid output
    # (in * out * k * k + out) per convolution: 1 -> 4 -> 6 -> 1 with 5x5 kernels
    expected = (1 * 4 * 25 + 4) + (4 * 6 * 25 + 6) + (6 * 1 * 25 + 1)
    assert sum(p.numel() for p in net.parameters()) == expected


def test_each_output_pixel_sees_only_its_neighbourhood():
    """Two 3x3 layers: pixel (r, c) of the output depends on input pixels within 2 rows
    and 2 columns of it and on no other (the Jacobian is zero outside that square)."""
    net = pgmkit.model(tiny_conv_cyclegan(channels=[4])).game.generators["b"]
    x = torch.rand(1, 64, dtype=torch.float32, requires_grad=True)
    r, c = 5, 2
    net(x)[0, r * 8 + c].backward()
    grad = x.grad.reshape(8, 8).abs()
    rows, cols = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    near = (np.abs(rows - r) <= 2) & (np.abs(cols - c) <= 2)
    assert float(grad[torch.as_tensor(~near)].max()) == 0.0
    assert float(grad[torch.as_tensor(near)].min()) > 0.0


def test_image_parents_are_stacked_as_channels_and_outputs_can_have_several():
    raw = {"name": "two_channels", "variables": {
        "z": {"real": [32], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "x": {"real": [48], "parents": ["z"],
              "cpd": {"implicit": {"conv": {"channels": [5]}, "shape": [3, 4, 4]}}}},
        "objective": {"adversarial": {"critic": {"hidden": [8]}}}}
    m = pgmkit.model(raw)
    first = m.game.generators["x"].net[0]
    assert (first.in_channels, first.out_channels) == (2, 5)  # z (32 values) = 2 of 4x4
    assert m.game.generators["x"].net[-1].out_channels == 3
    assert m.sample(4, seed=0)["x"].shape == (4, 48)


def test_a_conv_map_learns_to_invert_digits(digits_small):
    """The conv network's capacity: trained directly (squared error, Adam) on 200 digits,
    it maps held-out digits x to 1 - x with a mean pixel error below 0.05 (from 0.4)."""
    x, _ = digits_small
    net = pgmkit.model(tiny_conv_cyclegan(channels=[8])).game.generators["b"]
    train, held = torch.as_tensor(x[:200]), torch.as_tensor(x[200:])
    opt = torch.optim.Adam(net.parameters(), lr=3e-2)
    with torch.no_grad():
        start = float((net(held) - (1 - held)).abs().mean())
    for _ in range(150):
        opt.zero_grad()
        ((net(train) - (1 - train)) ** 2).mean().backward()
        opt.step()
    with torch.no_grad():
        err = float((net(held) - (1 - held)).abs().mean())
    assert start > 0.2 and err < 0.05


@pytest.mark.slow
def test_zoo_cyclegan_keeps_the_digit():
    """The zoo's conv cyclegan, trained 20 epochs on the unpaired bundled domains: held-out
    digits translated (both ways) keep their class for the held-out classifier at least
    80% of the time (the default 200 epochs measure about 0.91; MLP maps about 0.07)."""
    from pgmkit import evaluate
    from pgmkit.datasets import digits

    a, b = digits.domains("train")
    m = pgmkit.example("cyclegan").fit({"a": a, "b": b}, epochs=20, seed=0, progress=False)
    scores = evaluate.score(m)
    assert scores["class_kept_a_to_b"] >= 0.8 and scores["class_kept_b_to_a"] >= 0.8
    test_x, _ = digits.load("test", binarize=False)
    to_b = m.sample(len(test_x), given={"a": test_x})["b"]
    assert float(np.abs(to_b - (1 - test_x)).mean()) < 0.1  # close to the true inversion


@pytest.mark.parametrize("change, message", [
    ({"shape": [8, 9]}, "shape \\[8, 9\\] has 72 values but 'b' has 64"),
    ({"shape": None}, "a conv network needs 'shape', the child as an image"),
    ({"shape": [64]}, "needs 'shape', the child as an image \\[H, W\\] or \\[C, H, W\\]; "
                      "received \\[64\\]"),
    ({"conv": None}, "'shape' is the image shape of a convolutional network: give 'conv'"),
    ({"hidden": [16]}, "is an MLP \\('hidden'\\) or a convolutional network \\('conv'\\), "
                       "not both"),
    ({"conv": {"channels": [4], "kernel": 4}}, "conv 'kernel' must be odd"),
    ({"conv": {"channels": [4], "kernel": [3, 3]}}, "conv 'kernel' is one size"),
    ({"conv": {"kernel": 3}}, "implicit 'conv' needs 'channels'"),
    ({"conv": {"channels": [4], "kernal": 3}}, "unknown key 'kernal' in implicit conv block "
                                               "\\(did you mean 'kernel'\\?\\)"),
    ({"conv": [4, 4]}, "implicit 'conv' must be a block such as"),
    ({"conv": {"channels": [4, 0]}}, "conv 'channels' must be a list of channel counts"),
])
def test_conv_mistakes_are_named(change, message):
    raw = tiny_conv_cyclegan()
    body = raw["variables"]["b"]["cpd"]["implicit"]
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    with pytest.raises(SpecError, match=message) as info:
        build_spec(raw)
    assert "variable 'b'" in str(info.value)


def test_conv_guides_and_non_image_parents_are_checked():
    raw = tiny_conv_cyclegan()
    raw["guide"]["a"]["implicit"]["shape"] = [4, 4]
    with pytest.raises(SpecError, match="shape \\[4, 4\\] has 16 values but 'a' has 64"):
        build_spec(raw)
    label = {"name": "conv_label", "variables": {
        "y": {"states": ["0", "1"], "cpd": [0.5, 0.5]},
        "x": {"real": [64], "parents": ["y"], "cpd": conv([4])}},
        "objective": {"adversarial": {}}}
    with pytest.raises(SpecError, match="parent 'y' has 2 states, not a multiple of 64"):
        build_spec(label)
    orphan = {"name": "conv_orphan", "variables": {
        "x": {"real": [64], "latent": True, "cpd": conv([4])},
        "w": {"real": [64], "parents": ["x"], "cpd": conv([4])}},
        "objective": {"adversarial": {}}}
    with pytest.raises(SpecError, match="variable 'x': a conv network reads image parents; "
                                        "this one has none"):
        build_spec(orphan)
