"""Delay differential equations x'(t) = f(x(t), x(t - tau), t) at a fixed step with a
history buffer, and dysts-style delay embeddings of their solutions.

The scheme is classical RK4 with step h = tau / m, so that the delayed argument of the first
and last stages falls on stored grid points; the mid-step stages need x at half steps in the
past, which come from cubic Hermite interpolation of the stored values and derivatives
(error O(h^4)), so the whole scheme is fourth order (checked in the tests). The history is
constant, x(t) = x0 for t <= 0, as in dysts. The ring buffer holds m + 1 past points, so
memory is O(m) and each step O(1).
"""

from __future__ import annotations

import dataclasses

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .integrate import Trajectories, finalize, split_params
from .systems import Params, System


def steps_per_tau(system: System, max_step: float) -> int:
    """The number m of RK4 steps per delay so that h = tau / m <= max_step."""
    return max(int(np.ceil(system.tau / max_step)), 1)


@lru_cache(maxsize=None)
def _delay_solver(system: System, m: int, n_steps: int, batch_params: bool):
    def one(x0, h, fixed, batched):
        params = {**fixed, **batched}
        f = lambda x, xd, t: system.rhs(x, t, params, x_delayed=xd)  # noqa: E731
        size = m + 1
        buf_x = jnp.broadcast_to(x0, (size,) + x0.shape)
        buf_d = jnp.zeros_like(buf_x)

        def step(carry, k):
            x, bx, bd = carry
            t = k * h
            i0 = (k - m) % size  # grid point t - tau
            x0_, d0 = bx[i0], bd[i0]
            k1 = f(x, x0_, t)
            bx, bd = bx.at[k % size].set(x), bd.at[k % size].set(k1)
            i1 = (k - m + 1) % size  # grid point t + h - tau
            x1_, d1 = bx[i1], bd[i1]
            # on the constant history the left end's derivative is 0 (not f at t = 0)
            d1 = jnp.where(k - m + 1 <= 0, 0.0, d1)
            mid = 0.5 * (x0_ + x1_) + h / 8.0 * (d0 - d1)
            k2 = f(x + 0.5 * h * k1, mid, t + 0.5 * h)
            k3 = f(x + 0.5 * h * k2, mid, t + 0.5 * h)
            k4 = f(x + h * k3, x1_, t + h)
            x_new = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            return (x_new, bx, bd), (x, k1)

        _, (xs, ds) = jax.lax.scan(step, (x0, buf_x, buf_d), jnp.arange(n_steps))
        return xs, ds

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, 0 if batch_params else None)))


def _hermite(xs, ds, h, t):
    """Cubic Hermite interpolation of grid values ``xs`` (B, N, n) with derivatives ``ds``
    at times ``t`` (T,), 0 <= t <= (N - 1) h; before 0 the history is constant."""
    n = xs.shape[1]
    s = np.clip(t / h, 0.0, n - 1 - 1e-12)
    j = np.floor(s).astype(int)
    u = (s - j)[None, :, None]
    x0, x1 = xs[:, j], xs[:, np.minimum(j + 1, n - 1)]
    d0, d1 = ds[:, j], ds[:, np.minimum(j + 1, n - 1)]
    h00, h10 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u
    h01, h11 = -2 * u**3 + 3 * u**2, u**3 - u**2
    out = h00 * x0 + h10 * h * d0 + h01 * x1 + h11 * h * d1
    before = (t < 0)[None, :, None]
    return np.where(before, xs[:, :1], out)


def integrate_delay(
    system: System,
    ics: Float[Array, "B D"],
    ts: Float[Array, " T"],
    *,
    max_step: float | None = None,
    params: Params | None = None,
    batch_params: bool = False,
    embedding: bool = True,
) -> Trajectories:
    """Integrate a delay system from constant histories and sample it at ``ts``.

    Args:
        system: a delay system (``system.kind == "delay"``, scalar state).
        ics: shape (B, D); as in dysts, only the first entry of each row is used, as the
            constant history x(t) = ics[b, 0] for t <= 0.
        ts: save times, shape (T,), with ts[0] >= 0 (time 0 is the end of the history).
        max_step: largest RK4 step; default dysts' ``dt`` times 10, at most tau / 20.
        embedding: return dysts' delay embedding, shape (B, T, D) with columns
            x(t - k tau / (D - 1)), k = 0 .. D-1; else the state, shape (B, T, 1).
    """
    if system.kind != "delay":
        raise ValueError(f"{system.name} is not a delay system; use chaos.integrate.integrate")
    ts = np.asarray(ts, dtype=np.float64)
    if ts[0] < 0:
        raise ValueError(f"delay systems start at t = 0 (end of the history); got ts[0] = {ts[0]}")
    ics = np.asarray(ics, dtype=np.float64)
    if params is not None and "tau" in params:  # the delay sizes the history buffer: a static value
        if batch_params:
            raise ValueError(f"{system.name}: tau cannot vary across a batch (got batched params with tau); "
                             "integrate each tau separately")
        system = dataclasses.replace(system, params={**system.params, "tau": float(params["tau"])})
    if max_step is None:
        max_step = min(10 * system.dt, system.tau / 20)
    m = steps_per_tau(system, max_step)
    h = system.tau / m
    n_steps = int(np.ceil(ts[-1] / h)) + 2
    fixed, batched = split_params(system, params, batch_params, ics.shape[0])
    solve = _delay_solver(system, m, n_steps, batch_params)
    xs, ds = solve(jnp.asarray(ics[:, :1]), h, fixed, batched)
    xs, ds = np.asarray(xs), np.asarray(ds)
    if embedding:
        lags = np.linspace(0.0, system.tau, system.dimension)
        ys = np.concatenate([_hermite(xs, ds, h, ts - lag) for lag in lags], axis=-1)
    else:
        ys = _hermite(xs, ds, h, ts)
    return finalize(ts, ys, np.zeros(ys.shape[0], dtype=int))
