"""The adversarial engine (torch): implicit CPDs trained against critics.

``compile.py`` turns a spec with an adversarial objective into a :class:`Game` (generator,
encoder and critic networks, noise priors), ``losses.py`` holds the players' losses and the
gradient penalty, ``learn.py`` the alternating training loop with checkpoints.
"""
