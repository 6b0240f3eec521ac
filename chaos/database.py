"""The chaotic systems database: trajectories of one system as a data-contract Dataset.

One call of :func:`generate` makes every trajectory of one system, batched (vmap over
initial conditions); the pipeline stage maps it over systems, in this process or on a Dask
cluster. Random numbers come from a key folded with the system's name, so a system's data
do not depend on which other systems ran, in which order, or where.
"""

from __future__ import annotations

import json
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from typing import Literal

import jax
import numpy as np
import xarray as xr

from . import delay as delay_mod
from . import integrate as integrate_mod
from .systems import System

Timescale = Literal["Fourier", "Lyapunov"]


@dataclass(frozen=True)
class TrajectorySpec:
    """How the trajectories of each system are made.

    Times are in units of the system's timescale (dysts' dominant period for "Fourier", its
    Lyapunov time for "Lyapunov"); ``pts_per_period`` points are saved per such unit.
    """

    n_ics: int = field(default=4, metadata={"min": 1})
    n_periods: float = field(default=20.0, metadata={"min": 0.01})
    pts_per_period: int = field(default=100, metadata={"min": 2})
    timescale: str = field(default="Fourier", metadata={"choices": ("Fourier", "Lyapunov")})
    burn_in_periods: float = field(default=10.0, metadata={"min": 0.0})
    ic_spread: float = field(default=0.1, metadata={"min": 0.0})
    rtol: float = field(default=1e-10, metadata={"min": 1e-15, "max": 1e-2})
    atol: float = field(default=1e-10, metadata={"min": 1e-15, "max": 1e-2})
    postprocess: bool = True
    standardize: bool = False
    observation_noise: float = field(default=0.0, metadata={"min": 0.0})
    stochastic_forcing: float = field(default=0.0, metadata={"min": 0.0})
    max_steps: int = field(default=2_000_000, metadata={"min": 100})

    def n_points(self) -> int:
        return int(round(self.n_periods * self.pts_per_period))


def system_key(seed: int, name: str) -> jax.Array:
    """The PRNG key of one system: independent of every other system's."""
    return jax.random.fold_in(jax.random.key(seed), zlib.crc32(name.encode()))


def initial_conditions(system: System, n: int, spread: float, key: jax.Array) -> np.ndarray:
    """dysts' initial condition plus Gaussian perturbations of ``spread`` times the stored
    standard deviation of each coordinate, shape (n, D); the first is dysts' own."""
    std = np.asarray(system.meta.get("std", np.ones(system.dimension)), dtype=np.float64)
    noise = np.array(jax.random.normal(key, (n, system.dimension), dtype=np.float64))
    noise[0] = 0.0
    return system.ic[None, :] + spread * std[None, :] * noise


def _integrate(system: System, spec: TrajectorySpec, ics, ts, t0, key):
    if system.kind == "delay":
        if spec.stochastic_forcing > 0:
            raise ValueError(f"{system.name}: stochastic forcing of delay systems is not supported")
        return delay_mod.integrate_delay(system, ics, ts)
    if spec.stochastic_forcing > 0:
        std = np.asarray(system.meta.get("std", np.ones(system.dimension)))
        return integrate_mod.integrate_sde(
            system, ics, ts, key, noise=spec.stochastic_forcing * std, t0=t0
        )
    return integrate_mod.integrate(
        system, ics, ts, rtol=spec.rtol, atol=spec.atol, max_steps=spec.max_steps, t0=t0
    )


def generate(system: System, spec: TrajectorySpec, seed: int) -> xr.Dataset:
    """All trajectories of one system, as a Dataset with variable ``x(ic, time, dim)``.

    Failed trajectories (blow-up, NaN, solver failure) stay in the file as NaN from the
    failure on, are flagged by ``valid(ic)``, and are described in the ``failures`` attr
    (system, initial condition, time, reason); the other trajectories are kept.
    """
    k_ic, k_sde, k_obs = jax.random.split(system_key(seed, system.name), 3)
    unit = system.timescale(spec.timescale)
    dt_save = unit / spec.pts_per_period
    burn = spec.burn_in_periods * unit
    n = spec.n_points()
    ts = burn + dt_save * np.arange(n)
    ics = initial_conditions(system, spec.n_ics, spec.ic_spread, k_ic)
    traj = _integrate(system, spec, ics, ts, 0.0, k_sde)
    ys = traj.ys
    if spec.postprocess:
        ys = np.asarray(system.postprocess(ys))
    with warnings.catch_warnings():  # all-NaN trajectories (failures) give NaN statistics
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(ys, axis=1)
        std = np.nanstd(ys, axis=1)
    if spec.standardize:
        ys = (ys - mean[:, None]) / np.where(std > 0, std, 1.0)[:, None]
    if spec.observation_noise > 0:
        scale = np.ones_like(std) if spec.standardize else std
        eps = np.asarray(jax.random.normal(k_obs, ys.shape, dtype=np.float64))
        ys = ys + spec.observation_noise * scale[:, None, :] * eps

    failures = [
        {"system": system.name, "ic": int(b), "time": float(traj.failed_at[b] - burn),
         "reason": traj.message[b] + (" (already during burn-in)" if traj.failed_at[b] <= ts[0] else "")}
        for b in np.flatnonzero(~traj.ok)
    ]
    x_units = "1" if spec.standardize else "1 (system units)"
    ds = xr.Dataset(
        {
            "x": (("ic", "time", "dim"), ys, {"long_name": f"{system.name} state", "units": x_units}),
            "x0": (("ic", "dim"), ics, {"long_name": "initial condition (before burn-in)", "units": "1 (system units)"}),
            "valid": ("ic", traj.ok, {"long_name": "trajectory finished without blow-up or solver failure", "units": "1"}),
            "x_mean": (("ic", "dim"), mean, {"long_name": "time mean of x before standardisation and noise", "units": "1 (system units)"}),
            "x_std": (("ic", "dim"), std, {"long_name": "time standard deviation of x before standardisation and noise", "units": "1 (system units)"}),
        },
        coords={
            "ic": ("ic", np.arange(spec.n_ics), {"long_name": "initial condition index", "units": "1"}),
            "time": ("time", ts - burn, {"long_name": "time after burn-in", "units": "system time units"}),
            "dim": ("dim", np.arange(system.dimension), {"long_name": "coordinate index", "units": "1"}),
        },
        attrs=system_attrs(system) | {
            "spec": json.dumps(asdict(spec)),
            "seed": seed,
            "dt_save": dt_save,
            "burn_in": burn,
            "failures": json.dumps(failures),
        },
    )
    return ds


def system_attrs(system: System) -> dict:
    """dysts' metadata as NetCDF-friendly attrs (lists as arrays, dicts as JSON)."""
    meta = system.meta
    attrs = {
        "system": system.name,
        "kind": system.kind,
        "rhs_source": system.source,
        "parameters": json.dumps({k: np.asarray(v).tolist() for k, v in system.params.items()}),
        "initial_condition_dysts": np.asarray(system.ic),
    }
    for key in ("dt", "period", "maximum_lyapunov_estimated", "correlation_dimension",
                "kaplan_yorke_dimension", "pesin_entropy", "multiscale_entropy"):
        if meta.get(key) is not None:
            attrs[key] = float(meta[key])
    for key in ("lyapunov_spectrum_estimated", "unbounded_indices"):
        if meta.get(key) is not None:
            attrs[key] = np.asarray(meta[key])
    for key in ("citation", "description", "bifurcation_parameter"):
        if meta.get(key):
            attrs[key] = str(meta[key])
    for key in ("nonautonomous", "hamiltonian", "delay"):
        attrs[key] = int(bool(meta.get(key)))
    return attrs
