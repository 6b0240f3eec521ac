"""Checks of the JAX systems against dysts itself, one system at a time (the verify stage
maps them over the catalogue and writes the table).

- :func:`agreement`: our trajectory against dysts' ``make_trajectory`` from dysts' initial
  condition at the same tolerance, over the first Lyapunov time.
- :func:`lyapunov_row`: our QR spectrum beside dysts' stored estimate.
"""

from __future__ import annotations

import re
import time
import warnings

import numpy as np

from . import systems
from .delay import integrate_delay
from .integrate import integrate
from .lyapunov import largest_lyapunov_two_trajectories, lyapunov_spectrum

AGREEMENT_TOLERANCE = 1e-4


def relative_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """max over time of ||ours(t) - ref(t)||_2 divided by the RMS norm of ``ref``; arrays
    of shape (T, D). Normalising by the trajectory's scale, not the pointwise norm, keeps
    the measure finite where a trajectory crosses the origin."""
    scale = np.sqrt(np.mean(np.sum(ref**2, axis=-1)))
    return float(np.max(np.linalg.norm(ours - ref, axis=-1)) / max(scale, 1e-300))


def agreement(name: str, *, pts_per_period: int = 100, tol: float = 1e-12) -> dict:
    """Integrate ``name`` with dysts (its own Radau integrator, or its DDE scheme for delay
    systems) and with ours at rtol = atol = ``tol``, on dysts' own time grid covering the
    first Lyapunov time; return the relative error and timings."""
    import dysts.flows as dfl

    system = systems.get(name)
    theirs = getattr(dfl, name)()
    ratio = system.lyapunov_time / system.period
    n = max(int(np.ceil(ratio * pts_per_period)) + 1, 20)
    row = {"system": name, "kind": system.kind, "n_points": n, "lyapunov_time": system.lyapunov_time}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if system.kind == "delay":
                ref = theirs.make_trajectory(n, pts_per_period=pts_per_period)
            else:
                ts, ref = theirs.make_trajectory(
                    n, pts_per_period=pts_per_period, postprocess=False, return_times=True,
                    rtol=tol, atol=tol,
                )
    except Exception as err:  # dysts' own failure: reported, not ours to hide
        return row | {"status": "dysts_failed", "note": f"dysts raised {type(err).__name__}: {err}"[:300]}
    row["dysts_seconds"] = time.perf_counter() - start
    if ref is None or not np.all(np.isfinite(ref)):
        return row | {"status": "dysts_failed", "note": "dysts returned no finite trajectory"}
    ref = np.asarray(ref).reshape(n, -1)
    start = time.perf_counter()
    if system.kind == "delay":
        ts = _dysts_delay_times(system, n, pts_per_period)
        ours = integrate_delay(system, system.ic[None], ts)
        note = ("dysts integrates delay systems with a first-order scheme whose step is the "
                "output spacing; ours is RK4 (4th order, see tests), so agreement is limited "
                "by dysts' step")
    else:
        ours = integrate(system, system.ic[None], ts, rtol=tol, atol=tol)
        note = ""
    row["ours_seconds"] = time.perf_counter() - start
    if not ours.ok[0]:
        return row | {"status": "ours_failed", "note": ours.message[0]}
    err = relative_error(ours.ys[0], ref)
    if system.kind == "delay":  # dysts' error should shrink ~4x with a 4x finer grid
        row["rel_error_dysts_4x_finer"] = _delay_refined(system, theirs, n, pts_per_period)
    status = "ok" if err < AGREEMENT_TOLERANCE else "exceeds"
    return row | {"rel_error": err, "status": status, "note": note if status != "ok" else ""}


_NONSMOOTH = re.compile(r"np\.(sign|abs|heaviside|maximum|minimum|floor|mod|where|clip)\b|\b(max|min|abs)\(")


def nonsmooth(name: str) -> bool:
    """Whether dysts' code for ``name`` calls a non-differentiable function (sign, abs,
    heaviside, max, ...): there the Jacobian-based spectrum may miss switching effects."""
    import inspect

    import dysts.flows as dfl

    return bool(_NONSMOOTH.search(inspect.getsource(getattr(dfl, name))))


def lyapunov_row(name: str, **kwargs) -> dict:
    """Our QR Lyapunov spectrum of ``name``, our two-trajectory estimate of the largest
    exponent (no Jacobian), and dysts' stored estimate."""
    system = systems.get(name)
    stored = [float(v) for v in system.meta.get("lyapunov_spectrum_estimated") or []]
    row = {"system": name, "dysts": stored, "dysts_max": float(system.meta["maximum_lyapunov_estimated"])}
    if system.kind != "ode":
        return row | {"status": "not_applicable", "note": "delay system: infinite-dimensional tangent space"}
    start = time.perf_counter()
    try:
        ours = lyapunov_spectrum(system, **kwargs)
        pair = largest_lyapunov_two_trajectories(system, duration=kwargs.get("duration"))
    except FloatingPointError as err:
        return row | {"status": "failed", "note": str(err)}
    row["seconds"] = time.perf_counter() - start
    # the two estimates of ours agree where the flow is smooth and the average has converged
    consistent = abs(ours[0] - pair) <= 0.1 * max(abs(pair), abs(ours[0])) + 0.01
    note = "" if consistent else ("QR and two-trajectory estimates differ: " + (
        "non-smooth right-hand side (Jacobian misses switching)" if nonsmooth(name)
        else "finite-time average not converged (intermittency or transient)"))
    return row | {"status": "ok" if consistent else "inconsistent", "ours": ours.tolist(),
                  "ours_max": float(ours[0]), "ours_max_two_trajectory": pair,
                  "ours_sum": float(ours.sum()), "nonsmooth": nonsmooth(name), "note": note}


def _dysts_delay_times(system, n: int, pts_per_period: int) -> np.ndarray:
    """The times at which dysts' DDE ``make_trajectory(n, pts_per_period)`` samples its
    output: n points from tau to tau + period * n / pts_per_period."""
    return np.linspace(system.tau, system.tau + system.period * n / pts_per_period, n)


def _delay_refined(system, theirs, n: int, pts_per_period: int) -> float:
    """Relative error of dysts' DDE output on a 4x finer grid (same time span) against ours."""
    n4, ppp4 = 4 * (n - 1) + 1, 4 * pts_per_period
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.asarray(theirs.make_trajectory(n4, pts_per_period=ppp4)).reshape(n4, -1)
    ts = _dysts_delay_times(system, n4, ppp4)
    return relative_error(integrate_delay(system, system.ic[None], ts).ys[0], ref)


def rhs_error(name: str, *, n_states: int = 4, seed: int = 0) -> float:
    """Largest relative error (2-norm) of our right-hand side against dysts' own at
    ``n_states`` random states near dysts' initial condition (spread 0.1 stored std) and
    random times in [0, 10)."""
    import zlib

    import dysts.flows as dfl
    import jax.numpy as jnp

    ours = systems.get(name)
    theirs = getattr(dfl, name)()
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    std = np.asarray(ours.meta["std"], dtype=float)
    states = ours.ic + 0.1 * std * rng.standard_normal((n_states, ours.ic.size))
    worst = 0.0
    for x in states:
        t = float(rng.uniform(0, 10))
        if ours.kind == "delay":
            x_now, x_then = float(x[0]), float(x[1])
            ref = np.atleast_1d(theirs._rhs(x_now, x_then, t, *theirs.param_list))
            got = ours.rhs(jnp.asarray([x_now]), t, x_delayed=jnp.asarray([x_then]))
        else:
            ref = np.asarray(theirs.rhs(x, t), dtype=float)
            got = ours.rhs(jnp.asarray(x), t)
        got = np.asarray(got, dtype=float).reshape(ref.shape)
        if not np.all(np.isfinite(ref)):
            raise FloatingPointError(f"{name}: dysts' right-hand side is not finite at x={x}")
        worst = max(worst, float(np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-300)))
    return worst
