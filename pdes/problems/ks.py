"""Kuramoto-Sivashinsky ``u_t + a u u_x + b u_xx + c u_xxxx = 0`` on a periodic interval,
``t in [0, 1]``, in the two cases of Wang, Sankaran & Perdikaris' causal-training paper (2022),
as their code and data sets (PredictiveIntelligenceLab/CausalPINNs, ``ks_simple.mat`` and
``ks_chaotic.mat``) define them:

* ``"default"`` (regular): ``a = 5, b = 0.5, c = 0.005`` on ``[-1, 1)``, ``u0 = -sin(pi x)``.
  (Until 2026-11-29 this variant sat on ``[0, 2 pi)`` with ``u0 = -sin x``: the same
  coefficients on an interval pi times longer, a different and milder problem: its first
  mode grows at ``b - c = 0.495`` per unit time against ``b pi^2 - c pi^4 = 4.45`` here.)
* ``"chaotic"``: ``a = 100/16, b = 100/16^2, c = 100/16^4`` on ``[0, 2 pi)``,
  ``u0 = cos x (1 + sin x)``. These are Kassam & Trefethen's KS example,
  ``u_t = -u u_x - u_xx - u_xxxx`` on ``[0, 32 pi)`` from ``cos(x/16)(1 + sin(x/16))``,
  rescaled to ``x' = x / 16`` and ``t' = t / 100``, so ``t' in [0, 1]`` is their ``t in
  [0, 100]``, the initial condition theirs in the rescaled variable.

Reference: ETDRK4 with ``L = b k^2 - c k^4`` and ``N = -a (u^2 / 2)_x``, dealiased by the
2/3 rule, 512 modes, saved at 201 times; ``dt = 1e-4`` (regular) and ``2.5e-5``
(chaotic) keep the time-stepping error below about 1e-8, and doubling the grid changes
the solution by less than 1e-10.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ._autodiff import t_derivative, x_derivative
from ._periodic import Etdrk4Options, etdrk4_solver
from ._problem import Problem


def regular_initial(x, params):
    return -jnp.sin(math.pi * x)


def chaotic_initial(x, params):
    return jnp.cos(x) * (1 + jnp.sin(x))


def symbol(k, params):
    return params["b"] * k**2 - params["c"] * k**4


def nonlinear(v, args):
    u = jnp.fft.irfft(v, n=2 * (v.shape[-1] - 1))
    return -0.5j * args["a"] * args["k"] * args["mask"] * jnp.fft.rfft(u**2)


def residual(u, x, t, params):
    v = u(x, t)
    return (
        t_derivative(u)(x, t)
        + params["a"] * v * x_derivative(u)(x, t)
        + params["b"] * x_derivative(u, 2)(x, t)
        + params["c"] * x_derivative(u, 4)(x, t)
    )


CHAOTIC = {
    "params": {"a": 100 / 16, "b": 100 / 16**2, "c": 100 / 16**4},
    "x_domain": (0.0, 2 * math.pi),
    "initial": chaotic_initial,
    "options": Etdrk4Options(dt=2.5e-5, dealias=True),  # dt = 1e-4 leaves 1e-6 errors here
    "revision": 1,
}

PROBLEM = Problem(
    name="ks",
    equation="u_t + a u u_x + b u_xx + c u_xxxx = 0",
    x_domain=(-1.0, 1.0),
    t_domain=(0.0, 1.0),
    periodic=True,
    params={"a": 5.0, "b": 0.5, "c": 0.005},
    initial=regular_initial,
    pde_residual=residual,
    autonomous=True,
    solver=etdrk4_solver(symbol, nonlinear),
    options=Etdrk4Options(dt=1e-4, dealias=True),
    grid=(512, 201),
    variants={"chaotic": CHAOTIC},
    revision=2,  # 2026-11-29: the regular case moved to the paper's [-1, 1) and -sin(pi x)
    notes="variants: default (regular, x in [-1, 1), u0 = -sin(pi x)), chaotic (x in [0, 2 pi), u0 = cos x (1 + sin x))",
)
