"""Benchmark series for the reservoir computers, made with the ``chaos`` integrators.

* :func:`lorenz` -- Lorenz-63 trajectories sampled every ``dt`` (dysts' parameters by default;
  Gauthier et al. use beta = 8/3 instead of dysts' 2.667, pass ``params`` to match).
* :func:`mackey_glass` -- the Mackey-Glass delay equation dx/dt = beta x(t-tau) / (1 +
  x(t-tau)^n) - gamma x from dysts' catalogue, with the delay set to ``tau`` (17 by default,
  the usual chaotic benchmark; dysts' stored value is 16).
* :func:`direct_task` -- the pairs (x(t), x(t + horizon)) of a scalar series.
"""

from __future__ import annotations


import numpy as np

__all__ = ["lorenz", "lorenz_gauthier", "mackey_glass", "direct_task", "LORENZ_LYAPUNOV"]

LORENZ_LYAPUNOV = 0.9056  # largest Lyapunov exponent of Lorenz-63 at sigma=10, rho=28, beta=8/3 (Sprott)


def lorenz(n_points: int, dt: float, *, n_ics: int = 1, burn_in: float = 50.0, seed: int = 0,
           params: dict | None = None, ic_spread: float = 1.0) -> np.ndarray:
    """Lorenz-63 trajectories, shape (n_ics, n_points, 3), sampled every ``dt`` after ``burn_in``
    time units, from dysts' initial condition plus Gaussian noise of ``ic_spread`` (different
    per trajectory, reproducible from ``seed``). Integrated with Dopri8 at rtol = atol = 1e-10."""
    from chaos import systems
    from chaos.integrate import integrate

    if n_points < 2 or dt <= 0:
        raise ValueError(f"need n_points >= 2 and dt > 0, got n_points={n_points}, dt={dt}")
    system = systems.get("Lorenz")
    rng = np.random.default_rng(seed)
    ics = system.ic[None, :] + ic_spread * rng.standard_normal((n_ics, 3))
    ts = burn_in + dt * np.arange(n_points)
    traj = integrate(system, ics, ts, t0=0.0, params=params)
    if not traj.ok.all():
        raise RuntimeError(f"Lorenz integration failed: {traj.message}")
    return np.asarray(traj.ys)


GAUTHIER_IC = (17.67715816276679, 12.931379185960404, 43.91404334248268)


def lorenz_gauthier(maxtime: float, dt: float = 0.025, *, ic=GAUTHIER_IC) -> np.ndarray:
    """Lorenz-63 (sigma 10, rho 28, beta 8/3) as Gauthier et al. (2021) made it: SciPy's
    ``solve_ivp(method="RK23")`` at its default tolerances (rtol 1e-3, atol 1e-6), from their
    initial condition, sampled (dense output) every ``dt`` on [0, maxtime]; shape (T, 3).

    Their NG-RC recipe (raw data, k = 2, ridge 2.5e-6) works on this low-accuracy data (NRMSE
    ~1e-3 over one Lyapunov time); on the exactly integrated flow (rtol 1e-10) the same recipe on
    raw data diverges within a few steps, while on standardised data it works (``NGRCSpec``).
    """
    from scipy.integrate import solve_ivp

    def rhs(t, y):
        return [10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1], y[0] * y[1] - 8.0 / 3.0 * y[2]]

    n = int(round(maxtime / dt))
    sol = solve_ivp(rhs, (0.0, maxtime), list(ic), t_eval=np.linspace(0.0, maxtime, n + 1), method="RK23")
    return sol.y.T.copy()


def mackey_glass(n_points: int, *, tau: float = 17.0, dt: float = 1.0, burn_in: float = 1000.0,
                 x0: float = 1.2, max_step: float = 0.1) -> np.ndarray:
    """One Mackey-Glass series x(t), shape (n_points,), sampled every ``dt`` after ``burn_in``
    from the constant history x0; dysts' beta = 0.2, gamma = 0.1, n = 10 with delay ``tau``.

    RK4 with h = tau / ceil(tau / max_step) and Hermite interpolation of the history
    (:func:`chaos.delay.integrate_delay`, fourth order)."""
    from chaos import systems
    from chaos.delay import integrate_delay

    if n_points < 2 or dt <= 0 or tau <= 0:
        raise ValueError(f"need n_points >= 2, dt > 0, tau > 0; got {n_points}, {dt}, {tau}")
    system = systems.get("MackeyGlass")
    ts = burn_in + dt * np.arange(n_points)
    ics = np.full((1, system.dimension), x0)
    traj = integrate_delay(system, ics, ts, params={"tau": tau}, max_step=max_step, embedding=False)
    if not traj.ok.all():
        raise RuntimeError(f"Mackey-Glass integration failed: {traj.message}")
    return np.asarray(traj.ys[0, :, 0])


def direct_task(series: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x(t) (T - horizon, 1) and targets x(t + horizon) (T - horizon, 1) of a scalar series."""
    series = np.asarray(series, dtype=np.float64).reshape(-1)
    if not isinstance(horizon, (int, np.integer)) or horizon < 1 or horizon >= series.size - 1:
        raise ValueError(f"horizon must be an integer in [1, {series.size - 2}], got {horizon!r}")
    return series[:-horizon, None], series[horizon:, None]
