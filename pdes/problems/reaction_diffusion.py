"""Reaction-diffusion ``u_t = nu u_xx + rho u (1 - u)`` on the periodic interval
``[0, 2 pi)``, ``t in [0, 1]``, from the Gaussian of :mod:`pdes.problems.reaction`
(Krishnapriyan et al. 2021).

Reference: Strang splitting, both parts exact. Each step of size ``dt`` is half a step of
the logistic flow at every grid point, a full step of diffusion (``exp(-nu k^2 dt)`` per
Fourier mode), and another half step of reaction; the splitting error is second order in
``dt`` and there is no other discretisation error in time. In space the method is
spectral, but the Gaussian is not exactly periodic (its value at the ends is ``exp(-8)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..spectral import grid, wavenumbers
from ._autodiff import t_derivative, x_derivative
from ._problem import Problem
from .reaction import gaussian, logistic


@dataclass(frozen=True)
class StrangOptions:
    """Options of the Strang-splitting reference.

    Attributes:
        dt: largest time step; the step used divides the saving interval exactly.
        oversample: the solver grid has ``oversample * nx`` points; every
            ``oversample``-th is saved.
    """

    dt: float = field(default=1e-4, metadata={"min": 1e-8})
    oversample: int = field(default=1, metadata={"min": 1})


def strang_step(u, decay, rho, dt):
    """One Strang step: half reaction, full diffusion (``decay = exp(-nu k^2 dt)`` on the
    rfft modes), half reaction; ``u`` are grid values, shape (n,)."""
    u = logistic(u, rho, dt / 2)
    u = jnp.fft.irfft(decay * jnp.fft.rfft(u), n=u.shape[-1])
    return logistic(u, rho, dt / 2)


@partial(jax.jit, static_argnames=("n_saves",))
def _integrate(u0, decay, rho, dt, save_every, *, n_saves):
    def advance(u, _):
        u = lax.fori_loop(0, save_every, lambda _, w: strang_step(w, decay, rho, dt), u)
        return u, u

    _, us = lax.scan(advance, u0, length=n_saves)
    return jnp.concatenate([u0[None], us])


def solve(problem: Problem, x, t, params, options: StrangOptions):
    n = x.size * options.oversample
    xs = grid(n, problem.x_domain)
    k = wavenumbers(n, problem.x_domain[1] - problem.x_domain[0])
    interval = float(t[1] - t[0])
    save_every = max(1, math.ceil(interval / options.dt - 1e-9))
    dt = interval / save_every
    decay = jnp.exp(-params["nu"] * k**2 * dt)
    u0 = problem.initial(jnp.asarray(xs), params)
    u = _integrate(u0, decay, jnp.float64(params["rho"]), jnp.float64(dt), save_every, n_saves=t.size - 1)
    method = {"method": "Strang splitting: exact logistic reaction, exact spectral diffusion",
              "dt": dt, "n_modes": n}
    return np.asarray(u)[:, :: options.oversample], method


def residual(u, x, t, params):
    v = u(x, t)
    return t_derivative(u)(x, t) - params["nu"] * x_derivative(u, 2)(x, t) - params["rho"] * v * (1 - v)


PROBLEM = Problem(
    name="reaction_diffusion",
    equation="u_t - nu u_xx - rho u (1 - u) = 0",
    x_domain=(0.0, 2 * math.pi),
    t_domain=(0.0, 1.0),
    periodic=True,
    params={"nu": 5.0, "rho": 5.0},
    initial=gaussian,
    pde_residual=residual,
    autonomous=True,
    solver=solve,
    options=StrangOptions(),
    grid=(256, 100),
)
