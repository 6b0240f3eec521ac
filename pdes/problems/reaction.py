"""Logistic reaction ``u_t = rho u (1 - u)`` on ``[0, 2 pi)`` (periodic), ``t in [0, 1]``,
with the Gaussian initial condition ``u0 = exp(-(x - pi)^2 / (2 (pi/4)^2))`` of
Krishnapriyan et al. (2021). There is no coupling in x: each point follows the logistic
flow, ``u = u0 / (u0 + (1 - u0) exp(-rho t))`` (:func:`logistic`).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ._autodiff import t_derivative
from ._problem import ClosedForm, Problem, exact_solver


def gaussian(x, params):
    """The initial condition ``exp(-(x - pi)^2 / (2 (pi / 4)^2))``, shared with
    :mod:`pdes.problems.reaction_diffusion`."""
    return jnp.exp(-((x - jnp.pi) ** 2) / (2 * (jnp.pi / 4) ** 2))


def logistic(u, rho, t):
    """The logistic flow: the solution of ``u' = rho u (1 - u)`` after time ``t`` from ``u``;
    written so that no exponential overflows for ``rho t >= 0``, and ``u = 0`` stays 0 when
    ``exp(-rho t)`` underflows (the guard keeps gradients finite too)."""
    den = u + (1 - u) * jnp.exp(-rho * t)
    return u / jnp.where(den == 0, 1.0, den)


def exact(x, t, params, options):
    return logistic(gaussian(x, params), params["rho"], t)


def residual(u, x, t, params):
    v = u(x, t)
    return t_derivative(u)(x, t) - params["rho"] * v * (1 - v)


PROBLEM = Problem(
    name="reaction",
    equation="u_t - rho u (1 - u) = 0",
    x_domain=(0.0, 2 * math.pi),
    t_domain=(0.0, 1.0),
    periodic=True,
    params={"rho": 5.0},
    initial=gaussian,
    pde_residual=residual,
    autonomous=True,
    solver=exact_solver("closed form: logistic flow from u0 at each x"),
    options=ClosedForm(),
    grid=(256, 100),
    exact_fn=exact,
)
