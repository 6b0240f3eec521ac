"""Test session setup: configure JAX (float64, compilation cache) before any test imports it."""

from pipelines.jaxsetup import configure_jax

configure_jax()
