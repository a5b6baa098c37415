"""Engines. Each subpackage compiles a spec for one engine and runs it there.

Backends are imported only when a model is compiled for them, so importing pgmkit
never imports torch, pyro or pomegranate.
"""
