"""DeepONet: shapes, errors, a checkpoint round trip, and a quick fit of the antiderivative operator."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import operators
from sciml.operators import DeepONet

KEY = jax.random.PRNGKey(0)


def test_shapes():
    model = DeepONet(n_sensors=20, coord_dim=2, out_channels=3, width=16, depth=2, n_basis=8, key=KEY)
    assert model.hyperparameters()["n_basis"] == 8
    out = model(jnp.ones(20, jnp.float32), jnp.zeros((7, 2), jnp.float32))
    assert out.shape == (3, 7) and out.dtype == jnp.float32
    assert model(jnp.ones((2, 10)), jnp.zeros((5, 2))).shape == (3, 5)  # a 2-channel input, flattened
    batched = jax.vmap(model, in_axes=(0, None))(jnp.ones((4, 20)), jnp.zeros((7, 2)))
    assert batched.shape == (4, 3, 7)


def test_clear_errors():
    model = DeepONet(20, 1, 1, width=8, depth=1, n_basis=4, key=KEY)
    with pytest.raises(ValueError, match=r"expects 20 sensor values, got shape \(19,\)"):
        model(jnp.ones(19), jnp.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"coords \(n_points, 1\), got shape \(3, 2\)"):
        model(jnp.ones(20), jnp.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_basis must be a positive integer, got 0"):
        DeepONet(20, 1, 1, width=8, depth=1, n_basis=0, key=KEY)


def test_checkpoint_reloads_from_the_registry(tmp_path):
    model = DeepONet(12, 1, 2, width=8, depth=2, n_basis=4, activation="tanh", key=KEY)
    operators.save(tmp_path / "don.eqx", model)
    loaded = operators.load(tmp_path / "don.eqx")
    assert loaded.name == "deeponet" and loaded.hyperparameters["activation"] == "tanh"
    u, y = jnp.linspace(0, 1, 12), jnp.linspace(0, 1, 5)[:, None]
    np.testing.assert_array_equal(loaded.model(u, y), model(u, y))


def _antiderivative_data(rng, n, m=32, modes=4):
    """u(x) = sum_k a_k cos(2 pi k x) + b_k sin(2 pi k x) at m sensors in [0, 1]; G(u)(y) = int_0^y u, exact,
    at the same m points. Returns ((u, coords), G) with coords (n, m, 1) and G (n, 1, m)."""
    x = np.linspace(0, 1, m)
    k = np.arange(1, modes + 1)[:, None]
    a, b = rng.normal(size=(2, n, modes)) / k.T
    cos, sin = np.cos(2 * np.pi * k * x), np.sin(2 * np.pi * k * x)
    u = a @ cos + b @ sin
    g = a @ (sin / (2 * np.pi * k)) + b @ ((1 - cos) / (2 * np.pi * k))
    coords = np.broadcast_to(x[:, None], (n, m, 1))
    return (u.astype(np.float32), coords.astype(np.float32)), g[:, None].astype(np.float32)


def test_fits_the_antiderivative_operator_quickly():
    rng = np.random.default_rng(0)
    x_train, y_train = _antiderivative_data(rng, 500)
    x_test, y_test = _antiderivative_data(rng, 100)
    model = DeepONet(32, 1, 1, width=128, depth=2, n_basis=32, key=KEY)
    cfg = operators.TrainConfig(epochs=40, batch_size=25, lr=1e-2, weight_decay=0.0, schedule=operators.Cosine())
    model, history = operators.train(model, x_train, y_train, x_test, y_test, cfg)  # 800 steps
    assert history.test_loss[0] > 0.2
    assert history.test_loss[-1] < 0.08, history.test_loss[-1]
