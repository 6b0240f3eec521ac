"""Gaussian random fields on the unit torus.

A :class:`GaussianRandomField` is the mean-zero Gaussian measure with covariance operator
``C = sigma^2 (-Laplacian + tau^2 I)^(-alpha)`` on ``[0, 1)^d`` with periodic boundaries,
less its constant mode (the fields have zero spatial mean, as in the FNO data sets).
The Fourier modes ``e_k(x) = exp(2 pi i k.x)`` are its eigenfunctions, so a field is

    w(x) = sum_{k != 0} c_k exp(2 pi i k.x),   E |c_k|^2 = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha),

with ``c_{-k} = conj(c_k)``. On an ``n^d`` grid it is drawn by colouring white noise:
``rfftn`` of i.i.d. standard normals has ``E |xi_k|^2 = n^d``, so multiplying by
``sqrt(n^d E|c_k|^2)`` and transforming back gives the field at the grid points, with
modes up to the grid's Nyquist frequency.

>>> field = GaussianRandomField(sigma=25.0, tau=5.0, alpha=2.0)   # 625 (-Laplacian + 25 I)^-2
>>> w = field.sample(jax.random.key(0), n=1024, dim=1)             # (1024,)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Key


@dataclass(frozen=True)
class GaussianRandomField:
    """Mean-zero Gaussian field with covariance ``sigma^2 (-Laplacian + tau^2 I)^(-alpha)``
    on the unit torus, constant mode removed.

    Attributes:
        sigma: the standard-deviation prefactor (the covariance has ``sigma^2``).
        tau: inverse length scale; ``tau^2`` shifts the Laplacian.
        alpha: the power of the shifted Laplacian; the field has ``alpha - d / 2``
            derivatives in mean square, so larger is smoother.
    """

    sigma: float = field(metadata={"min": 0.0})
    tau: float = field(metadata={"min": 0.0})
    alpha: float = field(metadata={"min": 0.0})

    def __post_init__(self):
        if self.sigma < 0 or self.tau < 0 or self.alpha <= 0:
            raise ValueError(f"need sigma >= 0, tau >= 0, alpha > 0; got {self}")

    def describe(self) -> str:
        """The covariance in words, for a Dataset's attrs."""
        return f"{self.sigma:g}^2 (-Laplacian + {self.tau:g}^2 I)^(-{self.alpha:g}) on [0, 1)^d, constant mode removed"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    def spectrum(self, n: int, dim: int) -> Float[np.ndarray, "..."]:
        """``E |c_k|^2`` on the ``rfftn`` modes of an ``n^d`` grid, shape ``(n,) * (d - 1) +
        (n // 2 + 1,)``; zero at ``k = 0``."""
        axes = [np.fft.fftfreq(n, 1 / n)] * (dim - 1) + [np.fft.rfftfreq(n, 1 / n)]
        k2 = sum(k**2 for k in np.meshgrid(*axes, indexing="ij"))
        power = self.sigma**2 * (4 * np.pi**2 * k2 + self.tau**2) ** (-self.alpha)
        power.flat[0] = 0.0
        return power

    def sample(self, key: Key[Array, ""], n: int, dim: int, dtype=jnp.float64) -> Float[Array, "..."]:
        """One field at the ``n^d`` grid points ``x_j = j / n`` (axes in the order x, y, ...).

        The noise is drawn in float64 and the result cast to ``dtype``, so a float32 field is
        the float64 one rounded.
        """
        if n < 2 or n % 2:
            raise ValueError(f"the grid needs an even number of points >= 2, got n={n}")
        shape = (n,) * dim
        noise = jax.random.normal(key, shape, dtype=jnp.float64)
        scale = jnp.sqrt(n**dim * self.spectrum(n, dim))
        return jnp.fft.irfftn(scale * jnp.fft.rfftn(noise), s=shape).astype(dtype)

