"""Leading Lyapunov exponents of the RK4 map by the QR (Benettin) method.

The tangent of the discrete RK4 map is propagated exactly by forward-mode autodiff
(``jax.linearize`` of one step, applied to the k columns of an orthonormal frame Q); every
``renorm_every`` steps Q R = qr(Q) and log|R_ii| is accumulated. The exponents of the RK4 map
divided by the step converge to the flow's exponents as O(dt^4), far below the sampling
error of any run here. This is the fixed-step counterpart of :mod:`chaos.lyapunov` (which
integrates dysts systems adaptively); the Lorenz 96 models are stepped with the same RK4 as
the data they generate.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ._models import _check_dt, check_steps, rk4_step


@partial(jax.jit, static_argnames=("tendency", "unravel", "k", "n_blocks", "n_burn", "renorm_every"))
def _qr_run(tendency, unravel, z0, q0, dt, k, n_blocks, n_burn, renorm_every):
    flat = lambda z: ravel_pytree(tendency(unravel(z)))[0]  # noqa: E731
    step = lambda z: rk4_step(flat, z, dt)  # noqa: E731

    def advance(i, carry):
        z, q = carry
        z1, lin = jax.linearize(step, z)
        return z1, jax.vmap(lin, in_axes=1, out_axes=1)(q)

    def block(carry, _):
        z, q, logs, accumulate = carry
        z, q = jax.lax.fori_loop(0, renorm_every, advance, (z, q))
        q, r = jnp.linalg.qr(q)
        logs = logs + accumulate * jnp.log(jnp.abs(jnp.diag(r)))
        return (z, q, logs, accumulate), None

    zero = jnp.zeros(k, z0.dtype)
    (z, q, _, _), _ = jax.lax.scan(block, (z0, q0, zero, jnp.zeros((), z0.dtype)), None, length=n_burn)
    (z, q, logs, _), _ = jax.lax.scan(block, (z, q, zero, jnp.ones((), z0.dtype)), None, length=n_blocks)
    return logs, jnp.all(jnp.isfinite(z))


def lyapunov_exponents(
    tendency: Callable,
    state0,
    *,
    dt: float,
    n_steps: int,
    k: int = 1,
    renorm_every: int = 10,
    burn_in_steps: int = 0,
    key: jax.Array | None = None,
) -> np.ndarray:
    """The k leading Lyapunov exponents (1 / model time unit, largest first) of
    ``d state/dt = tendency(state)`` stepped with RK4.

    Args:
        tendency: pytree -> pytree of the same structure (hashable, e.g. a module-level
            function or a ``functools.partial`` of one with hashable arguments).
        state0: the starting state (a pytree of arrays); it should already be on the attractor
            or ``burn_in_steps`` should cover the transient.
        dt: RK4 step; n_steps: steps averaged over (a multiple of ``renorm_every``);
        k: number of exponents; renorm_every: steps between QR re-orthonormalisations;
        burn_in_steps: steps first discarded (state and frame), a multiple of ``renorm_every``.
        key: PRNG key of the random initial frame (default ``jax.random.key(0)``).

    Raises:
        ValueError: bad sizes; FloatingPointError: the trajectory blew up.
    """
    _check_dt(dt)
    check_steps(n_steps, renorm_every)
    check_steps(burn_in_steps, renorm_every)
    z0, unravel = ravel_pytree(state0)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= z0.size:
        raise ValueError(f"k must be an int in 1..{z0.size} (the state dimension), got {k!r}")
    key = jax.random.key(0) if key is None else key
    q0, _ = jnp.linalg.qr(jax.random.normal(key, (z0.size, k), z0.dtype))
    n_blocks = n_steps // renorm_every
    logs, finite = _qr_run(tendency, unravel, z0, q0, dt, k, n_blocks, burn_in_steps // renorm_every, renorm_every)
    if not bool(finite):
        raise FloatingPointError("the trajectory blew up while estimating Lyapunov exponents; reduce dt")
    return np.asarray(logs) / (n_steps * dt)
