"""The pgmpy backend: exact discrete inference and parameter learning for Bayesian networks."""
