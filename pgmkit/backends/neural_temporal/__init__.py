"""pgmkit's neural temporal engine (torch): temporal specs with neural or recurrent CPDs.

``compile`` (spec -> networks and roles), ``data`` (packed minibatches of sequences),
``forward`` (exact forward/backward/Viterbi over a discrete hidden chain), ``sample``.
"""
