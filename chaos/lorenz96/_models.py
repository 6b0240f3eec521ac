"""Tendencies, the RK4 step and the jitted simulators of the one-, two- and three-level models.

All tendencies act on the last axis (the ring) and broadcast over leading axes, so a batch
of ensemble members ``(..., K)`` is stepped at once; the simulators are pure functions of
arrays (static sizes), so they also ``vmap``. Arrays keep the dtype they come in with
(float64 under the project's x64 default; float32 if given float32).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._params import L96Params, ThreeLevelParams

Closure = Callable[[Float[Array, " K"]], Float[Array, " K"]]


# --------------------------------------------------------------------------- tendencies
def advection(x: Float[Array, "... N"]) -> Float[Array, "... N"]:
    """The Lorenz 96 advection term x_{n-1} (x_{n+1} - x_{n-2}) on a periodic ring (last axis).

    Energy-conserving: sum_n x_n * advection(x)_n = 0 exactly (the sum telescopes).
    """
    return jnp.roll(x, 1, axis=-1) * (jnp.roll(x, -1, axis=-1) - jnp.roll(x, 2, axis=-1))


def _fast_advection(y: Float[Array, "... N"]) -> Float[Array, "... N"]:
    """y_{n+1} (y_{n+2} - y_{n-1}): the advection of the fast rings (reversed direction)."""
    return jnp.roll(y, -1, axis=-1) * (jnp.roll(y, -2, axis=-1) - jnp.roll(y, 1, axis=-1))


def one_level_tendency(x: Float[Array, "... K"], forcing: float) -> Float[Array, "... K"]:
    """dX_k/dt = X_{k-1}(X_{k+1} - X_{k-2}) - X_k + F, periodic in k. Shape (..., K) -> (..., K)."""
    return advection(x) - x + forcing


def coupling(y: Float[Array, "... KJ"], p: L96Params) -> Float[Array, "... K"]:
    """The exact coupling term U_k = -(h c / b) sum_j Y_{j,k}, with Y_{j,k} = y[..., k*J + j].

    Shape (..., K*J) -> (..., K).
    """
    return -p.coupling_coefficient * y.reshape(*y.shape[:-1], p.K, p.J).sum(axis=-1)


def two_level_tendency(
    x: Float[Array, "... K"], y: Float[Array, "... KJ"], p: L96Params
) -> tuple[Float[Array, "... K"], Float[Array, "... KJ"]]:
    """(dX/dt, dY/dt) of the two-level model (see :class:`L96Params`), shapes as the inputs."""
    dx = one_level_tendency(x, p.F) + coupling(y, p)
    dy = -p.c * p.b * _fast_advection(y) - p.c * y + p.coupling_coefficient * jnp.repeat(x, p.J, axis=-1)
    return dx, dy


def three_level_tendency(
    x: Float[Array, "... K"], y: Float[Array, "... KJ"], z: Float[Array, "... KJI"], p: ThreeLevelParams
) -> tuple[Float[Array, "... K"], Float[Array, "... KJ"], Float[Array, "... KJI"]]:
    """(dX/dt, dY/dt, dZ/dt) of the three-level model (see :class:`ThreeLevelParams`)."""
    dx, dy = two_level_tendency(x, y, p.two_level)
    zsum = z.reshape(*z.shape[:-1], p.K * p.J, p.I).sum(axis=-1)
    dy = dy - (p.h * p.e / p.d) * zsum
    dz = (p.e * p.d * advection(z) - p.g_z * p.e * z
          + (p.h * p.e / p.d) * jnp.repeat(y, p.I, axis=-1))
    return dx, dy, dz


# --------------------------------------------------------------------------- RK4
def rk4_step(tendency: Callable, state, dt):
    """One classical RK4 step of ``d state/dt = tendency(state)`` for any pytree ``state``."""
    add = lambda s, k, a: jax.tree.map(lambda si, ki: si + a * ki, s, k)  # noqa: E731
    k1 = tendency(state)
    k2 = tendency(add(state, k1, dt / 2))
    k3 = tendency(add(state, k2, dt / 2))
    k4 = tendency(add(state, k3, dt))
    return jax.tree.map(lambda s, a, b, c, d: s + dt / 6 * (a + 2 * b + 2 * c + d), state, k1, k2, k3, k4)


def _integrate(step, state, n_steps: int, save_every: int, observe):
    """Apply ``step`` n_steps times; return (final state, observe(state) at t = 0, s, 2s, ...
    steps) with time as the leading axis of every saved leaf."""
    def block(s, _):
        s = jax.lax.fori_loop(0, save_every, lambda i, s: step(s), s)
        return s, observe(s)

    final, saved = jax.lax.scan(block, state, None, length=n_steps // save_every)
    first = observe(state)
    saved = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b], axis=0), first, saved)
    return final, saved


def _time_second_last(a):
    """(T, ..., N) -> (..., T, N)."""
    return jnp.moveaxis(a, 0, -2)


def check_steps(n_steps, save_every) -> None:
    """One-line errors for bad step counts (before any compilation)."""
    for name, v, lo in (("n_steps", n_steps, 0), ("save_every", save_every, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
    if n_steps % save_every:
        raise ValueError(f"n_steps ({n_steps}) must be a multiple of save_every ({save_every})")


def _check_dt(dt) -> None:
    if isinstance(dt, (int, float)) and not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")


def _check_shape(name: str, a, n: int, what: str) -> None:
    if a.ndim < 1 or a.shape[-1] != n:
        raise ValueError(f"{name} must have shape (..., {n}) ({what}), got {tuple(a.shape)}")


# --------------------------------------------------------------------------- two-level
@partial(jax.jit, static_argnames=("p", "n_steps", "save_every", "fields"))
def _two_level_run(p, x0, y0, dt, n_steps, save_every, fields):
    step = lambda s: rk4_step(lambda t: two_level_tendency(*t, p), s, dt)  # noqa: E731
    observe = {
        "x": lambda s: (s[0],),
        "xy": lambda s: (s[0], s[1]),
        "xu": lambda s: (s[0], coupling(s[1], p)),
        "xyu": lambda s: (s[0], s[1], coupling(s[1], p)),
    }[fields]
    final, saved = _integrate(step, (x0, y0), n_steps, save_every, observe)
    return final, tuple(_time_second_last(a) for a in saved)


def simulate_two_level(
    p: L96Params,
    x0: Float[Array, "... K"],
    y0: Float[Array, "... KJ"],
    *,
    dt: float = 0.005,
    n_steps: int,
    save_every: int = 1,
    save_y: bool = True,
) -> tuple[Float[Array, "... T K"], Float[Array, "... T KJ"]]:
    """Integrate the two-level model with RK4 (fixed ``dt``, model time units).

    Args:
        x0, y0: initial states, shapes (..., K) and (..., K*J); leading axes (ensemble
            members) are integrated together.
        n_steps: RK4 steps; a multiple of ``save_every``.
        save_every: steps between saved states.
        save_y: save Y at every saved time; False keeps memory at one copy of Y (for large
            K*J) and returns the final Y instead, shape (..., K*J).

    Returns:
        xs: (..., T, K) with T = n_steps // save_every + 1, the states at
            t = 0, save_every*dt, ..., n_steps*dt (the initial state included);
        ys: (..., T, K*J) likewise, or the final Y if ``save_y`` is False.
    """
    check_steps(n_steps, save_every)
    _check_dt(dt)
    x0, y0 = jnp.asarray(x0), jnp.asarray(y0)
    _check_shape("x0", x0, p.K, "K slow variables")
    _check_shape("y0", y0, p.K * p.J, "K*J fast variables")
    if x0.shape[:-1] != y0.shape[:-1]:
        raise ValueError(f"x0 and y0 need the same leading (ensemble) shape, got {x0.shape[:-1]} and {y0.shape[:-1]}")
    if save_y:
        _, (xs, ys) = _two_level_run(p, x0, y0, dt, n_steps, save_every, "xy")
        return xs, ys
    (_, y_final), (xs,) = _two_level_run(p, x0, y0, dt, n_steps, save_every, "x")
    return xs, y_final


def spin_up(p: L96Params, x0, y0, *, dt: float = 0.005, duration: float) -> tuple[Array, Array]:
    """Integrate the two-level model for ``duration`` MTU (rounded to whole steps) and return
    the final (x, y); shapes as the inputs."""
    if not (np.isfinite(duration) and duration >= 0):
        raise ValueError(f"spin-up duration must be a finite number >= 0, got {duration!r}")
    n = int(round(duration / dt))
    (x, y), _ = _two_level_run(p, jnp.asarray(x0), jnp.asarray(y0), dt, n, 1 if n == 0 else n, "x")
    return x, y


# --------------------------------------------------------------------------- three-level
@partial(jax.jit, static_argnames=("p", "n_steps", "save_every", "save_all"))
def _three_level_run(p, x0, y0, z0, dt, n_steps, save_every, save_all):
    step = lambda s: rk4_step(lambda t: three_level_tendency(*t, p), s, dt)  # noqa: E731
    observe = (lambda s: s) if save_all else (lambda s: (s[0],))
    final, saved = _integrate(step, (x0, y0, z0), n_steps, save_every, observe)
    return final, tuple(_time_second_last(a) for a in saved)


def simulate_three_level(
    p: ThreeLevelParams,
    x0: Float[Array, "... K"],
    y0: Float[Array, "... KJ"],
    z0: Float[Array, "... KJI"],
    *,
    dt: float = 0.005,
    n_steps: int,
    save_every: int = 1,
    save_fast: bool = True,
):
    """Integrate the three-level model with RK4 (default dt 0.005 as in Thornes et al.'s code;
    the thornes2017 set blows up at dt >= 0.012).

    Returns ``(xs, ys, zs)`` with shapes (..., T, K), (..., T, K*J), (..., T, K*J*I) and
    T = n_steps // save_every + 1 (initial state included); with ``save_fast=False`` ys and
    zs are the final fast states (..., K*J) and (..., K*J*I).
    """
    check_steps(n_steps, save_every)
    _check_dt(dt)
    x0, y0, z0 = jnp.asarray(x0), jnp.asarray(y0), jnp.asarray(z0)
    _check_shape("x0", x0, p.K, "K slow variables")
    _check_shape("y0", y0, p.K * p.J, "K*J fast variables")
    _check_shape("z0", z0, p.K * p.J * p.I, "K*J*I fastest variables")
    if save_fast:
        _, saved = _three_level_run(p, x0, y0, z0, dt, n_steps, save_every, True)
        return saved
    (_, y, z), (xs,) = _three_level_run(p, x0, y0, z0, dt, n_steps, save_every, False)
    return xs, y, z


# --------------------------------------------------------------------------- coarse model
def _apply_closure(closure: Closure | None, x):
    if closure is None:
        return jnp.zeros_like(x)
    flat = x.reshape(-1, x.shape[-1])
    out = jax.vmap(closure)(flat) if x.ndim > 1 else closure(x)
    return jnp.asarray(out).astype(x.dtype).reshape(x.shape)


def coarse_step(x: Float[Array, "... K"], dt, forcing: float, closure: Closure | None = None) -> Float[Array, "... K"]:
    """One RK4 step of the coarse (one-level) model with a closure:

        dX/dt = X_{k-1}(X_{k+1} - X_{k-2}) - X_k + F + closure(X),

    the closure evaluated at each of the four RK stages (plain RK4 on the closed tendency).
    ``closure`` maps one state (K,) to a tendency correction (K,) (callers' batches are
    vmapped over); None is no closure. The closure's output is cast to x's dtype.
    """
    return rk4_step(lambda s: one_level_tendency(s, forcing) + _apply_closure(closure, s), x, dt)


@eqx.filter_jit
def _coarse_run(x0, closure, dt, forcing, n_steps, save_every):
    step = lambda s: coarse_step(s, dt, forcing, closure)  # noqa: E731
    _, (xs,) = _integrate(step, x0, n_steps, save_every, lambda s: (s,))
    return _time_second_last(xs)


def simulate_coarse(
    x0: Float[Array, "... K"],
    closure: Closure | None = None,
    *,
    dt: float,
    n_steps: int,
    forcing: float,
    save_every: int = 1,
) -> Float[Array, "... T K"]:
    """Integrate the coarse model (see :func:`coarse_step`) from x0 (..., K); returns the states
    at t = 0, save_every*dt, ..., n_steps*dt, shape (..., T, K), T = n_steps // save_every + 1.

    ``closure`` is any callable (K,) -> (K,), e.g. an ``eqx.Module``; arrays inside it are
    traced (a new closure of the same structure does not recompile).
    """
    check_steps(n_steps, save_every)
    _check_dt(dt)
    x0 = jnp.asarray(x0)
    if x0.ndim < 1 or x0.shape[-1] < 4:
        raise ValueError(f"x0 must have shape (..., K) with K >= 4, got {tuple(x0.shape)}")
    return _coarse_run(x0, closure, jnp.asarray(dt, x0.dtype), jnp.asarray(forcing, x0.dtype), n_steps, save_every)


def simulate_one_level(x0, *, forcing: float, dt: float = 0.005, n_steps: int, save_every: int = 1):
    """The one-level model alone (no closure): ``simulate_coarse(x0, None, ...)``."""
    return simulate_coarse(x0, None, dt=dt, n_steps=n_steps, forcing=forcing, save_every=save_every)
