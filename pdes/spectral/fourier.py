"""Fourier grids, wavenumbers, derivatives and dealiasing for real periodic fields.

A field on a periodic interval ``[a, b)`` of length ``L = b - a`` is sampled at ``n``
equispaced points ``x_j = a + j L / n`` (the right end is the left end, so it is left out);
its real FFT (``jnp.fft.rfft``) has ``n // 2 + 1`` modes with angular wavenumbers
``k_m = 2 pi m / L``, in inverse x units.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float


def grid(n: int, domain: tuple[float, float]) -> Float[np.ndarray, " n"]:
    """The ``n`` equispaced points of the periodic interval ``domain = (a, b)``, b excluded."""
    if n < 2:
        raise ValueError(f"a periodic grid needs at least 2 points, got n={n}")
    a, b = domain
    return a + (b - a) * np.arange(n) / n


def wavenumbers(n: int, length: float) -> Float[Array, " m"]:
    """Angular wavenumbers ``2 pi m / length`` of the ``m = n // 2 + 1`` rfft modes, float64."""
    return 2 * jnp.pi / length * jnp.arange(n // 2 + 1, dtype=jnp.float64)


def dealias_mask(n: int, fraction: float = 2 / 3) -> Bool[Array, " m"]:
    """True for the rfft modes kept by the ``fraction`` rule (Orszag's 2/3 rule by default):
    mode ``m`` is kept when ``m < fraction * n / 2``, so that quadratic products of the kept
    modes alias only onto discarded ones."""
    return jnp.arange(n // 2 + 1) < fraction * n / 2


def derivative(u: Float[Array, "... n"], order: int, length: float) -> Float[Array, "... n"]:
    """The ``order``-th x-derivative of a periodic field sampled on :func:`grid` (last axis).

    For odd orders the Nyquist mode (even ``n``) is dropped, since its derivative is not
    representable as a real field on the grid.
    """
    n = u.shape[-1]
    ik = 1j * wavenumbers(n, length)
    factor = ik**order
    if order % 2 == 1 and n % 2 == 0:
        factor = factor.at[-1].set(0.0)
    return jnp.fft.irfft(factor * jnp.fft.rfft(u, axis=-1), n=n, axis=-1)
