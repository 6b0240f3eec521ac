"""Chaotic systems: the dysts catalogue integrated in JAX, Lyapunov spectra, the database.

Importing this package turns on JAX's 64-bit mode: the database is generated in float64,
because dysts' reference trajectories are integrated at rtol = atol = 1e-12 and agreement
with them at 1e-4 over a Lyapunov time is not reachable in float32. Code elsewhere that
wants float32 asks for it explicitly (``dtype=jnp.float32``).
"""

import jax

jax.config.update("jax_enable_x64", True)
