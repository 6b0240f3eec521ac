"""Lyapunov exponents of a discrete map z_{t+1} = step(z_t), from its Jacobians by autodiff.

Tangent vectors are pushed forward with Jacobian-vector products, J(z) v = jax.jvp(step, z, v)
(the columns of jax.jacfwd, without building the matrix), under ``lax.scan``:

- largest exponent: one vector, renormalised every step; lambda_1 = sum_t log ||J v_t|| / (n dt);
- spectrum: an orthonormal frame Q (d x k), re-orthonormalised every step by QR (Benettin et
  al. 1980); lambda_i = sum_t log |R_ii| / (n dt).

The start vector / frame is random with a fixed key (``jax.random.key(0)``): an axis-aligned
one can be orthogonal to the expanding direction. ``n_transient`` steps are run first, the
vectors renormalised but nothing accumulated, so the orbit reaches the attractor and the
frame aligns. The orbit is computed in the dtype of ``z0`` (integer input becomes float64
under ``chaos``' x64 mode); the log-sum is accumulated in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._validate import positive, positive_int

StepFn = Callable[[Float[Array, " d"]], Float[Array, " d"]]


def _prepare(step, z0, n_steps, n_transient, dt):
    if not callable(step):
        raise TypeError(f"step must be a function z -> z, got {type(step).__name__}")
    n_steps = positive_int(n_steps, "n_steps")
    n_transient = positive_int(n_transient, "n_transient", minimum=0)
    dt = positive(dt, "dt")
    z = jnp.asarray(z0)
    if not jnp.issubdtype(z.dtype, jnp.floating):
        z = z.astype(jnp.result_type(float))
    if z.ndim != 1 or z.shape[0] < 1:
        raise ValueError(f"z0 must have shape (d,), got shape {z.shape} (wrap a scalar map's state as shape (1,))")
    if not bool(jnp.all(jnp.isfinite(z))):
        raise ValueError(f"z0 has non-finite values: {np.asarray(z)}")
    out = jax.eval_shape(step, z)
    if getattr(out, "shape", None) != z.shape:
        raise ValueError(f"step must map shape {z.shape} to {z.shape}, it returns {getattr(out, 'shape', type(out))}")
    return z, n_steps, n_transient, dt


def _check_orbit(finite, n_steps, n_transient):
    if not bool(finite):
        raise ValueError(
            f"the orbit diverged (non-finite state) within n_transient + n_steps = {n_transient + n_steps} steps"
        )


@jax.jit(static_argnames=("step", "n_steps", "n_transient"))
def _largest(step, z0, n_steps, n_transient):
    v0 = jax.random.normal(jax.random.key(0), z0.shape, z0.dtype)
    v0 = v0 / jnp.linalg.norm(v0)

    def advance(carry, _):
        z, v = carry
        z1, jv = jax.jvp(step, (z,), (v,))
        n = jnp.linalg.norm(jv)
        return (z1, jv / jnp.where(n > 0, n, 1.0)), jnp.log(n)

    carry, _ = jax.lax.scan(advance, (z0, v0), None, length=n_transient)
    (z, _), logs = jax.lax.scan(advance, carry, None, length=n_steps)
    return jnp.sum(logs.astype(jnp.result_type(float))), jnp.all(jnp.isfinite(z))


def largest_lyapunov_map(
    step: StepFn,
    z0: Float[ArrayLike, " d"],
    *,
    n_steps: int,
    n_transient: int = 0,
    dt: float = 1.0,
) -> float:
    """Largest Lyapunov exponent of z_{t+1} = ``step``(z_t), in 1 / (time unit) = per step / ``dt``.

    ``step`` is a pure JAX function of one state of shape (d,) (closing over its parameters;
    it is a static argument of a jitted function, so pass the same function object to reuse
    the compilation); ``z0`` (d,) the start state. ``n_steps`` steps are averaged after
    ``n_transient`` discarded ones. ``-inf`` if the tangent vector is mapped to 0 (a
    Jacobian singular along the orbit, e.g. a superstable fixed point). A diverging orbit is
    an error.
    """
    z, n_steps, n_transient, dt = _prepare(step, z0, n_steps, n_transient, dt)
    total, finite = _largest(step, z, n_steps, n_transient)
    _check_orbit(finite, n_steps, n_transient)
    return float(total) / (n_steps * dt)


@jax.jit(static_argnames=("step", "n_steps", "n_transient", "k"))
def _spectrum(step, z0, n_steps, n_transient, k):
    q0, _ = jnp.linalg.qr(jax.random.normal(jax.random.key(0), (z0.shape[0], k), z0.dtype))

    def advance(carry, _):
        z, q = carry
        z1 = step(z)
        jq = jax.vmap(lambda v: jax.jvp(step, (z,), (v,))[1], in_axes=1, out_axes=1)(q)
        q1, r = jnp.linalg.qr(jq)
        return (z1, q1), jnp.log(jnp.abs(jnp.diag(r)))

    carry, _ = jax.lax.scan(advance, (z0, q0), None, length=n_transient)
    (z, _), logs = jax.lax.scan(advance, carry, None, length=n_steps)
    return jnp.sum(logs.astype(jnp.result_type(float)), axis=0), jnp.all(jnp.isfinite(z))


def lyapunov_spectrum_map(
    step: StepFn,
    z0: Float[ArrayLike, " d"],
    *,
    n_steps: int,
    k: int | None = None,
    n_transient: int = 0,
    dt: float = 1.0,
) -> np.ndarray:
    """The k largest Lyapunov exponents of z_{t+1} = ``step``(z_t), shape (k,), largest first,
    in 1 / (time unit) (per step / ``dt``); k defaults to d. Their sum (k = d) is the mean of
    log |det J| along the orbit (ln |b| per step for the Henon map). Arguments as in
    :func:`largest_lyapunov_map`.
    """
    z, n_steps, n_transient, dt = _prepare(step, z0, n_steps, n_transient, dt)
    d = z.shape[0]
    k = d if k is None else k
    if isinstance(k, bool) or int(k) != k or not 1 <= int(k) <= d:
        raise ValueError(f"k must be an integer in 1..{d}, got {k!r}")
    total, finite = _spectrum(step, z, n_steps, n_transient, int(k))
    _check_orbit(finite, n_steps, n_transient)
    exps = np.asarray(total, dtype=np.float64) / (n_steps * dt)
    return np.sort(exps)[::-1].copy()



