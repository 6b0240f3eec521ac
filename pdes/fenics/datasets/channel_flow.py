"""The channel-flow data set: unsteady incompressible flow past 1-3 circular obstacles in the DFG
benchmark channel [0, 2.2] x [0, 0.41] m (Schaefer & Turek 1996), nu = 1e-3 m^2/s, density 1.

Each sample draws the obstacles (non-overlapping, clear of the walls, the inlet and each other)
and a Reynolds number Re = U_mean D / nu, log-uniform in [20, 200] with D the largest obstacle's
diameter and U_mean = 2/3 of the parabolic inflow's peak: steady wakes at the low end, vortex
shedding (DFG 2D-2 is Re = 100) at the high end. The flow starts from rest with the inflow
ramped up over the first tenth of the horizon; the horizon is a number of flow-through times
length / U_mean, and the time step keeps the CFL number u_max dt / h_min fixed, so every sample
takes about the same number of steps whatever its speed.

Solved by the worker's ``channel_flow`` (IPCS, Taylor-Hood P2/P1, see
``pdes/fenics/worker/solvers/channel.py``); kept: u (m/s) and the kinematic pressure p (m^2/s^2)
at the P1 mesh nodes at ``n_out`` evenly spaced times, the drag and lift coefficients of each
obstacle, and the outflow (mass balance) and div u diagnostics.

Profiles (CFL 0.5 at the inflow peak and h_min): ``quick`` is a coarse mesh (cells 0.02 m at
the obstacles, 0.08 m far; 400-600 nodes) over half a flow-through (170 steps; 1.5-3 s a sample
on 2 cores), 10 outputs; ``full`` is DFG 2D-3-like resolution (0.008 m at the obstacles, r/4 to
r/8, 0.04 m far; 1,800-2,700 nodes, 15,000-21,000 velocity dofs) over 3 flow-throughs (2,520
steps, time for a periodic wake to form; 1-2.5 min a sample), 60 outputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ._dataset import FenicsDataset, node_dataset

LENGTH, HEIGHT = 2.2, 0.41  # m, the DFG channel
NU = 1e-3  # m^2/s
CLEARANCE = 0.03  # m: least gap between obstacles, walls and the inlet
X_RANGE = (0.15, 1.1)  # m: obstacle centres, leaving room for the wake

# DFG 2D-1 (steady, Re = 20): Schaefer & Turek (1996), reference values of John (2004)
DFG_2D1 = {"obstacle": (0.2, 0.2, 0.05), "u_max": 0.3, "drag": 5.57953523384, "lift": 0.010618948146}


def draw_obstacles(rng: np.random.Generator, n: int, radius: tuple[float, float],
                   max_tries: int = 10_000) -> list[list[float]]:
    """``n`` disks [x, y, r] in the channel, r uniform in ``radius``, at least ``CLEARANCE``
    apart and from the walls, centres in ``X_RANGE``; sorted by x."""
    placed: list[list[float]] = []
    for _ in range(max_tries):
        if len(placed) == n:
            return sorted(placed)
        r = rng.uniform(*radius)
        x = rng.uniform(*X_RANGE)
        y = rng.uniform(r + CLEARANCE, HEIGHT - r - CLEARANCE)
        if all(math.hypot(x - px, y - py) >= r + pr + CLEARANCE for px, py, pr in placed):
            placed.append([x, y, r])
    raise RuntimeError(f"could not place {n} obstacles of radius {radius} in {max_tries} tries")


def flow_params(obstacles, u_max: float, *, h_min: float, h_max: float, cfl: float,
                t_end: float, n_out: int, t_ramp: float = 0.0, nu: float = NU) -> dict:
    """Solver params: the time step is the largest with u_max dt / h_min <= cfl that divides
    ``t_end`` into a multiple of ``n_out`` steps."""
    n_steps = n_out * math.ceil(t_end * u_max / (cfl * h_min * n_out))
    return {"length": LENGTH, "height": HEIGHT, "obstacles": [list(map(float, ob)) for ob in obstacles],
            "u_max": float(u_max), "nu": float(nu), "h_min": float(h_min), "h_max": float(h_max),
            "mesh_order": 2, "dt": t_end / n_steps, "n_steps": n_steps, "n_out": int(n_out),
            "t_ramp": float(t_ramp)}


def draw(rng: np.random.Generator, options: Mapping[str, Any]) -> dict:
    n = int(rng.integers(options["n_obstacles"][0], options["n_obstacles"][1] + 1))
    obstacles = draw_obstacles(rng, n, tuple(options["radius"]))
    lo, hi = options["reynolds"]
    reynolds = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    diameter = 2 * max(r for _, _, r in obstacles)
    u_mean = reynolds * NU / diameter
    t_end = float(options["flow_throughs"]) * LENGTH / u_mean
    params = flow_params(obstacles, 1.5 * u_mean, h_min=options["h_min"], h_max=options["h_max"],
                         cfl=options["cfl"], t_end=t_end, n_out=options["n_out"],
                         t_ramp=options["ramp"] * t_end)
    return {**params, "reynolds": reynolds}


def force_coefficients(result: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> np.ndarray:
    """(n_time, n_obstacles, 2) drag and lift coefficients 2 F / (U_mean^2 D) (density 1)."""
    radii = np.asarray(params["obstacles"], float).reshape(-1, 3)[:, 2]
    u_mean = 2.0 / 3.0 * float(params["u_max"])
    return 2.0 * np.asarray(result["force"]) / (u_mean**2 * 2 * radii[None, :, None])


def to_xarray(result: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> xr.Dataset:
    obstacles = np.asarray(params["obstacles"], float).reshape(-1, 3)
    ds = node_dataset(
        result["coords"], result["cells"],
        {"u": (result["u"], "m s-1", "flow velocity (x, y components)"),
         "p": (result["p"], "m2 s-2", "kinematic pressure (pressure / density)")},
        params, time=result["time"],
        scalars={"inflow": (result["inflow"], "m2 s-1", "volume flux through the inlet per unit depth"),
                 "h_min_mesh": (result["h_min_mesh"], "m", "shortest cell diameter"),
                 "cfl": (result["cfl"], "1", "CFL number u_max dt / h_min_mesh"),
                 "reynolds": (params["reynolds"], "1", "Reynolds number U_mean D / nu (largest obstacle)"),
                 "nu": (params["nu"], "m2 s-1", "kinematic viscosity")},
    )
    coef = force_coefficients(result, params)
    ds = ds.assign_coords(obstacle=("obstacle", np.arange(len(obstacles)),
                                    {"units": "1", "long_name": "obstacle index"}))
    return ds.assign(
        obstacle_x=("obstacle", obstacles[:, 0], {"units": "m", "long_name": "obstacle centre x"}),
        obstacle_y=("obstacle", obstacles[:, 1], {"units": "m", "long_name": "obstacle centre y"}),
        obstacle_radius=("obstacle", obstacles[:, 2], {"units": "m", "long_name": "obstacle radius"}),
        drag_coefficient=(("time", "obstacle"), coef[..., 0],
                          {"units": "1", "long_name": "drag coefficient 2 F_x / (U_mean^2 D)"}),
        lift_coefficient=(("time", "obstacle"), coef[..., 1],
                          {"units": "1", "long_name": "lift coefficient 2 F_y / (U_mean^2 D)"}),
        outflow=("time", result["outflow"],
                 {"units": "m2 s-1", "long_name": "volume flux through the outlet per unit depth"}),
        div_l2=("time", result["div_l2"], {"units": "m s-1", "long_name": "L2 norm of div u over the domain"}),
    )


def dfg_2d1(*, h_min: float = 0.015, h_max: float = 0.06, cfl: float = 0.4, t_end: float = 4.0,
            solve=None) -> dict[str, float]:
    """The DFG 2D-1 benchmark (steady, Re = 20: cylinder r = 0.05 at (0.2, 0.2), U_max = 0.3) run
    to ``t_end`` s; returns the final ``drag`` and ``lift`` coefficients, their relative errors
    against the reference, the mass balance ``outflow / inflow - 1``, ``div_rms`` (RMS of div u,
    1/s), ``nodes``, ``steps`` and ``seconds``. ``solve`` defaults to :func:`runner.solve`."""
    if solve is None:
        from pdes.fenics.runner import solve
    params = flow_params([DFG_2D1["obstacle"]], DFG_2D1["u_max"], h_min=h_min, h_max=h_max, cfl=cfl,
                         t_end=t_end, n_out=1)
    out = solve("channel_flow", params)
    drag, lift = force_coefficients(out, params)[-1, 0]
    area = LENGTH * HEIGHT - math.pi * DFG_2D1["obstacle"][2] ** 2
    return {"drag": float(drag), "lift": float(lift),
            "drag_rel_error": float(drag / DFG_2D1["drag"] - 1), "lift_rel_error": float(lift / DFG_2D1["lift"] - 1),
            "mass_balance": float(out["outflow"][-1] / out["inflow"] - 1),
            "div_rms": float(out["div_l2"][-1] / math.sqrt(area)),
            "nodes": int(len(out["coords"])), "steps": params["n_steps"], "seconds": float(out["seconds"])}


DATASET = FenicsDataset(
    name="channel_flow",
    solver="channel_flow",
    description="unsteady Navier-Stokes past 1-3 random cylinders in the DFG channel, Re 20-200 (IPCS, P2/P1)",
    draw=draw,
    to_xarray=to_xarray,
    options={
        "quick": {"n_obstacles": (1, 3), "radius": (0.03, 0.06), "reynolds": (20.0, 200.0),
                  "h_min": 0.02, "h_max": 0.08, "cfl": 0.5, "flow_throughs": 0.5, "n_out": 10, "ramp": 0.1},
        "full": {"n_obstacles": (1, 3), "radius": (0.03, 0.06), "reynolds": (20.0, 200.0),
                 "h_min": 0.008, "h_max": 0.04, "cfl": 0.5, "flow_throughs": 3.0, "n_out": 60, "ramp": 0.1},
    },
)
