"""Input embeddings of a physics-informed network: coordinates ``(x, t)`` in, features out.

* :class:`CoordinateScaling` maps ``x`` and ``t`` of their domains onto ``[-1, 1]``.
* :class:`PeriodicEmbedding` replaces ``x`` by ``cos(k w (x - a)), sin(k w (x - a))``,
  ``w = 2 pi / (b - a)``, ``k = 1..harmonics``: any network on these features is exactly
  periodic in ``x`` (Dong & Ni 2021; as in jaxpi).
* :class:`FourierFeatures` maps features ``z`` to ``[cos(B z), sin(B z)]`` with a fixed
  Gaussian matrix ``B`` (Tancik et al. 2020), which fights the spectral bias of plain MLPs.

Each embedding handles one sample; the network vmaps.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray


class CoordinateScaling(eqx.Module):
    """``(x, t) -> (x_hat, t_hat)`` in ``[-1, 1]^2``; with ``periodic_harmonics > 0`` the
    ``x`` coordinate becomes ``2 * periodic_harmonics`` periodic features instead."""

    x_domain: tuple[float, float] = eqx.field(static=True)
    t_domain: tuple[float, float] = eqx.field(static=True)
    periodic_harmonics: int = eqx.field(static=True, default=0)

    @property
    def out_size(self) -> int:
        return 1 + (2 * self.periodic_harmonics if self.periodic_harmonics else 1)

    def __call__(self, x: Float[Array, ""], t: Float[Array, ""]) -> Float[Array, " features"]:
        (a, b), (t0, t1) = self.x_domain, self.t_domain
        t_hat = 2 * (t - t0) / (t1 - t0) - 1
        if self.periodic_harmonics:
            k = jnp.arange(1, self.periodic_harmonics + 1, dtype=x.dtype)
            phase = k * (2 * math.pi / (b - a)) * (x - a)
            return jnp.concatenate([jnp.cos(phase), jnp.sin(phase), t_hat[None]])
        return jnp.stack([2 * (x - a) / (b - a) - 1, t_hat])


class FourierFeatures(eqx.Module):
    """``z -> [cos(B z), sin(B z)]``, ``B (n_features, in_size) ~ N(0, scale^2)``, not trained."""

    matrix: Float[Array, "n in_size"]

    def __init__(self, in_size: int, n_features: int, scale: float, *, key: PRNGKeyArray, dtype=jnp.float32):
        if n_features < 1:
            raise ValueError(f"FourierFeatures needs n_features >= 1, got {n_features}")
        self.matrix = scale * jax.random.normal(key, (n_features, in_size), dtype=dtype)

    @property
    def out_size(self) -> int:
        return 2 * self.matrix.shape[0]

    def __call__(self, z: Float[Array, " in_size"]) -> Float[Array, " out"]:
        proj = jax.lax.stop_gradient(self.matrix) @ z
        return jnp.concatenate([jnp.cos(proj), jnp.sin(proj)])
