"""Partial derivatives of a scalar field ``u(x, t)`` by forward-mode autodiff.

Residuals are written with these, so that the same expression serves a neural network
during training and an exact solution in the tests. Each derivative is one more nested
``jax.jvp``; a fourth x-derivative costs four nested forward passes, which is cheaper than
nested reverse mode for a scalar input.

>>> u_xx = x_derivative(u, 2)      # a function (x, t) -> d2u/dx2 at (x, t)
>>> u_xx(0.3, 0.1)
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

Scalar = Float[Array, ""]
Field = Callable[[Scalar, Scalar], Scalar]  # u(x, t) -> u, all scalars


def _as_float(v) -> Array:
    v = jnp.asarray(v)
    return v if jnp.issubdtype(v.dtype, jnp.floating) else v.astype(float)


def _directional(u: Field, along_x: bool) -> Field:
    def du(x, t):
        x, t = _as_float(x), _as_float(t)
        tangents = (jnp.ones_like(x), jnp.zeros_like(t)) if along_x else (jnp.zeros_like(x), jnp.ones_like(t))
        return jax.jvp(u, (x, t), tangents)[1]

    return du


def x_derivative(u: Field, order: int = 1) -> Field:
    """The function ``(x, t) -> d^order u / dx^order (x, t)`` of a scalar field ``u(x, t)``."""
    if order < 0:
        raise ValueError(f"the order of a derivative must be >= 0, got {order}")
    for _ in range(order):
        u = _directional(u, along_x=True)
    return u


def t_derivative(u: Field, order: int = 1) -> Field:
    """The function ``(x, t) -> d^order u / dt^order (x, t)`` of a scalar field ``u(x, t)``."""
    if order < 0:
        raise ValueError(f"the order of a derivative must be >= 0, got {order}")
    for _ in range(order):
        u = _directional(u, along_x=False)
    return u
