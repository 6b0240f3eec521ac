"""Causal training (Wang, Sankaran & Perdikaris 2022, "Respecting causality is all you need").

The residual loss is split into ``M`` time chunks with losses ``L_1..L_M`` (mean squared
residual of the points in each chunk); chunk ``i`` is weighted by
``w_i = exp(-eps * sum_{k<i} L_k)``, held constant in the gradient, so later times count
only once earlier ones are fitted. ``eps`` runs through a schedule (default
``1e-2, 1e-1, 1, 10, 100``), moving on once ``min w > threshold`` (0.99).

Points may lie anywhere in time: they are binned into the ``M`` equal chunks of ``t_domain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int


@dataclass(frozen=True)
class CausalConfig:
    """Options of causal training.

    Attributes:
        n_chunks: time chunks ``M``.
        eps: the schedule of causality parameters.
        threshold: move to the next ``eps`` once every weight exceeds this.
    """

    n_chunks: int = field(default=32, metadata={"min": 1})
    eps: tuple[float, ...] = (1e-2, 1e-1, 1.0, 10.0, 100.0)
    threshold: float = 0.99

    def __post_init__(self):
        if not self.eps or any(e <= 0 for e in self.eps):
            raise ValueError(f"causal eps must be a non-empty list of positive numbers, got {list(self.eps)}")


def chunk_losses(r2: Float[Array, " n"], weights: Float[Array, " n"], t: Float[Array, " n"], t_domain,
                 n_chunks: int) -> Float[Array, " M"]:
    """Weighted mean of ``r2`` over the points of each of ``n_chunks`` equal time chunks
    (a chunk without points has loss 0)."""
    t0, t1 = t_domain
    idx = jnp.clip(jnp.floor((t - t0) / (t1 - t0) * n_chunks).astype(jnp.int32), 0, n_chunks - 1)
    num = jax.ops.segment_sum(weights * r2, idx, n_chunks)
    den = jax.ops.segment_sum(weights, idx, n_chunks)
    return num / jnp.maximum(den, 1e-12)


def causal_weights(losses: Float[Array, " M"], eps: Float[Array, ""]) -> Float[Array, " M"]:
    """``w_i = exp(-eps * sum_{k<i} L_k)``, with the gradient stopped."""
    before = jnp.concatenate([jnp.zeros((1,), losses.dtype), jnp.cumsum(losses)[:-1]])
    return jax.lax.stop_gradient(jnp.exp(-eps * before))


def causal_loss(losses: Float[Array, " M"], eps: Float[Array, ""]) -> tuple[Float[Array, ""], Float[Array, " M"]]:
    """``(mean(w * L), w)``."""
    w = causal_weights(losses, eps)
    return jnp.mean(w * losses), w


def next_eps_index(index: Int[Array, ""], weights: Float[Array, " M"], cfg: CausalConfig) -> Int[Array, ""]:
    """The schedule's next position: one further once ``min w > threshold``, capped at the end."""
    advance = (jnp.min(weights) > cfg.threshold) & (index < len(cfg.eps) - 1)
    return index + advance.astype(index.dtype)
