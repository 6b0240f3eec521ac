"""Samplers: R3 retains exactly the high-residual points, the causal gate and its shift,
RAR-G adds the worst pool points, RAD and resampling stay in the domain."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.pinn import SamplerConfig, build_sampler, samplers, uniform_points

X, T = (0.0, 2.0), (0.0, 1.0)


def test_uniform_points_are_stratified_in_time_and_in_the_domain():
    pts = np.asarray(uniform_points(jax.random.key(0), 64, X, T))
    assert pts.shape == (64, 2)
    assert (pts[:, 0] >= 0).all() and (pts[:, 0] <= 2).all()
    counts = np.bincount(np.floor(pts[:, 1] * 8).astype(int), minlength=8)
    np.testing.assert_array_equal(counts, 8)


def test_r3_retains_exactly_the_points_above_the_mean_residual():
    s = build_sampler("r3", SamplerConfig(n_points=100), X, T)
    state = s.init(jax.random.key(1))
    r = jnp.abs(jax.random.normal(jax.random.key(2), (100,)))
    new = s.update(state, jax.random.key(3), jnp.asarray(0), r, None)
    keep = np.asarray(r > jnp.mean(r))
    old, pts = np.asarray(state.points), np.asarray(new.points)
    np.testing.assert_array_equal(pts[keep], old[keep])
    assert (np.abs(pts[~keep] - old[~keep]).max(axis=1) > 0).all()
    assert 0 < keep.sum() < 100


def test_causal_r3_gate_fitness_and_beta_update():
    cfg = SamplerConfig(n_points=50, alpha=5.0, beta0=-0.5, beta_lr=1e-3, tol=20.0, grad_clip=0.1)
    s = build_sampler("causal_r3", cfg, X, T)
    state = s.init(jax.random.key(4))
    assert float(s.gate(jnp.asarray(0.5), jnp.asarray(0.5))) == pytest.approx(0.5)
    np.testing.assert_allclose(s.weights(state), s.gate(state.points[:, 1], state.beta) ** 2)
    r = jnp.full((50,), 1e-3)
    new = s.update(state, jax.random.key(5), jnp.asarray(0), r, None)
    g = s.gate(state.points[:, 1], state.beta)
    keep = np.asarray(r * g > jnp.mean(r * g))  # early times are kept
    np.testing.assert_array_equal(np.asarray(new.points)[keep], np.asarray(state.points)[keep])
    push = min(np.exp(-20 * float(jnp.mean((r * g) ** 2))), 0.1)
    assert float(new.beta) == pytest.approx(-0.5 + 1e-3 * push)


def test_rar_g_adds_the_largest_residual_pool_points():
    cfg = SamplerConfig(n_points=10, n_add=3, max_added=6, pool=200, period=2)
    s = build_sampler("rar_g", cfg, X, T)
    state = s.init(jax.random.key(6))
    residual_fn = lambda p: p[:, 0]  # noqa: E731  largest x has largest residual
    assert float(jnp.sum(s.update(state, jax.random.key(7), jnp.asarray(0), None, residual_fn).active)) == 10
    new = s.update(state, jax.random.key(7), jnp.asarray(1), None, residual_fn)
    assert float(jnp.sum(new.active)) == 13
    pool = s._draw(jax.random.key(7), 200)
    np.testing.assert_allclose(np.sort(np.asarray(new.points[10:13, 0])), np.sort(np.asarray(pool[:, 0]))[-3:])
    for step in (3, 5, 7):
        new = s.update(new, jax.random.key(step), jnp.asarray(step), None, residual_fn)
    assert float(jnp.sum(new.active)) == 16  # capacity reached, no overflow


def test_rar_g_buffer_holds_only_what_the_run_can_add():
    cfg = SamplerConfig(n_points=10, n_add=3, max_added=60, pool=200, period=2)
    assert build_sampler("rar_g", cfg, X, T).capacity == 70
    assert build_sampler("rar_g", cfg, X, T, steps=9).capacity == 10 + 3 * 4  # updates after steps 2, 4, 6, 8
    assert build_sampler("rar_g", cfg, X, T, steps=1000).capacity == 70  # max_added still caps it
    assert build_sampler("rar_g", cfg, X, T, steps=1).capacity == 10
    assert build_sampler("r3", cfg, X, T, steps=9).capacity == 10


@pytest.mark.parametrize("name", samplers.names())
def test_every_sampler_stays_in_the_domain(name):
    s = build_sampler(name, SamplerConfig(n_points=20, pool=40, n_add=2, max_added=4), X, T)
    state = s.init(jax.random.key(8))
    for step in range(3):
        r = jnp.abs(state.points[:, 0] - 1)
        state = s.update(state, jax.random.key(9 + step), jnp.asarray(step), r, lambda p: p[:, 0] ** 2)
    pts = np.asarray(state.points)
    assert (pts[:, 0] >= X[0]).all() and (pts[:, 0] <= X[1]).all() and (pts[:, 1] <= T[1]).all()


def test_unknown_sampler():
    with pytest.raises(ValueError, match="unknown sampler 'r4'.*known"):
        build_sampler("r4", SamplerConfig(), X, T)
