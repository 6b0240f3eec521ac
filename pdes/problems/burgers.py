"""Viscous Burgers ``u_t + u u_x - nu u_xx = 0``, ``nu = 0.01 / pi``, on ``x in [-1, 1]``
with ``u(-1, t) = u(1, t) = 0``, ``t in [0, 1]``, ``u0 = -sin(pi x)`` (Raissi et al. 2019).

Reference: the exact Cole-Hopf solution (Basdevant et al. 1986, eq. for this initial
condition), after integrating by parts::

    u(x, t) = - int sin(pi (x - y)) f(x - y) G(y) dy / int f(x - y) G(y) dy,
    f(z) = exp(-cos(pi z) / (2 pi nu)),   G(y) = exp(-y^2 / (4 nu t)),

which, with ``y = sqrt(4 nu t) s``, is a ratio of Gauss-Hermite quadratures in ``s``.
The weights ``w_i f(x - y_i)`` span about 10^43 for this ``nu``, so they enter as a
softmax of their logarithms (stable, and differentiable for the residual). With 100 or
more nodes the quadrature agrees with a dense trapezoidal rule to round-off, and the
steepest slope, ``u_x(0, 1.6037 / pi) = -152.00516``, is Basdevant et al.'s value.

Variant ``"travelling"``: the Burgers case of the Lagrangian-PINN paper's code (Mojgani,
Balajewicz & Hassanzadeh 2023; rmojgani/LPINNs, ``utils/myburgers.py`` and the defaults of
``code/LPINNarg.py``): periodic ``x in [0, 2 pi)``, ``u0 = sin x + C`` with ``C = 50``,
``nu = 0.01``, ``t in [0, 1]``, a front carried at speed ``C`` that steepens into a shock
at ``t = 1`` (the inviscid one would break there). By Galilean invariance ``u(x, t) = C +
v(x - C t, t)``, where ``v`` is the Cole-Hopf solution from ``v0 = sin x``: the ratio above
with ``f(z) = exp(cos z / (2 nu))`` and ``sin z`` in place of ``-sin(pi z)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from ._autodiff import t_derivative, x_derivative
from ._problem import Problem, exact_solver


@dataclass(frozen=True)
class ColeHopfOptions:
    """Options of the Cole-Hopf reference.

    Attributes:
        n_nodes: Gauss-Hermite nodes (``numpy.polynomial.hermite.hermgauss``); 100 already
            agree with a dense trapezoidal rule to round-off on ``t in (0, 1]``; beyond
            about 350 NumPy's weights underflow, so at most 300 are accepted.
    """

    n_nodes: int = field(default=200, metadata={"min": 10, "max": 300})

    def __post_init__(self):
        if not 10 <= self.n_nodes <= 300:
            raise ValueError(f"n_nodes must be in [10, 300], got {self.n_nodes}")


@lru_cache(maxsize=8)
def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite.hermgauss(n)
    return nodes, np.log(weights)


def initial(x, params):
    return -jnp.sin(jnp.pi * x)


def _sine_cole_hopf(x, t, nu, a, k, c, options: ColeHopfOptions):
    """Burgers from ``u0 = c + a sin(k x)`` at broadcastable ``x`` and ``t >= 0``: ``c + v(x -
    c t, t)`` with ``v`` the Cole-Hopf ratio for ``f(z) = exp(a cos(k z) / (2 k nu))``."""
    nodes, log_weights = _hermite(options.n_nodes)
    x, t = jnp.broadcast_arrays(jnp.asarray(x, dtype=float), jnp.asarray(t, dtype=float))
    z = (x - c * t)[..., None] - jnp.sqrt(4 * nu * t)[..., None] * nodes  # (..., n_nodes)
    log_w = log_weights + a * jnp.cos(k * z) / (2 * k * nu)
    return c + a * jnp.sum(jnp.sin(k * z) * jax.nn.softmax(log_w, axis=-1), axis=-1)


def exact(x, t, params, options: ColeHopfOptions):
    """The Cole-Hopf solution at broadcastable ``x`` and ``t >= 0`` (``t = 0`` gives ``u0``)."""
    return _sine_cole_hopf(x, t, params["nu"], -1.0, jnp.pi, 0.0, options)


def travelling_initial(x, params):
    return jnp.sin(x) + params["C"]


def travelling_exact(x, t, params, options: ColeHopfOptions):
    """The travelling variant's solution ``C + v(x - C t, t)`` at broadcastable ``x``, ``t >= 0``."""
    return _sine_cole_hopf(x, t, params["nu"], 1.0, 1.0, params["C"], options)


TRAVELLING = {
    "params": {"nu": 0.01, "C": 50.0},
    "x_domain": (0.0, 2 * math.pi),
    "periodic": True,
    "boundary_values": None,
    "initial": travelling_initial,
    "exact_fn": travelling_exact,
    "error_offset": "C",  # errors relative to the wave |u_ref - C|, as the LPINN code reports them
}


def residual(u, x, t, params):
    return (
        t_derivative(u)(x, t)
        + u(x, t) * x_derivative(u)(x, t)
        - params["nu"] * x_derivative(u, 2)(x, t)
    )


PROBLEM = Problem(
    name="burgers",
    equation="u_t + u u_x - nu u_xx = 0",
    x_domain=(-1.0, 1.0),
    t_domain=(0.0, 1.0),
    periodic=False,
    boundary_values=(0.0, 0.0),
    params={"nu": 0.01 / math.pi},
    initial=initial,
    pde_residual=residual,
    autonomous=True,
    solver=exact_solver("Cole-Hopf solution by Gauss-Hermite quadrature"),
    options=ColeHopfOptions(),
    grid=(256, 100),
    exact_fn=exact,
    variants={"travelling": TRAVELLING},
    notes="variants: default (Raissi et al.: x in [-1, 1], u0 = -sin(pi x), nu = 0.01/pi), travelling "
          "(the LPINN paper's code: periodic x in [0, 2 pi), u0 = sin x + C, C = 50, nu = 0.01)",
)
