"""ETDRK4: fourth-order exponential time differencing Runge-Kutta for stiff semilinear
problems ``v_t = L v + N(v)`` with a diagonal linear part ``L``.

Here ``v`` is the vector of Fourier coefficients of a periodic field, ``L`` the symbol of
its linear operator (e.g. ``-nu k^2`` for diffusion) and ``N`` the nonlinear term evaluated
pseudo-spectrally. The scheme is that of Cox & Matthews (2002); the phi-functions in its
coefficients are evaluated, as Kassam & Trefethen (2005) propose, by the trapezoidal rule
on a circle of radius 1 around each ``h L`` in the complex plane, which avoids the
cancellation of the direct formulas when ``|h L|`` is small. The full circle is used, so
complex symbols (dispersive terms) are handled as well as real ones.

>>> coeffs = etdrk4_coefficients(linear, dt)                  # once per (L, dt)
>>> vs = etdrk4_integrate(coeffs, nonlinear, v0, args, n_saves=100, save_every=10)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Complex, Float, Inexact

# nonlinear(v, args) -> N(v): Fourier coefficients in, Fourier coefficients out
Nonlinear = Callable[[Complex[Array, " m"], Any], Complex[Array, " m"]]


class Etdrk4Coefficients(eqx.Module):
    """The per-mode factors of one ETDRK4 step of size ``dt``, each of shape (m,).

    ``e = exp(dt L)``, ``e2 = exp(dt L / 2)``, ``q = dt phi1(dt L / 2) / 2`` and ``f1, f2,
    f3`` the weights of the final stage (Kassam & Trefethen's alpha, beta, gamma).
    """

    dt: Float[Array, ""]
    e: Inexact[Array, " m"]
    e2: Inexact[Array, " m"]
    q: Inexact[Array, " m"]
    f1: Inexact[Array, " m"]
    f2: Inexact[Array, " m"]
    f3: Inexact[Array, " m"]


def etdrk4_coefficients(
    linear: Inexact[Array, " m"], dt: float, n_contour: int = 64
) -> Etdrk4Coefficients:
    """Coefficients of ETDRK4 steps of size ``dt`` for the diagonal linear symbol ``linear``.

    Args:
        linear: the eigenvalues of ``L`` per Fourier mode, in inverse time units; real
            (dissipative terms) or complex (dispersive terms).
        dt: the time step.
        n_contour: points of the trapezoidal rule on the unit circle around each ``dt L``;
            64 on the full circle matches Kassam & Trefethen's 32 on the upper half.
    """
    if dt <= 0:
        raise ValueError(f"the time step must be positive, got dt={dt}")
    if n_contour < 8:
        raise ValueError(f"n_contour={n_contour} is too few contour points (use 32 or more)")
    linear = jnp.asarray(linear)
    h = jnp.asarray(dt, dtype=jnp.float64)
    hl = (h * linear).astype(jnp.complex128)
    roots = jnp.exp(2j * jnp.pi * (jnp.arange(n_contour) + 0.5) / n_contour)
    z = hl[:, None] + roots[None, :]
    ez = jnp.exp(z)
    mean = partial(jnp.mean, axis=1)
    q = h * mean((jnp.exp(z / 2) - 1) / z)
    f1 = h * mean((-4 - z + ez * (4 - 3 * z + z**2)) / z**3)
    f2 = h * mean((2 + z + ez * (z - 2)) / z**3)
    f3 = h * mean((-4 - 3 * z - z**2 + ez * (4 - z)) / z**3)
    e, e2 = jnp.exp(hl), jnp.exp(hl / 2)
    factors = (e, e2, q, f1, f2, f3)
    if not jnp.iscomplexobj(linear):  # the imaginary parts are round-off
        factors = tuple(f.real for f in factors)
    return Etdrk4Coefficients(h, *factors)


def etdrk4_step(
    coeffs: Etdrk4Coefficients, nonlinear: Nonlinear, v: Complex[Array, " m"], args: Any = None
) -> Complex[Array, " m"]:
    """One ETDRK4 step (Cox & Matthews) of the autonomous problem ``v_t = L v + N(v, args)``."""
    c = coeffs
    nv = nonlinear(v, args)
    a = c.e2 * v + c.q * nv
    na = nonlinear(a, args)
    b = c.e2 * v + c.q * na
    nb = nonlinear(b, args)
    cc = c.e2 * a + c.q * (2 * nb - nv)
    nc = nonlinear(cc, args)
    return c.e * v + c.f1 * nv + 2 * c.f2 * (na + nb) + c.f3 * nc


def etdrk4_integrate(
    coeffs: Etdrk4Coefficients,
    nonlinear: Nonlinear,
    v0: Complex[Array, " m"],
    args: Any = None,
    *,
    n_saves: int,
    save_every: int,
) -> Complex[Array, "n_saves+1 m"]:
    """Take ``n_saves * save_every`` steps from ``v0``, keeping every ``save_every``-th state.

    Returns the states at times ``0, save_every dt, ..., n_saves save_every dt``, the initial
    state first. Compiled once per ``nonlinear`` (a module-level function, so that the cache
    hits), ``n_saves`` and array shapes; ``dt``, ``save_every`` and ``args`` are traced.
    """
    if n_saves < 1 or save_every < 1:
        raise ValueError(f"n_saves and save_every must be >= 1, got {n_saves}, {save_every}")
    v0 = jnp.asarray(v0, dtype=jnp.complex128)
    return _integrate(coeffs, v0, args, jnp.asarray(save_every), nonlinear=nonlinear, n_saves=n_saves)


@partial(jax.jit, static_argnames=("nonlinear", "n_saves"))
def _integrate(coeffs, v0, args, save_every, *, nonlinear, n_saves):
    def advance(v, _):
        v = lax.fori_loop(0, save_every, lambda _, w: etdrk4_step(coeffs, nonlinear, w, args), v)
        return v, v

    _, vs = lax.scan(advance, v0, length=n_saves)
    return jnp.concatenate([v0[None], vs])
