"""Closed-form ridge (Tikhonov) regression, the readout of every reservoir computer here.

Given features X (T, F) and targets Y (T, O), the readout W (F, O) solves

    (X^T X + beta P) W = X^T Y,       P = diag(0, ..., 0, 1, ..., 1)

where the first ``unpenalized`` columns of X (a constant column, for an intercept) are not
penalised (P has zeros there); with ``unpenalized = 0``, P = I. An unpenalised constant
column gives the same W as centring X and Y and fitting an intercept, which is what
reservoirpy's ``Ridge(fit_bias=True)`` does.

The solve is a Cholesky factorisation in float64: the Gram matrix of reservoir states is
badly conditioned (condition numbers of 1e10 and more at beta ~ 1e-6 are common), and in
float32 the readout loses most of its digits. Inputs of any float dtype are cast to
float64, which needs ``jax_enable_x64`` (``sciml.reservoir`` turns it on when imported, as
``chaos`` does).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["ridge_solve", "gram"]


def gram(features: Float[Array, "T F"], targets: Float[Array, "T O"]) -> tuple[Array, Array]:
    """X^T X (F, F) and X^T Y (F, O) in float64."""
    _need_x64()
    x = jnp.asarray(features, jnp.float64)
    y = jnp.asarray(targets, jnp.float64)
    return x.T @ x, x.T @ y


def ridge_solve(
    features: Float[Array, "T F"],
    targets: Float[Array, "T O"],
    beta: float | Float[Array, ""],
    *,
    unpenalized: int = 0,
) -> Float[Array, "F O"]:
    """The ridge readout W (F, O), float64, with ``features @ W ~ targets``.

    Args:
        features: X, shape (T, F): one feature vector per row.
        targets: Y, shape (T, O).
        beta: ridge parameter, >= 0 (may be traced); with beta = 0, X must have full column rank.
        unpenalized: how many leading columns of X are left out of the penalty (0 or 1 in
            practice: 1 when the first column is the constant 1 and the intercept should be free).

    Raises (under jit too, via ``eqx.error_if``): when the Cholesky factorisation fails
    (X^T X + beta P not positive definite: beta too small for rank-deficient features).
    """
    x2, xy = gram(features, targets)
    return solve_normal_equations(x2, xy, beta, unpenalized=unpenalized)


def solve_normal_equations(x2: Array, xy: Array, beta, *, unpenalized: int = 0) -> Array:
    """W from the Gram matrices ``x2 = X^T X`` (F, F) and ``xy = X^T Y`` (F, O); see :func:`ridge_solve`."""
    n = x2.shape[0]
    if not 0 <= unpenalized <= n:
        raise ValueError(f"unpenalized must be in [0, {n}] (number of feature columns), got {unpenalized}")
    if isinstance(beta, (int, float)) and beta < 0:
        raise ValueError(f"ridge parameter beta must be >= 0, got {beta}")
    penalty = jnp.where(jnp.arange(n) < unpenalized, 0.0, 1.0)
    a = x2 + jnp.asarray(beta, jnp.float64) * jnp.diag(penalty)
    factor = jax.scipy.linalg.cho_factor(a, lower=True)
    w = jax.scipy.linalg.cho_solve(factor, xy)
    return eqx.error_if(
        w, ~jnp.all(jnp.isfinite(w)),
        "ridge readout is not finite: X^T X + beta P is not positive definite (raise beta, or the features contain NaN/inf)",
    )


def _need_x64() -> None:
    if not jax.config.read("jax_enable_x64"):
        raise RuntimeError("the ridge readout is solved in float64: enable it with "
                           "jax.config.update('jax_enable_x64', True) (importing sciml.reservoir does)")
