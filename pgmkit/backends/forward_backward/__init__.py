"""pgmkit's forward-backward engine: temporal specs (HMMs, DBNs) and discrete-latent mixtures.

``compile`` lays a spec out as one hidden Markov model over the product of its state
variables (a pomegranate ``DenseHMM`` where it fits); ``kernel`` runs forward-backward
and Viterbi over packed ragged batches with per-group parameters (what ``DenseHMM``
cannot); ``learn`` projects expected counts back onto each CPD; ``infer`` answers
filter / smooth / Viterbi / one-step prediction queries and samples sequences.
"""
