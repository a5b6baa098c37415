"""The Pyro engine: neural CPDs, amortized guides, SVI, and exact enumeration of discrete latents.

``compile.py`` turns a spec into a :class:`~pgmkit.backends.pyro.compile.Program` (a model
function and a guide function with plates over the batch), ``learn.py`` fits it by SVI,
``infer.py`` computes exact discrete marginals and importance-weighted bounds.
"""
