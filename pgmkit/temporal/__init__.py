"""Temporal models: dynamic Bayesian networks (HMMs, factorial and coupled HMMs, knowledge
tracing) fitted on long-format logs, one model or one per group.

``dynamic`` holds :class:`DynamicBayesNet` and the temporal queries; ``groups`` holds
:class:`GroupedDynamicBayesNet`. Both run on pgmkit's forward-backward engine
(:mod:`pgmkit.backends.forward_backward`).
"""
