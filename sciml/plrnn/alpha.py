"""Adaptive GTF: the forcing strength ``alpha`` from the spectral norms of the model's Jacobians.

GTF with ``alpha`` bounds the back-propagated Jacobian products by ``((1 - alpha) G)^T``, where ``G``
bounds the norms ``||J_t||_2`` of the model's Jacobians along the sequence; the smallest ``alpha``
that keeps them from growing is (Hess et al. 2023, Theorem 1)

    alpha = max(0, 1 - 1 / G).

The estimators of ``G`` (as in DurstewitzLab/GTF-shPLRNN), from the Jacobians ``J_t`` at the
data-inferred latent states ``z_data_t`` of a batch of sequences (B, T, M):

* ``"product_upper_bound"`` (the reference's default): per sequence the geometric mean of
  ``||J_t||_2`` over t, then the maximum over the batch;
* ``"batch_maximum"``: the largest ``||J_t||_2`` in the batch;
* ``"arithmetic_mean"``: per sequence ``||mean_t J_t||_2``, then the maximum over the batch;
* ``"jacobian_upper_bound"``: ``max|A| + ||W1||_2 ||W2||_2`` from the parameters (no data).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .model import ShallowPLRNN

__all__ = ["ESTIMATORS", "alpha_from_norm", "estimate_alpha", "jacobian_norm_bound", "spectral_norm", "update_alpha"]

ESTIMATORS = ("product_upper_bound", "batch_maximum", "arithmetic_mean", "jacobian_upper_bound")


def alpha_from_norm(g: Float[Array, "..."]) -> Float[Array, "..."]:
    """``max(0, 1 - 1/G)``: the GTF ``alpha`` for a Jacobian norm bound ``G`` (``G = 0`` gives 0)."""
    return jnp.maximum(0.0, 1.0 - 1.0 / g)


def spectral_norm(mat: Float[Array, "... M M"]) -> Float[Array, "..."]:
    """The spectral norm (largest singular value) of each matrix, as ``sqrt(lambda_max(J^T J))`` (a symmetric
    eigenproblem, cheaper than an SVD on CPU)."""
    gram = jnp.einsum("...ij,...ik->...jk", mat, mat)
    return jnp.sqrt(jnp.maximum(jnp.linalg.eigvalsh(gram)[..., -1], 0.0))


def _spectral_norms(dynamics: ShallowPLRNN, z: Float[Array, "B T M"]) -> Float[Array, "B T"]:
    return spectral_norm(jax.vmap(jax.vmap(dynamics.jacobian))(z))


def jacobian_norm_bound(dynamics: ShallowPLRNN, z: Float[Array, "B T M"], estimator: str) -> Float[Array, ""]:
    """The bound ``G`` of ``estimator`` (see the module docstring) at the latent states ``z`` (B, T, M)."""
    if estimator == "product_upper_bound":
        return jnp.max(jnp.exp(jnp.mean(jnp.log(_spectral_norms(dynamics, z)), axis=1)))
    if estimator == "batch_maximum":
        return jnp.max(_spectral_norms(dynamics, z))
    if estimator == "arithmetic_mean":
        mean_jac = jnp.mean(jax.vmap(jax.vmap(dynamics.jacobian))(z), axis=1)
        return jnp.max(spectral_norm(mean_jac))
    if estimator == "jacobian_upper_bound":
        return dynamics.norm_upper_bound()
    raise ValueError(f"unknown alpha estimator {estimator!r}; known: {', '.join(ESTIMATORS)}")


def estimate_alpha(dynamics: ShallowPLRNN, z: Float[Array, "B T M"], estimator: str) -> Float[Array, ""]:
    """``alpha_from_norm(jacobian_norm_bound(dynamics, z, estimator))``."""
    return alpha_from_norm(jacobian_norm_bound(dynamics, z, estimator))


def update_alpha(alpha: Float[Array, ""], alpha_est: Float[Array, ""], decay: float) -> Float[Array, ""]:
    """The aGTF annealing rule: jump up to a larger estimate at once, decay towards a smaller one
    (``decay alpha + (1 - decay) alpha_est``)."""
    return jnp.where(alpha_est > alpha, alpha_est, decay * alpha + (1 - decay) * alpha_est)
