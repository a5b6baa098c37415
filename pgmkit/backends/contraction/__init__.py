"""Batched exact inference: many evidence rows answered by one tensor contraction each.

``infer.query_batch`` / ``infer.log_likelihood_rows`` / ``infer.predict`` answer whole
tables of evidence (``jtree`` + ``propagate``: a junction tree compiled once per table,
one batched message pass for every row; ``lookup``; per-pattern contractions);
``sampling`` draws exact samples given evidence;
``learn.fit_em`` learns CPDs from data with missing cells and latent
variables, with the batched engine as its E-step. Engines (numpy/opt_einsum, torch for
gradients) are imported inside functions only.
"""
