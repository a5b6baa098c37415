"""Tiny adversarial model definitions shared by the tests."""
from __future__ import annotations

NOISE = {"real": [4], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}}
LABEL = {"states": [str(d) for d in range(10)], "cpd": [0.1] * 10}


def implicit(*parents: str, hidden=(16,), output="sigmoid", given=None) -> dict:
    body = {"hidden": list(hidden), "activation": "leaky_relu", "output": output}
    if given:
        body["given"] = list(given)
    return {"implicit": body}


def tiny_gan(loss: str = "nonsaturating", hidden=(16,), **options) -> dict:
    """z(4) -> x(64): a GAN small enough to train an epoch on 300 digits in milliseconds."""
    return {"name": "tiny_gan", "variables": {
        "z": NOISE, "x": {"real": [64], "parents": ["z"], "cpd": implicit(hidden=hidden)}},
        "objective": {"adversarial": {"loss": loss, "critic": {"hidden": list(hidden)},
                                      **options}}}


def tiny_cgan(**options) -> dict:
    return {"name": "tiny_cgan", "variables": {
        "y": LABEL, "z": NOISE,
        "x": {"real": [64], "parents": ["z", "y"], "cpd": implicit()}},
        "objective": {"adversarial": {"critic": {"hidden": [16]}, **options}}}


def tiny_infogan() -> dict:
    return {"name": "tiny_infogan", "variables": {
        "c": {**LABEL, "latent": True},
        "s": {"real": [2], "latent": True, "cpd": {"normal": {"loc": 0, "scale": 1}}},
        "z": NOISE,
        "x": {"real": [64], "parents": ["z", "c", "s"], "cpd": implicit()}},
        "objective": {"adversarial": {"critic": {"hidden": [16]},
                                      "info": {"codes": ["c", "s"], "weight": 1}}}}


def tiny_bigan() -> dict:
    return {"name": "tiny_bigan", "variables": {
        "z": NOISE, "x": {"real": [64], "parents": ["z"], "cpd": implicit()}},
        "guide": {"z": implicit(output="identity", given=["x"])},
        "objective": {"adversarial": {"critic": {"hidden": [16]}}}}


def tiny_cyclegan() -> dict:
    return {"name": "tiny_cyclegan", "variables": {
        "a": {"real": [64]},
        "b": {"real": [64], "parents": ["a"], "cpd": implicit()}},
        "guide": {"a": implicit(given=["b"])},
        "objective": {"adversarial": {"critic": {"hidden": [16]}, "cycle": 10}}}


def conv(channels=(8,), kernel=3, shape=(8, 8), given=None) -> dict:
    """A convolutional implicit block on 8x8 images with a sigmoid output."""
    body = {"conv": {"channels": list(channels), "kernel": kernel}, "shape": list(shape),
            "output": "sigmoid"}
    if given:
        body["given"] = list(given)
    return {"implicit": body}


def tiny_conv_cyclegan(channels=(4,), kernel=3, critic=(16,)) -> dict:
    """The two-domain translation with convolutional maps a -> b and b -> a."""
    return {"name": "tiny_conv_cyclegan", "variables": {
        "a": {"real": [64]},
        "b": {"real": [64], "parents": ["a"], "cpd": conv(channels, kernel)}},
        "guide": {"a": conv(channels, kernel, given=["b"])},
        "objective": {"adversarial": {"critic": {"hidden": list(critic)}, "cycle": 10}}}
