"""Evaluating a trained shPLRNN by free generation, as in DurstewitzLab/GTF-shPLRNN (``evaluate.jl``).

From the first state of a test series (T, N) the model generates ``T + floor(transient T)``
states (by default ``1.25 T``); the first ``floor(transient T)`` are dropped as transient and
the remaining ``T`` are compared with the whole test series:

* ``d_stsp``: the state-space divergence :func:`chaos.metrics.state_space_divergence` (30 bins
  below 6 dimensions, a Gaussian mixture from 6 on);
* ``d_h``: the power-spectrum Hellinger distance :func:`chaos.metrics.power_spectrum_distance`
  (smoothing ``sigma = 20`` frequency bins);
* ``lyapunov``: optionally the model's largest Lyapunov exponent (per step) from
  :func:`chaos.metrics.largest_lyapunov_map`.

A generation that becomes non-finite or leaves the box ``|x| <= max_abs`` is reported (status
"diverged" and the first bad step), with the metrics set to NaN, instead of raising.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .forcing import PLRNNModel

__all__ = ["evaluate", "first_divergent_step", "generate"]


@partial(jax.jit, static_argnums=2)
def _generate(model: PLRNNModel, x0, n: int):
    return model.generate(x0, n)


def generate(model: PLRNNModel, x0: Float[Array, " N"], n: int) -> np.ndarray:
    """``n`` observed states of the free run from the first observation ``x0`` (``x[0]`` is ``obs(init_state(x0))``),
    a (n, N) numpy array in the model's dtype (data units)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"generate needs n >= 1 steps, got {n!r}")
    return np.asarray(_generate(model, jnp.asarray(x0, model.dynamics.A.dtype), n)[1])


def first_divergent_step(x: np.ndarray, max_abs: float) -> int | None:
    """The first time index at which ``x`` (T, N) is non-finite or exceeds ``max_abs`` in absolute value, or None."""
    bad = ~np.all(np.isfinite(x) & (np.abs(x) <= max_abs), axis=-1)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def evaluate(
    model: PLRNNModel,
    test: Float[Array, "T N"] | np.ndarray,
    *,
    transient: float = 0.25,
    n_bins: int = 30,
    sigma: float = 20.0,
    max_abs: float | None = None,
    lyapunov_steps: int = 0,
    dt: float = 1.0,
) -> dict[str, Any]:
    """Metrics of the model's free run against the test series ``test`` (T, N), same units as the training data.

    Args:
        transient: fraction of ``T`` generated first and dropped.
        n_bins: histogram bins per dimension of ``d_stsp``.
        sigma: Gaussian smoothing (frequency bins) of ``d_h``.
        max_abs: the generation counts as diverged beyond this absolute value (default: 100 times the largest
            absolute value of the test series).
        lyapunov_steps: if > 0, also the largest Lyapunov exponent of the latent map over this many steps, from
            the first compared state on (``lyapunov``, per ``dt``: per step for ``dt = 1``, per system time unit
            for ``dt`` the sampling interval).

    Returns:
        ``{"d_stsp", "d_h", "status" ("ok" | "diverged"), "diverged_at" (step of the full generation or None),
        "n_generated", "lyapunov" (or None; ``"lyapunov_error"`` says why if its orbit diverged), "generated" ((T, N)
        array, the compared part)}``.
    """
    from chaos import metrics

    x = np.asarray(test, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"the test series must have shape (T, N) with T >= 2, got shape {x.shape}")
    if x.shape[1] != model.observation.n_obs:
        raise ValueError(f"the test series has {x.shape[1]} dimensions, the model observes {model.observation.n_obs}")
    if not np.isfinite(x).all():
        raise ValueError("the test series has NaN or infinite values")
    if not 0 <= transient < 10:
        raise ValueError(f"transient must lie in [0, 10), got {transient!r}")
    n_test = x.shape[0]
    drop = math.floor(transient * n_test)
    limit = 100.0 * float(np.max(np.abs(x))) if max_abs is None else float(max_abs)
    if isinstance(lyapunov_steps, bool) or not isinstance(lyapunov_steps, int) or lyapunov_steps < 0:
        raise ValueError(f"lyapunov_steps must be an integer >= 0, got {lyapunov_steps!r}")
    latent, full = _generate(model, jnp.asarray(x[0], model.dynamics.A.dtype), n_test + drop)
    latent, full = np.asarray(latent), np.asarray(full)
    bad = first_divergent_step(full, limit)
    out: dict[str, Any] = {"n_generated": n_test + drop, "diverged_at": bad, "lyapunov": None,
                           "generated": full[drop:]}
    if bad is not None:
        out.update(d_stsp=float("nan"), d_h=float("nan"), status="diverged")
        return out
    gen = full[drop:].astype(np.float64)
    out["d_stsp"] = float(metrics.state_space_divergence(x, gen, n_bins=n_bins))
    out["d_h"] = float(metrics.power_spectrum_distance(x, gen, sigma=sigma))
    out["status"] = "ok"
    if lyapunov_steps > 0:
        dynamics = model.dynamics
        try:
            out["lyapunov"] = float(metrics.largest_lyapunov_map(lambda z: dynamics(z), latent[drop],
                                                                 n_steps=lyapunov_steps, dt=dt))
        except ValueError as err:  # the orbit diverged beyond the compared part
            out["lyapunov_error"] = str(err)
    return out
