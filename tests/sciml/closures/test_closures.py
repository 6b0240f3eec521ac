"""The closures of sciml/closures: the registry, each closure's shapes and invariances, checkpoints, training."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import closures
from sciml.closures import LocalMLP, MNOClosure, NullClosure, PolyClosure

KEY = jax.random.PRNGKey(0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = (2.5 + 3.5 * rng.standard_normal((64, 36))).astype(np.float32)
    y = (0.3 - 0.8 * x + 0.05 * x**2 - 0.002 * x**3).astype(np.float32)
    return x, y


@pytest.fixture(scope="module")
def models(data):
    x, y = data
    return {"null": NullClosure.from_data(x, y), "poly": PolyClosure.from_data(x, y),
            "mlp": LocalMLP.from_data(x, y, stencil=2, width=8, depth=1, key=KEY),
            "mno": MNOClosure.from_data(x, y, modes=6, width=8, n_layers=2, projection_hidden=8, key=KEY)}


def test_registry_names_and_unknown():
    assert closures.names() == ("mlp", "mno", "null", "poly")
    with pytest.raises(closures.UnknownClosureError, match="known: mlp, mno, null, poly"):
        closures.get("mn0")


def test_poly_recovers_a_known_cubic():
    rng = np.random.default_rng(1)
    x = rng.uniform(-8, 14, (200, 8))
    b = np.array([0.341, -1.2, 0.052, -0.0031])
    y = b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3
    np.testing.assert_allclose(closures.fit_polynomial(x, y, 3), b, rtol=1e-9, atol=1e-11)
    model = PolyClosure.from_data(x, y, dtype=jnp.float64)
    np.testing.assert_allclose(np.asarray(model(jnp.asarray(x[0]))), y[0], rtol=1e-10)


@pytest.mark.parametrize("name", ["null", "poly", "mlp", "mno"])
@pytest.mark.parametrize("k", [36, 72, 144])
def test_every_closure_runs_on_larger_rings(models, name, k):
    x = jnp.linspace(-5.0, 10.0, k, dtype=jnp.float32)
    out = models[name](x)
    assert out.shape == (k,) and out.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(out)))


@pytest.mark.parametrize("name", ["mlp", "mno"])
def test_translation_equivariance(models, name):
    x = jax.random.normal(jax.random.PRNGKey(3), (72,), jnp.float32) * 3 + 2
    out = models[name](x)
    for shift in (1, 5, 40):
        np.testing.assert_allclose(np.asarray(models[name](jnp.roll(x, shift))), np.asarray(jnp.roll(out, shift)),
                                   rtol=1e-4, atol=1e-4)


def test_mno_is_an_fno_without_grid_or_padding(models):
    fno = models["mno"].fno
    assert fno.append_grid is False and fno.padding == 0 and fno.in_channels == fno.out_channels == 1


@pytest.mark.parametrize(("name", "k", "match"), [("mno", 8, "K >= 10"), ("mlp", 4, "K >= 5")])
def test_too_small_ring_is_a_clear_error(models, name, k, match):
    with pytest.raises(ValueError, match=match):
        models[name](jnp.ones(k, jnp.float32))


def test_checkpoint_roundtrip_and_mismatch(models, data, tmp_path):
    x, _ = data
    for name, model in models.items():
        path = closures.save_closure(tmp_path / f"{name}.eqx", model, {"config": {"lr": 1e-3}, "data_hash": "abc"})
        loaded, meta = closures.load_closure(path, expect={"data_hash": "abc"})
        assert type(loaded) is type(model) and meta["config"] == {"lr": 1e-3}
        np.testing.assert_array_equal(np.asarray(loaded(jnp.asarray(x[0]))), np.asarray(model(jnp.asarray(x[0]))))
    with pytest.raises(closures.ClosureMismatchError, match="lr: stored 0.001, expected 0.002"):
        closures.load_closure(tmp_path / "mno.eqx", expect={"config": {"lr": 2e-3}})
    with pytest.raises(closures.ClosureCheckpointError, match="no closure file"):
        closures.load_closure(tmp_path / "none.eqx")


@pytest.mark.parametrize("name", ["mlp", "mno"])
def test_tiny_training_reduces_the_loss(models, data, name):
    x, y = data
    cfg = closures.ClosureTrainConfig(epochs=15, batch_size=16, lr=3e-3, schedule="constant")
    trained, history = closures.train_closure(models[name], x[:48], y[:48], x[48:], y[48:], cfg)
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
    assert history.val_loss[-1] < history.val_loss[0]
    # the normalisation is not trained
    assert float(trained.x_norm.mean) == float(models[name].x_norm.mean)
    assert not eqx.tree_equal(trained, models[name])
