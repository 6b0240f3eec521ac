"""Causal weights on a designed loss, chunking by time, the eps schedule."""

import jax
import jax.numpy as jnp
import numpy as np

from sciml.pinn import CausalConfig, causal_loss, causal_weights, chunk_losses, next_eps_index


def test_weights_of_a_designed_loss():
    losses = jnp.array([1.0, 2.0, 3.0, 0.0])
    w = causal_weights(losses, jnp.asarray(0.5))
    np.testing.assert_allclose(w, np.exp(-0.5 * np.array([0.0, 1.0, 3.0, 6.0])), rtol=1e-12)


def test_weights_carry_no_gradient():
    losses = jnp.array([1.0, 2.0, 3.0])
    grad = jax.grad(lambda v: causal_loss(v, jnp.asarray(1.0))[0])(losses)
    np.testing.assert_allclose(grad, causal_weights(losses, jnp.asarray(1.0)) / 3, rtol=1e-12)


def test_chunk_losses_bin_points_by_time():
    t = jnp.array([0.05, 0.1, 0.3, 0.9, 1.0])
    r2 = jnp.array([1.0, 3.0, 5.0, 7.0, 9.0])
    w = jnp.array([1.0, 1.0, 1.0, 1.0, 0.0])  # the last point is an empty slot
    np.testing.assert_allclose(chunk_losses(r2, w, t, (0.0, 1.0), 4), [2.0, 5.0, 0.0, 7.0])


def test_eps_moves_on_only_when_all_weights_are_near_one():
    cfg = CausalConfig(eps=(0.1, 1.0))
    i = jnp.asarray(0)
    assert int(next_eps_index(i, jnp.array([1.0, 0.98]), cfg)) == 0
    assert int(next_eps_index(i, jnp.array([1.0, 0.995]), cfg)) == 1
    assert int(next_eps_index(jnp.asarray(1), jnp.array([1.0, 1.0]), cfg)) == 1  # end of the schedule
