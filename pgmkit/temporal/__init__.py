"""Temporal models: dynamic Bayesian networks (HMMs, factorial and coupled HMMs, knowledge
tracing) fitted on long-format logs, one model or one per group.

``queries`` holds the temporal queries both model classes answer and the frames they
return; ``groups`` holds :class:`GroupedDynamicBayesNet` (imports ``queries`` only);
``dynamic`` holds :class:`DynamicBayesNet` (imports both). No module imports another in
a cycle. Both run on pgmkit's forward-backward engine
(:mod:`pgmkit.backends.forward_backward`).
"""
