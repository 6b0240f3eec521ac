"""Batched integration of chaotic flows with diffrax: many initial conditions and parameter
sets at once, adaptive steps, seeded stochastic forcing.

All functions take and return arrays with the batch first: initial conditions ``(B, D)``,
save times ``(T,)``, trajectories ``(B, T, D)``. Compiled solvers are cached per system and
options, so a second call with new initial conditions, times or tolerances does not compile
again (and JAX's persistent cache, set up by the pipelines, keeps them across processes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .systems import Params, System


@dataclass(frozen=True)
class Trajectories:
    """Integrated trajectories and their health.

    Attributes:
        ts: save times, shape (T,), in the system's time units.
        ys: states, shape (B, T, D); NaN after a failure.
        ok: shape (B,), True where the whole trajectory is finite and the solver succeeded.
        failed_at: shape (B,), the first save time that is not finite (NaN where ``ok``).
        message: shape (B,), the solver's outcome in words ("" where ``ok``).
    """

    ts: np.ndarray
    ys: np.ndarray
    ok: np.ndarray
    failed_at: np.ndarray
    message: tuple[str, ...]


_RESULT_TEXT = {
    int(diffrax.RESULTS.max_steps_reached._value): "the maximum number of solver steps was "
    "reached (increase max_steps, or the trajectory diverged)",
}


def finalize(ts, ys, results) -> Trajectories:
    """Mark failures: a trajectory fails if the solver did not succeed or any value is not
    finite; values from the first bad save time on are set to NaN."""
    ts = np.asarray(ts)
    ys = np.array(ys)
    results = np.asarray(results)
    finite = np.all(np.isfinite(ys), axis=-1)  # (B, T)
    ok = finite.all(axis=1) & (results == 0)
    first_bad = np.where(finite.all(axis=1), ts.size, np.argmin(finite, axis=1))
    failed_at = np.full(ys.shape[0], np.nan)
    messages = []
    for b in range(ys.shape[0]):
        if ok[b]:
            messages.append("")
            continue
        idx = min(int(first_bad[b]), ts.size - 1)
        failed_at[b] = ts[idx]
        ys[b, idx:] = np.nan
        if results[b] != 0:
            messages.append(_RESULT_TEXT.get(int(results[b]), f"solver stopped (code {int(results[b])})"))
        else:
            messages.append("the state became NaN or infinite (the trajectory blew up)")
    return Trajectories(ts, ys, ok, failed_at, tuple(messages))


def split_params(system: System, params: Params | None, batch_params: bool, batch: int):
    """(fixed, batched) parameter dicts as float64 arrays: with ``batch_params`` the
    overrides carry a leading axis of length ``batch`` (one set per initial condition) and
    the remaining defaults are shared; without it everything is shared."""
    as_array = lambda v: jnp.asarray(v, dtype=jnp.float64)  # noqa: E731
    resolved = system.resolve_params(params)
    if not batch_params:
        return {k: as_array(v) for k, v in resolved.items()}, {}
    batched = {k: as_array(v) for k, v in (params or {}).items()}
    for k, v in batched.items():
        if v.ndim == 0 or v.shape[0] != batch:
            raise ValueError(
                f"with batch_params, parameter {k!r} needs a leading axis of length {batch} "
                f"(one value per initial condition), got shape {v.shape}"
            )
    fixed = {k: as_array(v) for k, v in resolved.items() if k not in batched}
    return fixed, batched


@lru_cache(maxsize=None)
def _ode_solver(system: System, solver: diffrax.AbstractSolver, max_steps: int, batch_params: bool):
    term = diffrax.ODETerm(lambda t, y, p: system.rhs(y, t, p))

    def one(y0, t0, ts, fixed, batched, rtol, atol, dt0):
        sol = diffrax.diffeqsolve(
            term, solver, t0, ts[-1], dt0, y0, args={**fixed, **batched},
            saveat=diffrax.SaveAt(ts=ts),
            stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
            max_steps=max_steps, throw=False,
        )
        return sol.ys, sol.result._value, sol.stats["num_steps"]

    in_axes = (0, None, None, None, 0 if batch_params else None, None, None, None)
    return jax.jit(jax.vmap(one, in_axes=in_axes))


def integrate(
    system: System,
    ics: Float[Array, "B D"],
    ts: Float[Array, " T"],
    *,
    params: Params | None = None,
    batch_params: bool = False,
    rtol: float = 1e-10,
    atol: float = 1e-10,
    solver: diffrax.AbstractSolver | None = None,
    dt0: float | None = None,
    max_steps: int = 1_000_000,
    t0: float | None = None,
) -> Trajectories:
    """Integrate a flow from each initial condition at time ``t0`` (default ``ts[0]``),
    saving at ``ts``.

    Args:
        system: a flow (``system.kind == "ode"``); delay systems go through
            :func:`chaos.delay.integrate_delay`.
        ics: initial conditions, shape (B, D).
        ts: increasing save times, shape (T,), T >= 2.
        params: parameter overrides by name; with ``batch_params`` every value carries a
            leading axis of length B (one parameter set per initial condition).
        rtol, atol: tolerances of the adaptive step-size controller.
        solver: a diffrax solver; default ``diffrax.Dopri8()`` (8th order, as scipy's DOP853).
        dt0: first step; default dysts' ``dt`` for the system.
        max_steps: per trajectory.
    """
    if system.kind != "ode":
        raise ValueError(f"{system.name} is a {system.kind} system; use chaos.delay.integrate_delay")
    ics = jnp.asarray(ics, dtype=jnp.float64)
    ts = jnp.asarray(ts, dtype=jnp.float64)
    if ics.ndim != 2 or ics.shape[1] != system.dimension:
        raise ValueError(f"ics must have shape (B, {system.dimension}) for {system.name}, got {ics.shape}")
    if ts.ndim != 1 or ts.size < 2:
        raise ValueError(f"ts must be a 1-D array of at least 2 times, got shape {ts.shape}")
    fixed, batched = split_params(system, params, batch_params, ics.shape[0])
    solve = _ode_solver(system, solver or diffrax.Dopri8(), max_steps, batch_params)
    start = ts[0] if t0 is None else jnp.float64(t0)
    ys, results, _ = solve(ics, start, ts, fixed, batched, rtol, atol, system.dt if dt0 is None else dt0)
    return finalize(ts, ys, results)


@lru_cache(maxsize=None)
def _sde_solver(system: System, dt: float, max_steps: int, batch_params: bool):
    def one(y0, key, t0, ts, fixed, batched, sigma):
        brownian = diffrax.VirtualBrownianTree(t0, ts[-1], tol=dt / 2, shape=y0.shape, key=key)
        terms = diffrax.MultiTerm(
            diffrax.ODETerm(lambda t, y, p: system.rhs(y, t, p)),
            diffrax.ControlTerm(lambda t, y, p: jnp.diag(sigma), brownian),
        )
        sol = diffrax.diffeqsolve(
            terms, diffrax.Heun(), t0, ts[-1], dt, y0, args={**fixed, **batched},
            saveat=diffrax.SaveAt(ts=ts), max_steps=max_steps, throw=False,
        )
        return sol.ys, sol.result._value

    in_axes = (0, 0, None, None, None, 0 if batch_params else None, None)
    return jax.jit(jax.vmap(one, in_axes=in_axes))


def integrate_sde(
    system: System,
    ics: Float[Array, "B D"],
    ts: Float[Array, " T"],
    key: jax.Array,
    *,
    noise: float | Float[Array, " D"],
    dt: float | None = None,
    params: Params | None = None,
    batch_params: bool = False,
    t0: float | None = None,
) -> Trajectories:
    """Integrate dx = f(x, t) dt + diag(noise) dW (additive noise, so Ito and Stratonovich
    agree) with Heun's method at the fixed step ``dt`` (default: dysts' ``dt``), one
    independent Brownian path per initial condition, drawn from ``key``.

    ``noise`` is the diffusion amplitude per coordinate, in state units per sqrt(time).
    """
    ics = jnp.asarray(ics, dtype=jnp.float64)
    ts = jnp.asarray(ts, dtype=jnp.float64)
    sigma = jnp.broadcast_to(jnp.asarray(noise, dtype=jnp.float64), (system.dimension,))
    fixed, batched = split_params(system, params, batch_params, ics.shape[0])
    keys = jax.random.split(key, ics.shape[0])
    dt = float(system.dt if dt is None else dt)
    start = ts[0] if t0 is None else jnp.float64(t0)
    n_steps = int(np.ceil(float(ts[-1] - start) / dt)) + 1
    max_steps = 1 << max(n_steps - 1, 1).bit_length()  # a power of two: few recompiles
    solve = _sde_solver(system, dt, max_steps, batch_params)
    ys, results = solve(ics, keys, start, ts, fixed, batched, sigma)
    return finalize(ts, ys, results)


