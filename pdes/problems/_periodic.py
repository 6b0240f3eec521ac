"""Reference solutions of periodic problems ``u_t = L u + N(u)`` by ETDRK4 on a Fourier grid.

A problem file supplies the symbol of ``L`` and a module-level ``nonlinear(v, args)``;
:func:`etdrk4_solver` turns them into a :data:`~pdes.problems._problem.Solver` that steps
from the initial condition and saves on the reference's time grid. ``args`` holds the
wavenumbers ``k`` (m,), the dealiasing ``mask`` (m,) and the problem's parameters, all as
float64 arrays, so a new dt or parameter value reuses the compiled stepper.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from ..spectral import dealias_mask, etdrk4_coefficients, etdrk4_integrate, grid, wavenumbers
from ..spectral.etdrk4 import Nonlinear
from ._problem import Problem, Solver

METHOD = (
    "ETDRK4 (Cox & Matthews 2002) on a Fourier pseudo-spectral grid, phi-functions by "
    "contour integrals (Kassam & Trefethen 2005)"
)


@dataclass(frozen=True)
class Etdrk4Options:
    """Options of the ETDRK4 reference.

    Attributes:
        dt: largest time step; the step used divides the saving interval exactly.
        n_contour: trapezoidal points on the contour of the phi-functions (full circle).
        oversample: the solver grid has ``oversample * nx`` points; every
            ``oversample``-th is saved.
        dealias: zero the nonlinear term's modes ``m >= n/3`` (the 2/3 rule).
    """

    dt: float = field(default=1e-4, metadata={"min": 1e-8})
    n_contour: int = field(default=64, metadata={"min": 8})
    oversample: int = field(default=1, metadata={"min": 1})
    dealias: bool = True


def solve_periodic(
    u0: np.ndarray,
    linear: jnp.ndarray,
    nonlinear: Nonlinear,
    args: dict,
    *,
    dt: float,
    n_saves: int,
    save_every: int,
    n_contour: int = 64,
) -> np.ndarray:
    """Grid values ``u (n_saves + 1, n)`` from grid values ``u0 (n,)``, one save every
    ``save_every`` steps of size ``dt``; ``linear`` is the symbol on the rfft modes."""
    n = u0.shape[-1]
    coeffs = etdrk4_coefficients(linear, dt, n_contour)
    v0 = jnp.fft.rfft(jnp.asarray(u0, dtype=jnp.float64))
    vs = etdrk4_integrate(coeffs, nonlinear, v0, args, n_saves=n_saves, save_every=save_every)
    return np.asarray(jnp.fft.irfft(vs, n=n, axis=-1))


def etdrk4_solver(symbol: Callable[[jnp.ndarray, dict], jnp.ndarray], nonlinear: Nonlinear) -> Solver:
    """The reference solver of ``u_t = L u + N(u)``.

    Args:
        symbol: ``symbol(k, params) -> L(k)`` on the rfft wavenumbers ``k``.
        nonlinear: ``nonlinear(v, args)``, the Fourier coefficients of ``N(u)`` from those
            of ``u``; it should multiply its result by ``args["mask"]``.
    """

    def solve(problem: Problem, x, t, params, options: Etdrk4Options):
        n = x.size * options.oversample
        if n % 2:
            raise ValueError(f"{problem.name}: the Fourier grid needs an even number of points, got {n}")
        xs = grid(n, problem.x_domain)
        k = wavenumbers(n, problem.x_domain[1] - problem.x_domain[0])
        mask = dealias_mask(n) if options.dealias else jnp.ones(k.shape, dtype=bool)
        args = {"k": k, "mask": mask.astype(jnp.float64), **{p: jnp.float64(v) for p, v in params.items()}}
        interval = float(t[1] - t[0])
        save_every = max(1, math.ceil(interval / options.dt - 1e-9))
        dt = interval / save_every
        u0 = np.asarray(problem.initial(jnp.asarray(xs), params))
        u = solve_periodic(
            u0, symbol(k, params), nonlinear, args,
            dt=dt, n_saves=t.size - 1, save_every=save_every, n_contour=options.n_contour,
        )
        method = {
            "method": METHOD, "dt": dt, "n_modes": n, "n_contour": options.n_contour,
            "dealias": "2/3 rule" if options.dealias else "none",
        }
        return u[:, :: options.oversample], method

    return solve
