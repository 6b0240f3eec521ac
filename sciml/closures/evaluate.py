"""Offline and online scores of a closure for the coarse Lorenz 96 model.

Offline (the closure alone, on held-out samples):

* tendency RMSE ``sqrt(mean (C(X) - r)^2)`` (units of ``dX/dt``) and ``R^2 = 1 - SSE / SST`` of the closure's output
  ``C(X)`` against the closure target ``r``, pooled over samples and points.

Online (the coarse model stepped with the closure, :func:`chaos.lorenz96.coarse_step`, RK4 with the closure
inside every stage):

* :func:`forecast_rmse`: from true states of held-out trajectories, the coarse model's RMSE against the truth at
  given lead times (an ensemble of start states, pooled over points);
* :func:`long_run_statistics`: one long coarse run per start state against the two-level truth: the Hellinger
  distance between histograms of ``X``, the autocorrelation function of ``X_k`` in time and the spatial power
  spectrum of the ring. A run that blows up (a non-finite value or ``|X|`` far beyond the truth's range) is cut at
  the first such time, which is reported; the statistics use the part before it.

The "ideal" closure, the stored target itself applied once per coarse step
(:func:`chaos.lorenz96.coarse_step_with_correction`), passes through :func:`rollout` with ``corrections=``; it
reproduces the truth at the coarse steps up to rounding, which checks the evaluation end to end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

__all__ = ["LongRunStats", "forecast_rmse", "hellinger", "long_run_statistics", "offline_scores", "rollout",
           "lead_steps", "autocorrelation", "spatial_spectrum"]


@eqx.filter_jit
def _predict(closure, x):
    return jax.lax.map(closure, x, batch_size=256)


def offline_scores(closure: Any, x: Float[Array, "n K"], y: Float[Array, "n K"]) -> dict[str, float]:
    """``{"rmse", "r2"}`` of ``closure(x_i)`` against ``y_i`` pooled over all samples and points (float64 sums)."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"states and targets must both be (n_samples, K), got {x.shape} and {y.shape}")
    closure.check_size(x.shape[1])
    pred = np.asarray(_predict(closure, jnp.asarray(x, closure.dtype)), np.float64)
    err = pred - y.astype(np.float64)
    sse = float(np.sum(err**2))
    sst = float(np.sum((y - y.mean(dtype=np.float64)) ** 2))
    return {"rmse": math.sqrt(sse / err.size), "r2": 1.0 - sse / sst if sst > 0 else float("nan")}


def lead_steps(leads: Sequence[float], dt: float) -> list[int]:
    """Lead times (MTU) as whole numbers of steps of ``dt``; a lead that is not a multiple of ``dt`` is an error."""
    out = []
    for lead in leads:
        n = int(round(lead / dt))
        if n < 1 or abs(n * dt - lead) > 1e-9 * max(1.0, lead):
            raise ValueError(f"lead time {lead} is not a positive multiple of the coarse step {dt}")
        out.append(n)
    return out


@eqx.filter_jit
def _rollout_closure(x0, closure, dt, forcing, n_steps: int):
    from chaos.lorenz96 import coarse_step

    def step(x, _):
        x = coarse_step(x, dt, forcing, closure)
        return x, x

    _, xs = jax.lax.scan(step, x0, None, length=n_steps)
    return jnp.concatenate([x0[None], xs])


@jax.jit
def _rollout_corrected(x0, corrections, dt, forcing):
    from chaos.lorenz96 import coarse_step_with_correction

    def step(x, r):
        x = coarse_step_with_correction(x, dt, forcing, r)
        return x, x

    _, xs = jax.lax.scan(step, x0, corrections)
    return jnp.concatenate([x0[None], xs])


def rollout(
    x0: Float[Array, "B K"],
    closure: Any = None,
    *,
    dt: float,
    forcing: float,
    n_steps: int | None = None,
    corrections: Float[Array, "n B K"] | None = None,
) -> Float[Array, "n1 B K"]:
    """Coarse-model states at steps ``0 .. n_steps`` (time first): ``(n_steps + 1, B, K)`` in ``x0``'s dtype.

    With ``closure`` (a callable ``(K,) -> (K,)`` or None), every step is :func:`chaos.lorenz96.coarse_step`.
    With ``corrections`` ``(n_steps, B, K)`` instead, step ``n`` is ``Phi(x) + dt * corrections[n]`` (the ideal
    closure: the stored closure target).
    """
    x0 = jnp.asarray(x0)
    if corrections is not None:
        if closure is not None:
            raise ValueError("give a closure or corrections, not both")
        corrections = jnp.asarray(corrections, x0.dtype)
        if corrections.shape[1:] != x0.shape:
            raise ValueError(f"corrections must be (n_steps, {', '.join(map(str, x0.shape))}), "
                             f"got {corrections.shape}")
        return _rollout_corrected(x0, corrections, jnp.asarray(dt, x0.dtype), jnp.asarray(forcing, x0.dtype))
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be an int >= 1, got {n_steps!r}")
    if closure is not None and hasattr(closure, "check_size"):
        closure.check_size(int(x0.shape[-1]))
    return _rollout_closure(x0, closure, jnp.asarray(dt, x0.dtype), jnp.asarray(forcing, x0.dtype), n_steps)


def forecast_rmse(
    closure: Any,
    xs: Float[Array, "M T K"],
    *,
    dt: float,
    forcing: float,
    leads: Sequence[float],
    n_starts: int,
    targets: Float[Array, "M T K"] | None = None,
    dtype=jnp.float32,
) -> dict[str, Any]:
    """Forecast RMSE of the coarse model with ``closure`` at each lead time, from true states.

    Args:
        closure: a closure (or None: the null closure); with ``closure="ideal"`` the stored ``targets`` are applied
            once per step instead (see :func:`rollout`).
        xs: held-out true trajectories ``(members, times, K)``, saved every ``dt`` (the coarse step).
        leads: lead times in MTU (multiples of ``dt``).
        n_starts: start states per member, evenly spaced over the times that leave room for the longest lead.
        dtype: the dtype of the coarse run (float32 like the closures; float64 for the ideal check).

    Returns:
        ``{"rmse": {lead: value}, "n_starts": total, "n_diverged": {lead: count}}``; a forecast that is not finite at
        a lead is left out of that lead's RMSE and counted in ``n_diverged``.
    """
    xs = np.asarray(xs)
    steps = lead_steps(leads, dt)
    n_max = max(steps)
    m, t, k = xs.shape
    if t <= n_max:
        raise ValueError(f"trajectories of {t} saved times are too short for a lead of {max(leads)} MTU "
                         f"({n_max} steps of {dt})")
    starts = np.unique(np.linspace(0, t - 1 - n_max, n_starts).round().astype(int))
    x0 = xs[:, starts].reshape(-1, k)
    truth = np.stack([xs[:, starts + n].reshape(-1, k) for n in steps])
    if isinstance(closure, str) and closure == "ideal":
        if targets is None:
            raise ValueError("the ideal closure needs the stored closure targets")
        idx = starts[:, None] + np.arange(n_max)[None]
        corr = np.moveaxis(np.asarray(targets)[:, idx].reshape(m * len(starts), n_max, k), 1, 0)
        run = rollout(jnp.asarray(x0, dtype), dt=dt, forcing=forcing, corrections=jnp.asarray(corr, dtype))
    else:
        run = rollout(jnp.asarray(x0, dtype), closure, dt=dt, forcing=forcing, n_steps=n_max)
    run = np.asarray(run, np.float64)
    rmse, diverged = {}, {}
    for lead, n, true in zip(leads, steps, truth, strict=True):
        pred = run[n]
        ok = np.isfinite(pred).all(axis=1)
        diverged[lead] = int((~ok).sum())
        rmse[lead] = float(np.sqrt(np.mean((pred[ok] - true[ok]) ** 2))) if ok.any() else float("inf")
    return {"rmse": rmse, "n_starts": int(x0.shape[0]), "n_diverged": diverged}


def hellinger(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> float:
    """Hellinger distance ``sqrt(1 - sum_i sqrt(p_i q_i))`` in [0, 1] between the histograms of ``a`` and ``b``
    on ``edges``; values outside are counted in the end bins."""
    lo, hi = edges[0], edges[-1]
    p, _ = np.histogram(np.clip(np.ravel(a), lo, hi), edges)
    q, _ = np.histogram(np.clip(np.ravel(b), lo, hi), edges)
    if p.sum() == 0 or q.sum() == 0:
        return 1.0
    p, q = p / p.sum(), q / q.sum()
    return float(np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(p * q)))))


def autocorrelation(xs: Float[np.ndarray, "M T K"], max_lag: int) -> np.ndarray:
    """Autocorrelation of ``X_k`` in time at lags ``0 .. max_lag`` saved steps, averaged over members and points
    (each series centred on its own mean)."""
    xs = np.asarray(xs, np.float64)
    xs = xs - xs.mean(axis=1, keepdims=True)
    var = np.mean(xs**2, axis=1)
    t = xs.shape[1]
    if max_lag >= t:
        raise ValueError(f"max_lag {max_lag} needs more than {t} saved times")
    acf = [np.mean(np.mean(xs[:, : t - lag] * xs[:, lag:], axis=1) / np.where(var > 0, var, 1.0))
           for lag in range(max_lag + 1)]
    return np.asarray(acf)


def spatial_spectrum(xs: Float[np.ndarray, "... K"]) -> np.ndarray:
    """Mean power ``|FFT_k X|^2 / K`` of the ring at wavenumbers ``0 .. K // 2``, averaged over all leading axes."""
    xs = np.asarray(xs, np.float64)
    k = xs.shape[-1]
    return np.mean(np.abs(np.fft.rfft(xs, axis=-1)) ** 2 / k, axis=tuple(range(xs.ndim - 1)))


@dataclass(frozen=True)
class LongRunStats:
    """Statistics of long coarse runs against the truth (see the module docstring).

    Attributes:
        hellinger: Hellinger distance between histograms of ``X`` (run vs truth), in [0, 1].
        acf_rmse: RMS difference of the autocorrelation functions over the lags compared.
        spectrum_log_error: mean ``|log10(P_run / P_truth)|`` over wavenumbers 1 .. K/2.
        diverged_at: the first time (MTU) at which any run blew up, or None.
        n_diverged: runs that blew up.
        duration: MTU of each run; used: MTU per run actually used (up to the earliest blow-up).
        acf_run, acf_truth, spectrum_run, spectrum_truth, edges, pdf_run, pdf_truth: the curves, for figures.
    """

    hellinger: float
    acf_rmse: float
    spectrum_log_error: float
    diverged_at: float | None
    n_diverged: int
    duration: float
    used: float
    acf_run: np.ndarray
    acf_truth: np.ndarray
    spectrum_run: np.ndarray
    spectrum_truth: np.ndarray
    edges: np.ndarray
    pdf_run: np.ndarray
    pdf_truth: np.ndarray

    def summary(self) -> dict[str, Any]:
        return {"hellinger": self.hellinger, "acf_rmse": self.acf_rmse, "spectrum_log_error": self.spectrum_log_error,
                "diverged_at": self.diverged_at, "n_diverged": self.n_diverged, "duration": self.duration,
                "used": self.used}


def long_run_statistics(
    closure: Any,
    x0: Float[Array, "B K"],
    truth: Float[Array, "M T K"],
    *,
    dt: float,
    forcing: float,
    duration: float,
    save_every: int,
    max_lag_time: float = 2.0,
    n_bins: int = 50,
    blow_up_factor: float = 5.0,
    dtype=jnp.float32,
) -> LongRunStats:
    """Run the coarse model with ``closure`` for ``duration`` MTU from each of ``x0``, save every ``save_every``
    steps, and compare with ``truth`` (two-level X, saved every ``dt * save_every``).

    A run has blown up at the first saved time with a non-finite value or ``|X| > blow_up_factor * max|truth|``.
    """
    from chaos.lorenz96 import simulate_coarse

    truth = np.asarray(truth, np.float64)
    n_steps = int(round(duration / dt / save_every)) * save_every
    if n_steps < save_every:
        raise ValueError(f"duration {duration} is shorter than one saving interval ({dt * save_every} MTU)")
    if closure is not None and hasattr(closure, "check_size"):
        closure.check_size(int(np.shape(x0)[-1]))
    run = np.asarray(simulate_coarse(jnp.asarray(x0, dtype), closure, dt=dt, n_steps=n_steps, forcing=forcing,
                                     save_every=save_every), np.float64)  # (B, T, K)
    dt_save = dt * save_every
    bound = blow_up_factor * float(np.max(np.abs(truth)))
    bad = ~(np.isfinite(run) & (np.abs(run) <= bound)).all(axis=-1)  # (B, T)
    diverged_at, n_div, used_t = None, int(bad.any(axis=1).sum()), run.shape[1]
    if bad.any():
        first = int(np.argwhere(bad)[:, 1].min())
        diverged_at, used_t = first * dt_save, first
    used = run[:, :used_t]
    span = truth.max() - truth.min()
    edges = np.linspace(truth.min() - 0.1 * span, truth.max() + 0.1 * span, n_bins + 1)
    max_lag = max(1, int(round(max_lag_time / dt_save)))
    acf_truth = autocorrelation(truth, min(max_lag, truth.shape[1] - 1))
    spec_truth = spatial_spectrum(truth)
    if used_t > max(2, len(acf_truth)):
        hell = hellinger(used, truth, edges)
        acf_run = autocorrelation(used, len(acf_truth) - 1)
        spec_run = spatial_spectrum(used)
        acf_rmse = float(np.sqrt(np.mean((acf_run - acf_truth) ** 2)))
        spec_err = float(np.mean(np.abs(np.log10(np.maximum(spec_run[1:], 1e-300) / spec_truth[1:]))))
    else:  # blew up before any statistics could be taken: worst scores, reported with the time
        hell, acf_rmse, spec_err = 1.0, float(np.sqrt(np.mean((acf_truth) ** 2)) + 1.0), 10.0
        acf_run, spec_run = np.full_like(acf_truth, np.nan), np.full_like(spec_truth, np.nan)
    pdf = lambda a: np.histogram(np.clip(a.ravel(), edges[0], edges[-1]), edges, density=True)[0]  # noqa: E731
    return LongRunStats(hell, acf_rmse, spec_err, diverged_at, n_div, n_steps * dt, used_t * dt_save, acf_run,
                        acf_truth, spec_run, spec_truth, edges, pdf(used) if used.size else np.zeros(n_bins),
                        pdf(truth))
