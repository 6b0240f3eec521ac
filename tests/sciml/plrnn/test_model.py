"""The shPLRNN map, its Jacobian and the observation models, against hand-written numpy."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.plrnn import Affine, Identity, PLRNNModel, ShallowPLRNN
from sciml.plrnn.model import normalized_positive_definite


def numpy_step(p, z, clipped):
    w2z = p["W2"] @ z
    phi = np.maximum(w2z + p["h2"], 0.0)
    if clipped:
        phi = phi - np.maximum(w2z, 0.0)
    return p["A"] * z + p["W1"] @ phi + p["h1"]


def as_numpy(m):
    return {k: np.asarray(getattr(m, k), np.float64) for k in ("A", "W1", "W2", "h1", "h2")}


@pytest.mark.parametrize("clipped", [True, False])
def test_step_matches_numpy(clipped):
    m = ShallowPLRNN(4, 7, clipped=clipped, key=jax.random.key(1))
    m = jax.tree.map(lambda a: a + 0.3, m)  # non-zero h1 (and h2 for the standard form)
    p = as_numpy(m)
    z = np.random.default_rng(0).normal(size=(20, 4)) * 2
    got = np.asarray(jax.vmap(m)(jnp.asarray(z, jnp.float32)))
    want = np.stack([numpy_step(p, zi, clipped) for zi in z])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # the generated orbit is the iterated map, starting with z0
    orbit = np.asarray(m.generate(jnp.asarray(z[0], jnp.float32), 5))
    zi = z[0]
    for t in range(5):
        np.testing.assert_allclose(orbit[t], zi, rtol=1e-4, atol=1e-4)
        zi = numpy_step(p, zi, clipped)


@pytest.mark.parametrize("clipped", [True, False])
def test_jacobian_matches_autodiff(clipped):
    m = ShallowPLRNN(3, 11, clipped=clipped, key=jax.random.key(2))
    for z in np.random.default_rng(1).normal(size=(5, 3)):
        z = jnp.asarray(z, jnp.float32)
        np.testing.assert_allclose(m.jacobian(z), jax.jacfwd(m)(z), rtol=1e-5, atol=1e-6)
        assert jnp.linalg.norm(m.jacobian(z), 2) <= m.norm_upper_bound() + 1e-5


def test_initialisation_as_in_reference():
    m, n_hidden = 5, 50
    model = ShallowPLRNN(m, n_hidden, key=jax.random.key(3))
    pd = np.asarray(normalized_positive_definite(m, key=jax.random.key(4)), np.float64)
    np.testing.assert_allclose(pd, pd.T, atol=1e-6)
    np.testing.assert_allclose(np.linalg.eigvalsh(pd).max(), 1.0, rtol=1e-5)
    assert np.all(np.linalg.eigvalsh(pd) > 0)
    assert np.all((model.A > 0) & (model.A <= 1.0 + 1e-6))
    assert np.all(model.h1 == 0)
    assert np.abs(model.W1).max() <= 1 / n_hidden**0.5 and np.abs(model.W2).max() <= 1 / m**0.5
    assert np.abs(model.h2).max() <= 1 / n_hidden**0.5 and np.abs(model.h2).max() > 0
    assert np.all(ShallowPLRNN(m, n_hidden, clipped=False, key=jax.random.key(3)).h2 == 0)


def test_clipped_form_bounded_standard_explodes():
    """With max|A| < 1 the clipped map's orbits stay in a ball whatever the weights; the standard form with the same
    weights and a positively fed-back ReLU grows without bound."""
    big = jax.tree.map(lambda a: 5.0 * jnp.abs(a), ShallowPLRNN(3, 20, key=jax.random.key(5)))
    big = eqx.tree_at(lambda m: m.A, big, jnp.full((3,), 0.9, jnp.float32))  # max|A| < 1, positive feedback
    clipped = big
    standard = ShallowPLRNN(3, 20, clipped=False, key=jax.random.key(6))
    arrays = lambda m: (m.A, m.W1, m.W2, m.h1, m.h2)  # noqa: E731
    standard = eqx.tree_at(arrays, standard, arrays(big))
    z0 = jnp.ones((3,), jnp.float32)
    # bound: |z_t| <= 0.9 |z_{t-1}| + c, c = ||W1||_inf-row-sums * max h2  ->  |z| <= |z0| + c / (1 - 0.9)
    c = float(jnp.max(jnp.sum(jnp.abs(clipped.W1), axis=1)) * jnp.max(jnp.abs(clipped.h2)))
    orbit = clipped.generate(z0, 2000)
    assert bool(jnp.all(jnp.isfinite(orbit)))
    assert float(jnp.max(jnp.abs(orbit))) <= 1.0 + c / 0.1 + 1e-3
    grown = standard.generate(z0, 200)
    assert not bool(jnp.all(jnp.isfinite(grown))) or float(jnp.max(jnp.abs(grown))) > 1e6


def test_bad_sizes_are_one_line_errors():
    with pytest.raises(ValueError, match="latent must be a positive integer"):
        ShallowPLRNN(0, 10, key=jax.random.key(0))
    with pytest.raises(ValueError, match="latent >= n_obs"):
        Identity(3, 2, key=jax.random.key(0))
    with pytest.raises(ValueError, match="unknown observation model 'linear'"):
        PLRNNModel.build(3, 3, 10, observation="linear", key=jax.random.key(0))


def test_identity_observation():
    obs = Identity(2, 4, key=jax.random.key(0))
    x = jnp.asarray([0.5, -1.0], jnp.float32)
    z0 = obs.init_state(x)
    np.testing.assert_allclose(z0[:2], x)
    np.testing.assert_allclose(z0[2:], obs.L @ x, rtol=1e-6)
    np.testing.assert_allclose(obs(jnp.arange(4.0)), [0.0, 1.0])
    np.testing.assert_allclose(obs.forcing_signal(x), [0.5, -1.0, 0.0, 0.0])
    assert obs.forced_mask().tolist() == [True, True, False, False]
    assert Identity(3, 3, key=jax.random.key(0)).L is None


def test_affine_observation_inverts():
    obs = Affine(3, 5, use_bias=True, key=jax.random.key(0))
    z = jnp.asarray([0.1, -0.2, 0.3, 0.4, -0.5], jnp.float32)
    x = obs(z)
    np.testing.assert_allclose(obs(obs.forcing_signal(x)), x, rtol=1e-4, atol=1e-5)  # B pinv(B) = I for rank N
    assert obs.forced_mask().all()
