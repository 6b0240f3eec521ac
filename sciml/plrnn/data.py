"""Training and test series for dynamical-systems reconstruction, from the chaos package.

:func:`system_series` integrates a system afresh with :func:`chaos.database.generate`
(standardised per trajectory, observation noise ``noise`` times the standard deviation, i.e.
5 % for ``noise = 0.05``): the training series is trajectory 0 with noise, the test series
trajectory 1 (another initial condition) without noise, as in the reference's Lorenz-63 data
(100 000 points at dt = 0.01, standardised, 5 % observation noise on the training set only).
For Lorenz (dominant period 1.5008) ``pts_per_period = 150`` gives dt = 0.0100.

:func:`database_series` reads a system's trajectories from a chaos database file
(``data/chaos/<profile>.nc``) instead, standardised by the training trajectory's statistics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["database_series", "system_series"]


def system_series(
    name: str,
    *,
    n_points: int = 100_000,
    pts_per_period: int = 150,
    noise: float = 0.05,
    burn_in_periods: float = 10.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """``(train, test, dt)``: two standardised trajectories of ``n_points`` points (T, N) of system ``name``
    (training with observation noise ``noise``, test clean) and their sampling interval (system time units)."""
    from chaos import database, systems

    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    system = systems.get(name)
    period = system.timescale("Fourier")
    common = dict(n_ics=2, n_periods=n_points / pts_per_period, pts_per_period=pts_per_period,
                  burn_in_periods=burn_in_periods, standardize=True,
                  max_steps=max(2_000_000, 100 * n_points))
    noisy = database.generate(system, database.TrajectorySpec(observation_noise=noise, **common), seed)
    clean = noisy if noise == 0 else database.generate(system, database.TrajectorySpec(**common), seed)
    for ds in (noisy, clean):
        if not bool(ds["valid"].all()):
            raise RuntimeError(f"{name}: integration failed: {ds.attrs['failures']}")
    train = np.asarray(noisy["x"].isel(ic=0).values, np.float32)
    test = np.asarray(clean["x"].isel(ic=1).values, np.float32)
    return train, test, float(period / pts_per_period)


def database_series(
    path: str | Path, system: str, *, train_ic: int = 0, test_ic: int = 1, standardize: bool = True
) -> tuple[np.ndarray, np.ndarray, float]:
    """``(train, test, dt)`` from the chaos database file ``path``: trajectories ``train_ic`` and ``test_ic`` of
    ``system`` (T, N), both standardised with the training trajectory's mean and standard deviation."""
    from pipelines.contract import open_datatree

    tree = open_datatree(path)
    if system not in tree.children:
        raise ValueError(f"system {system!r} is not in {path}; it has {len(tree.children)} systems, e.g. "
                         f"{', '.join(sorted(tree.children)[:8])}")
    ds = tree[system].to_dataset()
    n_ics = ds.sizes["ic"]
    for label, ic in (("train_ic", train_ic), ("test_ic", test_ic)):
        if not 0 <= ic < n_ics:
            raise ValueError(f"{label}={ic} is out of range: {system} in {path} has initial conditions 0..{n_ics - 1}")
        if not bool(ds["valid"].values[ic]):
            raise ValueError(f"{label}={ic}: trajectory {ic} of {system} in {path} failed during integration")
    x = np.asarray(ds["x"].values, np.float64)
    train, test = x[train_ic], x[test_ic]
    if standardize:
        mean, std = train.mean(axis=0), train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        train, test = (train - mean) / std, (test - mean) / std
    dt = float(ds["time"].values[1] - ds["time"].values[0])
    return train.astype(np.float32), test.astype(np.float32), dt
