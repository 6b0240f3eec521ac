"""Linear convection ``u_t + beta u_x = 0`` on the periodic interval ``[0, 2 pi)``, ``t in
[0, 1]``, ``u0 = sin x``: the first failure mode studied by Krishnapriyan et al. (2021),
whose PINNs fail for large ``beta``. The exact solution is the transported initial
condition, ``u(x, t) = u0(x - beta t)`` (here ``sin(x - beta t)``).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ._autodiff import t_derivative, x_derivative
from ._problem import ClosedForm, Problem, exact_solver

X_DOMAIN = (0.0, 2 * math.pi)


def initial(x, params):
    return jnp.sin(x)


def exact(x, t, params, options):
    a, b = X_DOMAIN
    shifted = jnp.mod(x - params["beta"] * t - a, b - a) + a  # periodic transport
    return initial(shifted, params)


def residual(u, x, t, params):
    return t_derivative(u)(x, t) + params["beta"] * x_derivative(u)(x, t)


PROBLEM = Problem(
    name="convection",
    equation="u_t + beta u_x = 0",
    x_domain=X_DOMAIN,
    t_domain=(0.0, 1.0),
    periodic=True,
    params={"beta": 30.0},
    initial=initial,
    pde_residual=residual,
    autonomous=True,
    solver=exact_solver("closed form u0(x - beta t), periodic"),
    options=ClosedForm(),
    grid=(256, 100),
    exact_fn=exact,
    notes="grid as in Krishnapriyan et al. (2021): 256 x-points without 2 pi, 100 times with 0 and 1",
)
