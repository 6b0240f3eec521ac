"""The shallow piecewise-linear RNN (shPLRNN) of Hess et al. (ICML 2023).

    z_t = A z_{t-1} + W1 relu(W2 z_{t-1} + h2) + h1                      (standard)
    z_t = A z_{t-1} + W1 [relu(W2 z_{t-1} + h2) - relu(W2 z_{t-1})] + h1  (clipped)

with ``A`` diagonal (stored as its diagonal, shape (M,)), ``W1`` (M, L), ``W2`` (L, M),
``h1`` (M,), ``h2`` (L,): ``M`` latent states, ``L`` hidden units. The clipped form's
nonlinear term is bounded (each entry of the bracket lies between 0 and ``h2``), so
``|z_t| <= max|A| |z_{t-1}| + const``: with ``max|A| < 1`` every orbit stays bounded.

Initialisation follows DurstewitzLab/GTF-shPLRNN: ``A`` is the diagonal of a random positive
definite matrix scaled to unit largest eigenvalue (Talathi & Vartak 2016), ``h1 = 0``,
``W1`` and ``W2`` uniform in ``+-1/sqrt(fan_in)`` (fan_in ``L`` for ``W1``, ``M`` for ``W2``),
``h2`` uniform in ``+-1/sqrt(L)`` for the clipped model and zero for the standard one.

>>> model = ShallowPLRNN(3, 100, key=jax.random.key(0))
>>> z1 = model(z0)                      # (3,) -> (3,)
>>> zs = model.generate(z0, 1000)       # (1000, 3); zs[0] == z0
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

__all__ = ["ShallowPLRNN", "normalized_positive_definite"]


def normalized_positive_definite(m: int, *, key: PRNGKeyArray, dtype=jnp.float32) -> Float[Array, "m m"]:
    """``K / lambda_max(K)`` with ``K = R^T R / m + I``, ``R`` standard normal (m, m): symmetric positive
    definite with largest eigenvalue 1."""
    r = jax.random.normal(key, (m, m), dtype=dtype)
    k = r.T @ r / m + jnp.eye(m, dtype=dtype)
    return k / jnp.max(jnp.abs(jnp.linalg.eigvalsh(k)))


def _uniform(key, shape, fan_in, dtype):
    bound = 1.0 / fan_in**0.5
    return jax.random.uniform(key, shape, dtype=dtype, minval=-bound, maxval=bound)


class ShallowPLRNN(eqx.Module):
    """One shPLRNN map ``z_{t-1} -> z_t`` on a single latent state (the caller vmaps over a batch).

    Attributes:
        A: diagonal of the linear (autoregressive) term, (M,).
        W1: hidden-to-latent weights, (M, L).
        W2: latent-to-hidden weights, (L, M).
        h1: latent bias, (M,).
        h2: hidden thresholds, (L,).
        clipped: the clipped form ``W1 [relu(W2 z + h2) - relu(W2 z)]`` (bounded orbits for ``max|A| < 1``).
    """

    A: Float[Array, " M"]
    W1: Float[Array, "M L"]
    W2: Float[Array, "L M"]
    h1: Float[Array, " M"]
    h2: Float[Array, " L"]
    clipped: bool = eqx.field(static=True)

    def __init__(self, latent: int, hidden: int, *, clipped: bool = True, dtype=jnp.float32, key: PRNGKeyArray):
        """
        Args:
            latent: ``M``, the number of latent states (>= 1).
            hidden: ``L``, the number of hidden units (>= 1).
            clipped: use the clipped form (the reference's default for Lorenz-63).
            dtype: parameter dtype (float32 unless told otherwise).
            key: PRNG key of the initialisation.
        """
        for name, v in (("latent", latent), ("hidden", hidden)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"ShallowPLRNN {name} must be a positive integer, got {v!r}")
        k_a, k_w1, k_w2, k_h2 = jax.random.split(key, 4)
        self.A = jnp.diag(normalized_positive_definite(latent, key=k_a, dtype=dtype))
        self.W1 = _uniform(k_w1, (latent, hidden), hidden, dtype)
        self.W2 = _uniform(k_w2, (hidden, latent), latent, dtype)
        self.h1 = jnp.zeros((latent,), dtype)
        self.h2 = _uniform(k_h2, (hidden,), hidden, dtype) if clipped else jnp.zeros((hidden,), dtype)
        self.clipped = bool(clipped)

    @property
    def latent(self) -> int:
        return self.A.shape[0]

    @property
    def hidden(self) -> int:
        return self.h2.shape[0]

    def hyperparameters(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-ready), to rebuild the skeleton of a checkpoint."""
        return {"latent": self.latent, "hidden": self.hidden, "clipped": self.clipped,
                "dtype": jnp.dtype(self.A.dtype).name}

    def __call__(self, z: Float[Array, " M"]) -> Float[Array, " M"]:
        """One step ``z_{t-1} -> z_t`` (dimensionless latent units)."""
        w2z = self.W2 @ z
        phi = jax.nn.relu(w2z + self.h2)
        if self.clipped:
            phi = phi - jax.nn.relu(w2z)
        return self.A * z + self.W1 @ phi + self.h1

    def jacobian(self, z: Float[Array, " M"]) -> Float[Array, "M M"]:
        """``d z_t / d z_{t-1}`` at ``z``: ``diag(A) + W1 diag(D(z)) W2`` with ``D`` the ReLU slopes
        (for the clipped form, ``1[W2 z > -h2] - 1[W2 z > 0]``)."""
        w2z = self.W2 @ z
        d = (w2z > -self.h2).astype(z.dtype)
        if self.clipped:
            d = d - (w2z > 0).astype(z.dtype)
        return jnp.diag(self.A) + (self.W1 * d[None, :]) @ self.W2

    def norm_upper_bound(self) -> Float[Array, ""]:
        """``max|A| + ||W1||_2 ||W2||_2``: bounds the spectral norm of every Jacobian of the map."""
        return jnp.max(jnp.abs(self.A)) + jnp.linalg.norm(self.W1, 2) * jnp.linalg.norm(self.W2, 2)

    def generate(self, z0: Float[Array, " M"], n: int) -> Float[Array, "n M"]:
        """The orbit ``z0, F(z0), ..., F^{n-1}(z0)`` under ``lax.scan``, shape (n, M); ``n`` is static."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"generate needs n >= 1 time steps, got {n!r}")

        def step(z, _):
            z_next = self(z)
            return z_next, z_next

        _, zs = jax.lax.scan(step, z0, None, length=n - 1)
        return jnp.concatenate([z0[None], zs], axis=0)
