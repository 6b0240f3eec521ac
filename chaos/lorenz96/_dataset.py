"""The closure target and the training/evaluation data sets of the two-level model.

Closure target (per coarse step of length dt_c, the saving interval): with Phi the one-level
RK4 step of length dt_c without closure (:func:`coarse_step` with ``closure=None``),

    r(t) = (X(t + dt_c) - X(t)) / dt_c  -  (Phi(X(t)) - X(t)) / dt_c
         = (X(t + dt_c) - Phi(X(t))) / dt_c,

the resolved X tendency over the step (from the two-level run) minus the coarse model's
tendency over the same step. By construction the step-corrected coarse model
X_{n+1} = Phi(X_n) + dt_c r_n (:func:`coarse_step_with_correction`) reproduces the truth at
every coarse step (up to rounding). As dt_c -> 0, r -> the step mean of the exact coupling
U = -(h c / b) sum_j Y_{j,k}; for finite dt_c it also absorbs the RK4 error of the coarse
step and the part of the coupling's time variation within the step. A closure C(X) used
*inside* the RK4 stages (:func:`coarse_step`) with C(X_n) = r_n differs from the step-corrected
model by O(dt_c^2 |r| |df/dX|) per step (the stages see the correction through the Jacobian
of the one-level tendency). The MNO reference code (Lütjens et al. 2022) defines its target
the same way for an Euler coarse step: (RK4 mean tendency of the resolved run) - f(X(t)).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jaxtyping import Array, Float

from ._models import _check_dt, _two_level_run, check_steps, coarse_step
from ._params import L96Params

CLOSURE_TARGET_DEFINITION = (
    "(X(t+dt_c) - Phi(X(t)))/dt_c where Phi is one RK4 step of length dt_c of the one-level model "
    "dX_k/dt = X_{k-1}(X_{k+1}-X_{k-2}) - X_k + F without closure and X is the two-level truth; "
    "Phi(X_n) + dt_c*closure_target_n reproduces X_{n+1}"
)


def closure_target(xs: Float[Array, "... T K"], dt_coarse: float, forcing: float) -> Float[Array, "... Tm1 K"]:
    """The coarse-step closure target (module docstring) of consecutive states xs[..., t, :]
    spaced dt_coarse apart; shape (..., T-1, K), entry t belongs to the step t -> t+1."""
    _check_dt(dt_coarse)
    xs = jnp.asarray(xs)
    if xs.ndim < 2 or xs.shape[-2] < 2:
        raise ValueError(f"xs must have shape (..., T, K) with T >= 2 saved times, got {tuple(xs.shape)}")
    return (xs[..., 1:, :] - coarse_step(xs[..., :-1, :], dt_coarse, forcing)) / dt_coarse


def coarse_step_with_correction(x, dt, forcing: float, correction):
    """Phi(x) + dt * correction: the one-level RK4 step plus a correction added once per step
    (the form in which the closure target is exact)."""
    return coarse_step(x, dt, forcing) + dt * correction


def initial_conditions(p: L96Params, key: jax.Array, n_members: int, dtype=jnp.float64):
    """Random starting states X_k ~ F/2 + N(0, 1), Y_{j,k} ~ N(0, 0.1^2) (forgotten during
    spin-up). Returns x0 (n_members, K) and y0 (n_members, K*J) of ``dtype``."""
    if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 1:
        raise ValueError(f"n_members must be an int >= 1, got {n_members!r}")
    kx, ky = jax.random.split(key)
    x0 = p.F / 2 + jax.random.normal(kx, (n_members, p.K), dtype)
    y0 = 0.1 * jax.random.normal(ky, (n_members, p.K * p.J), dtype)
    return x0, y0


def make_dataset(
    p: L96Params,
    *,
    key: jax.Array,
    n_members: int,
    duration: float,
    dt: float = 0.005,
    save_every: int = 2,
    spinup: float = 10.0,
    save_y: bool = False,
    name: str = "",
    dtype=jnp.float64,
) -> xr.Dataset:
    """An ensemble of two-level runs as a Dataset (data contract without provenance; the
    stage adds it).

    Each member starts from :func:`initial_conditions`, is spun up for ``spinup`` MTU, then
    integrated for ``duration`` MTU with RK4 step ``dt``; states are saved every
    ``save_every`` steps, the coarse step dt_c = save_every * dt.

    Variables: X, U (exact coupling) and closure_target (member, time, k); Y (member, time,
    kj) if ``save_y``. T = round(duration / dt_c) saved times t = 0, dt_c, ...; the run
    goes one coarse step further so that closure_target is defined at every saved time.

    Raises:
        ValueError: bad sizes or times (before any integration).
        FloatingPointError: a member's state stopped being finite (names member and time).
    """
    check_steps(save_every, save_every)
    _check_dt(dt)
    for label, v, lo in (("duration", duration, 0.0), ("spinup", spinup, 0.0)):
        if not (np.isfinite(v) and v >= lo):
            raise ValueError(f"{label} must be a finite number >= {lo}, got {v!r}")
    dt_c = dt * save_every
    n_times = int(round(duration / dt_c))
    if n_times < 1:
        raise ValueError(f"duration ({duration}) must cover at least one coarse step (dt_c = {dt_c})")
    x0, y0 = initial_conditions(p, key, n_members, dtype)
    n_spin = int(round(spinup / dt))
    (x, y), _ = _two_level_run(p, x0, y0, dt, n_spin, max(n_spin, 1) if n_spin else 1, "x")
    fields = "xyu" if save_y else "xu"
    _, saved = _two_level_run(p, x, y, dt, n_times * save_every, save_every, fields)
    xs = saved[0]
    _check_finite(np.asarray(xs), dt_c)
    target = np.asarray(closure_target(xs, dt_c, p.F))
    xs, us = np.asarray(xs)[:, :-1], np.asarray(saved[-1])[:, :-1]
    time = np.arange(n_times) * dt_c
    dims = ("member", "time", "k")
    data = {
        "X": (dims, xs, {"units": "1", "long_name": "slow variable X_k"}),
        "U": (dims, us, {"units": "1 / model time unit",
                         "long_name": "exact coupling term U_k = -(h c / b) sum_j Y_{j,k}"}),
        "closure_target": (dims, target, {
            "units": "1 / model time unit",
            "long_name": "coarse-step closure target (X(t+dt_c) - Phi(X(t))) / dt_c",
            "definition": CLOSURE_TARGET_DEFINITION}),
    }
    coords = {
        "member": ("member", np.arange(n_members), {"units": "1", "long_name": "ensemble member"}),
        "time": ("time", time, {"units": "model time unit", "long_name": "time after spin-up"}),
        "k": ("k", np.arange(p.K), {"units": "1", "long_name": "slow variable index (periodic)"}),
    }
    if save_y:
        data["Y"] = (("member", "time", "kj"), np.asarray(saved[1])[:, :-1],
                     {"units": "1", "long_name": "fast variable Y_{j,k} at flat index k*J + j"})
        coords["kj"] = ("kj", np.arange(p.K * p.J),
                        {"units": "1", "long_name": "fast variable index k*J + j (one periodic ring)"})
    attrs = {f"param_{k}": v for k, v in dataclasses.asdict(p).items()}
    attrs.update(parameter_set=name, model="two-level Lorenz 96 (Lorenz 1996)", integrator="RK4",
                 dt=dt, dt_coarse=dt_c, save_every=save_every, spinup=spinup,
                 closure_target_definition=CLOSURE_TARGET_DEFINITION)
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _check_finite(xs: np.ndarray, dt_c: float) -> None:
    bad = ~np.isfinite(xs).all(axis=-1)  # (member, time)
    if bad.any():
        m, t = np.argwhere(bad)[0]
        raise FloatingPointError(
            f"two-level Lorenz 96 member {m} blew up (non-finite X) at t = {t * dt_c:.4g} MTU after spin-up; "
            "reduce dt (0.005 is stable for c = 10)")
