"""Korteweg-de Vries ``u_t + lambda1 u u_x + lambda2 u_xxx = 0`` on the periodic interval
``[-1, 1)``, ``t in [0, 1]``, in two variants:

* ``"default"``: ``lambda1 = 1``, ``lambda2 = 0.0025``, ``u0 = cos(pi x)``: Zabusky &
  Kruskal's (1965) experiment (their ``delta^2 = 0.0025`` on a period of 2), as used by
  Raissi et al. (2019) and DeepXDE for KdV. The cosine steepens and breaks into a train of
  solitons.
* ``"soliton"``: one soliton on the wider interval ``[-2, 2)``,
  ``u = (3 c / lambda1) sech^2(sqrt(c / lambda2) / 2 (x - x0 - c t))`` with ``c = 1``,
  ``x0 = -0.5``: the exact solution on the line. Its tails at half a period from the
  crest are below 1e-16, so it is also the periodic solution to round-off, and
  :meth:`~pdes.problems.Problem.exact` gives it (wrapped onto the period).

Reference: ETDRK4 with the dispersive, purely imaginary symbol ``L = i lambda2 k^3``
(``u_xxx`` has symbol ``(i k)^3``) and ``N = -lambda1 (u^2 / 2)_x``, dealiased by the 2/3
rule, 512 modes, saved at 201 times, ``dt = 1e-4``: the time-stepping error is about
1e-11, and at ``t = 1`` 256 modes agree with 512 to 2e-15. The soliton variant is matched
to 1e-10. The dealiased semi-discrete system is a Galerkin truncation, so it conserves
the mass ``int u dx`` exactly and the energy ``int u^2 dx`` up to the time-stepping error
(5e-13 relative on the default grid).
"""

from __future__ import annotations

import jax.numpy as jnp

from ._autodiff import t_derivative, x_derivative
from ._periodic import Etdrk4Options, etdrk4_solver
from ._problem import Problem


def initial(x, params):
    return jnp.cos(jnp.pi * x)


def symbol(k, params):
    return 1j * params["lambda2"] * k**3


def nonlinear(v, args):
    u = jnp.fft.irfft(v, n=2 * (v.shape[-1] - 1))
    return -0.5j * args["lambda1"] * args["k"] * args["mask"] * jnp.fft.rfft(u**2)


def residual(u, x, t, params):
    return (
        t_derivative(u)(x, t)
        + params["lambda1"] * u(x, t) * x_derivative(u)(x, t)
        + params["lambda2"] * x_derivative(u, 3)(x, t)
    )


SOLITON_DOMAIN = (-2.0, 2.0)


def soliton(x, t, params, options=None):
    """The soliton of speed ``c`` through ``x0`` at ``t = 0``, at broadcastable ``x, t``;
    the distance to the crest is taken modulo the period of :data:`SOLITON_DOMAIN`."""
    a, b = SOLITON_DOMAIN
    period = b - a
    c = params["c"]
    xi = jnp.mod(x - params["x0"] - c * t + period / 2, period) - period / 2
    width = jnp.sqrt(c / params["lambda2"]) / 2
    return 3 * c / params["lambda1"] / jnp.cosh(width * xi) ** 2


def soliton_initial(x, params):
    return soliton(x, 0.0, params)


SOLITON = {
    "x_domain": SOLITON_DOMAIN,
    "params": {"lambda1": 1.0, "lambda2": 0.0025, "c": 1.0, "x0": -0.5},
    "initial": soliton_initial,
    "exact_fn": soliton,
}

PROBLEM = Problem(
    name="kdv",
    equation="u_t + lambda1 u u_x + lambda2 u_xxx = 0",
    x_domain=(-1.0, 1.0),
    t_domain=(0.0, 1.0),
    periodic=True,
    params={"lambda1": 1.0, "lambda2": 0.0025},
    initial=initial,
    pde_residual=residual,
    autonomous=True,
    solver=etdrk4_solver(symbol, nonlinear),
    options=Etdrk4Options(dt=1e-4, dealias=True),
    grid=(512, 201),
    variants={"soliton": SOLITON},
    notes="variants: default (Zabusky-Kruskal, u0 = cos(pi x)), soliton (exact single soliton on [-2, 2))",
)
