"""Lyapunov spectra by the QR (Benettin) method, with tangent dynamics from JAX autodiff.

The state x and an orthonormal frame Q (D x k) are integrated together,
x' = f(x, t), Q' = J(x, t) Q, with J Q formed by forward-mode products (one ``jvp`` per
column, no Jacobian matrix is built). Every ``interval`` time units Q is re-orthonormalised,
Q R = qr(Q), and log|R_ii| accumulated; the exponents are the accumulated sums divided by
the elapsed time. Integration between re-orthonormalisations is adaptive (diffrax Tsit5).
"""

from __future__ import annotations

from functools import lru_cache

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .systems import Params, System


@lru_cache(maxsize=None)
def _qr_solver(system: System, k: int, n_intervals: int, rtol: float):
    def tangent(t, state, params):
        x, q = state
        fx = lambda y: system.rhs(y, t, params)  # noqa: E731
        dx = fx(x)
        dq = jax.vmap(lambda v: jax.jvp(fx, (x,), (v,))[1], in_axes=1, out_axes=1)(q)
        return dx, dq

    term = diffrax.ODETerm(tangent)
    controller = diffrax.PIDController(rtol=rtol, atol=rtol)

    def run(x0, interval, burn_in, params):
        # a generic (random, fixed) frame: an axis-aligned one can miss expanding directions
        q0, _ = jnp.linalg.qr(jax.random.normal(jax.random.key(0), (x0.size, k), x0.dtype))

        def advance(x, q, t0, dt):
            sol = diffrax.diffeqsolve(
                term, diffrax.Tsit5(), t0, t0 + dt, dt / 10, (x, q), args=params,
                stepsize_controller=controller, max_steps=100_000, throw=False,
            )
            (x1,), (q1,) = sol.ys
            return x1, q1

        # burn-in on the state alone gives the frame time to align too
        def burn(carry, i):
            x, q = carry
            x, q = advance(x, q, i * interval, interval)
            q, _ = jnp.linalg.qr(q)
            return (x, q), None

        n_burn = jnp.maximum(jnp.round(burn_in / interval), 0).astype(int)
        (x, q) = jax.lax.fori_loop(0, n_burn, lambda i, c: burn(c, i)[0], (x0, q0))

        def step(carry, i):
            x, q, logs = carry
            x, q = advance(x, q, (n_burn + i) * interval, interval)
            q, r = jnp.linalg.qr(q)
            logs = logs + jnp.log(jnp.abs(jnp.diag(r)))
            return (x, q, logs), None

        (x, q, logs), _ = jax.lax.scan(step, (x, q, jnp.zeros(k, x0.dtype)), jnp.arange(n_intervals))
        return logs / (n_intervals * interval), jnp.all(jnp.isfinite(x))

    return jax.jit(run)


def lyapunov_spectrum(
    system: System,
    x0: Float[Array, " D"] | None = None,
    *,
    k: int | None = None,
    interval: float | None = None,
    duration: float | None = None,
    burn_in: float | None = None,
    rtol: float = 1e-10,
    params: Params | None = None,
) -> np.ndarray:
    """The k largest Lyapunov exponents, in 1 / (system time unit), largest first.

    Args:
        x0: starting state, default dysts' initial condition.
        k: how many exponents (default all, D).
        interval: time between re-orthonormalisations; default period / 20.
        duration: averaging time after burn-in; default 200 periods.
        burn_in: time discarded first; default 20 periods.
        rtol: tolerance (relative and absolute) of the joint state-tangent integration;
            at 1e-8 several multistable or intermittent flows (ZhouChen, DequanLi) gave
            largest exponents off by a factor of two, so the default is 1e-10.
    """
    d = system.dimension
    k = d if k is None else k
    if not 1 <= k <= d:
        raise ValueError(f"k must be in 1..{d} for {system.name}, got {k}")
    x, interval, burn_in, n_intervals, p = _setup(system, x0, interval, duration, burn_in, params, 20)
    exps, finite = _qr_solver(system, k, n_intervals, float(rtol))(x, interval, burn_in, p)
    _check_finite(system, finite)
    return np.asarray(exps)


def _setup(system, x0, interval, duration, burn_in, params, per_period):
    """Defaults in periods, the number of intervals, the start state and float64 params."""
    if system.kind != "ode":
        raise ValueError(
            f"{system.name} is a {system.kind} system: its tangent space is infinite-"
            "dimensional and the methods here handle flows only"
        )
    period = system.period
    interval = period / per_period if interval is None else interval
    duration = 200 * period if duration is None else duration
    burn_in = 20 * period if burn_in is None else burn_in
    n_intervals = max(int(round(duration / interval)), 1)
    x = jnp.asarray(system.ic if x0 is None else x0, dtype=jnp.float64)
    p = jax.tree.map(lambda v: jnp.asarray(v, dtype=jnp.float64), system.resolve_params(params))
    return x, interval, burn_in, n_intervals, p


def _check_finite(system, finite) -> None:
    if not bool(finite):
        raise FloatingPointError(f"{system.name}: the trajectory blew up while estimating Lyapunov exponents")


@lru_cache(maxsize=None)
def _pair_solver(system: System, n_intervals: int, rtol: float):
    term = diffrax.ODETerm(lambda t, y, p: system.rhs(y, t, p))
    controller = diffrax.PIDController(rtol=rtol, atol=rtol)

    def advance(x, t0, dt, params):
        sol = diffrax.diffeqsolve(term, diffrax.Dopri8(), t0, t0 + dt, dt / 10, x, args=params,
                                  stepsize_controller=controller, max_steps=100_000, throw=False)
        return sol.ys[0]

    def run(x0, interval, burn_in, separation, params):
        x = advance(x0, 0.0, burn_in, params)
        v = jax.random.normal(jax.random.key(0), x0.shape, x0.dtype)
        y = x + separation * v / jnp.linalg.norm(v)

        def step(carry, i):
            x, y, logs = carry
            t0 = burn_in + i * interval
            x, y = advance(x, t0, interval, params), advance(y, t0, interval, params)
            d = jnp.linalg.norm(y - x)
            return (x, x + (y - x) * separation / d, logs + jnp.log(d / separation)), None

        (x, _, logs), _ = jax.lax.scan(step, (x, y, 0.0), jnp.arange(n_intervals))
        return logs / (n_intervals * interval), jnp.all(jnp.isfinite(x))

    return jax.jit(run)


def largest_lyapunov_two_trajectories(
    system: System,
    x0: Float[Array, " D"] | None = None,
    *,
    interval: float | None = None,
    duration: float | None = None,
    burn_in: float | None = None,
    separation: float = 1e-8,
    rtol: float = 1e-12,
    params: Params | None = None,
) -> float:
    """The largest Lyapunov exponent from two nearby trajectories, renormalised to
    ``separation`` every ``interval`` (Benettin et al. 1976), with no Jacobian.

    An independent check of :func:`lyapunov_spectrum`; unlike the tangent dynamics it also
    sees the jumps of discontinuous vector fields (``sign``, ``heaviside``), where the
    Jacobian-based spectrum misses the saltation at switching surfaces.
    Defaults: interval period / 5, duration 200 periods, burn-in 20 periods.
    """
    x, interval, burn_in, n_intervals, p = _setup(system, x0, interval, duration, burn_in, params, 5)
    lam, finite = _pair_solver(system, n_intervals, float(rtol))(x, interval, burn_in, separation, p)
    _check_finite(system, finite)
    return float(lam)
