"""Flows whose dysts code cannot be traced by JAX, ported by hand.

Each entry is verified against dysts' own right-hand side at random states in
``tests/chaos/test_systems.py``, like every other system.

- ``Lorenz96``: dysts assigns into a preallocated array (``Xdot[0] = ...``), which JAX
  arrays do not allow; the same update is written with ``jnp.roll``.
"""

from __future__ import annotations

import jax.numpy as jnp

REASONS = {
    "Lorenz96": "dysts assigns into a preallocated array; rewritten with jnp.roll",
}


def lorenz96(x, t, p):
    """dX_i/dt = (X_{i+1} - X_{i-2}) X_{i-1} - X_i + f on a periodic ring, shape (K,)."""
    return (jnp.roll(x, -1) - jnp.roll(x, 2)) * jnp.roll(x, 1) - x + p["f"]


FIELDS = {"Lorenz96": lorenz96}
