"""Engine-free numpy kernels over table CPDs: ancestral sampling and complete-row
log-probabilities (``ancestral``), max-product elimination (``maxproduct``) and
closed-form estimation from counts (``estimate``).

They are registered rules like any engine's (``rules.py``), so a spec with a CPD kind
they have no rule for is refused with ``UnsupportedError`` naming the backends that
can run it, never an ``AttributeError`` from deep inside a kernel.
"""
