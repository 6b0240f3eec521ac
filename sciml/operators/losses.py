"""Losses on batches of predicted functions: the relative L2 error of the FNO papers, and MSE.

A loss takes ``(pred, target, mask)`` with a leading batch axis, ``mask`` None or
broadcastable to ``target`` (1 at real points, 0 at padding), and returns a scalar.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["Loss", "mse", "rel_l2", "rel_l2_per_sample"]

Loss = Callable[[Array, Array, Array | None], Array]


def _flat(x: Array, mask: Array | None) -> Array:
    if mask is not None:
        x = x * jnp.broadcast_to(mask, x.shape).astype(x.dtype)
    return x.reshape(x.shape[0], -1)


def _norm(x: Float[Array, "batch n"]) -> Float[Array, " batch"]:
    # The `tiny` keeps the gradient finite where x is exactly 0 (sqrt'(0) is infinite).
    return jnp.sqrt(jnp.sum(x**2, axis=1) + jnp.finfo(x.dtype).tiny)


def rel_l2_per_sample(
    pred: Float[Array, "batch *shape"], target: Float[Array, "batch *shape"], mask: Array | None = None
) -> Float[Array, " batch"]:
    """``||pred - target|| / ||target||`` per sample, over all non-batch axes (masked points left out)."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from target shape {target.shape}")
    return _norm(_flat(pred - target, mask)) / _norm(_flat(target, mask))


def rel_l2(
    pred: Float[Array, "batch *shape"], target: Float[Array, "batch *shape"], mask: Array | None = None
) -> Array:
    """Relative L2 error per sample, averaged over the batch (the FNO ``LpLoss``, p = 2, size-averaged); 1 = as
    bad as predicting zero. Dimensionless."""
    return jnp.mean(rel_l2_per_sample(pred, target, mask))


def mse(pred: Float[Array, "batch *shape"], target: Float[Array, "batch *shape"], mask: Array | None = None) -> Array:
    """Mean squared error over the (unmasked) points of the batch, in the target's units squared."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from target shape {target.shape}")
    sq = (pred - target) ** 2
    if mask is None:
        return jnp.mean(sq)
    m = jnp.broadcast_to(mask, sq.shape).astype(sq.dtype)
    return jnp.sum(sq * m) / jnp.maximum(jnp.sum(m), 1.0)
