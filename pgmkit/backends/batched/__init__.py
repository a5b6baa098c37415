"""Batched exact inference: many evidence rows answered by one tensor contraction each.

``query.query_batch`` / ``query.log_likelihood_rows`` / ``query.predict`` answer whole
tables of evidence; ``em.fit_em`` learns CPDs from data with missing cells and latent
variables, with the batched engine as its E-step. Engines (numpy/opt_einsum, torch for
gradients) are imported inside functions only.
"""
