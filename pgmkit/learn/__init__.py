"""Learning algorithms that are not tied to one engine (the EM driver)."""
