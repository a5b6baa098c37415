"""pgmkit's autoregressive engine (torch): FVSBN, NADE, MADE and PixelCNN networks
(``networks``) and the exact-likelihood model around them (``compile``)."""
