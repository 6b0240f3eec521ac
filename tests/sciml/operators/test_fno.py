"""FNO: shapes in 1/2/3 D, padding, the DFT form, resolution independence, and a short fit of the heat semigroup."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import operators
from sciml.operators import FNO, with_form

KEY = jax.random.PRNGKey(0)


@pytest.mark.parametrize(
    ("modes", "sizes", "padding"),
    [((6,), (32,), 0), ((6,), (20,), 0.25), ((4, 3), (12, 10), 3), ((3, 3, 2), (8, 6, 6), 0)],
)
def test_output_shape_and_dft_form(modes, sizes, padding):
    model = FNO(2, 3, modes, width=8, n_layers=2, padding=padding, projection_hidden=16, key=KEY)
    x = jnp.asarray(np.random.default_rng(0).normal(size=(2, *sizes)), jnp.float32)
    apply = jax.jit(lambda m, v: m(v))
    y = apply(model, x)
    assert y.shape == (3, *sizes) and y.dtype == jnp.float32
    exportable = with_form(model, "dft")
    assert exportable.form.name == "dft" and model.form.name == "fft"
    np.testing.assert_allclose(apply(exportable, x), y, atol=1e-5 * float(jnp.max(jnp.abs(y))))
    assert "complex" not in str(jax.make_jaxpr(exportable)(x))


def test_evaluates_at_other_resolutions_and_batches_with_vmap():
    model = FNO(1, 1, (8,), width=8, n_layers=2, projection_hidden=16, key=KEY)
    shape = lambda x: jax.eval_shape(model, x).shape  # noqa: E731
    assert jax.eval_shape(jax.vmap(model), jnp.ones((5, 1, 64), jnp.float32)).shape == (5, 1, 64)
    assert shape(jnp.ones((1, 256), jnp.float32)) == (1, 256)
    assert shape(jnp.ones((1, 17), jnp.float32)) == (1, 17)


def test_layer_structure_follows_the_fno():
    model = FNO(1, 2, (16,), width=32, n_layers=4, key=KEY)
    assert model.lift.weight.shape == (32, 2)  # input + 1 grid channel -> width
    assert len(model.spectral) == len(model.pointwise) == 4
    assert model.project[0].weight.shape == (128, 32) and model.project[1].weight.shape == (2, 128)
    no_grid = FNO(1, 2, (16,), width=32, append_grid=False, key=KEY)
    assert no_grid.lift.weight.shape == (32, 1)
    hp = model.hyperparameters()
    assert hp["activation"] == "gelu" and hp["form"] == "fft" and hp["modes"] == [16]
    rebuilt = operators.get("fno")(**hp, key=jax.random.PRNGKey(1))
    assert jax.tree.structure(rebuilt) == jax.tree.structure(model)


def test_clear_errors():
    model = FNO(1, 1, (8,), width=4, n_layers=1, key=KEY)
    with pytest.raises(ValueError, match=r"in_channels=1, 1 spatial dims\), got shape \(2, 32\)"):
        model(jnp.ones((2, 32)))
    with pytest.raises(ValueError, match="at most 5"):
        model(jnp.ones((1, 8)))
    with pytest.raises(ValueError, match="padding must be"):
        FNO(1, 1, (8,), width=4, padding=-1, key=KEY)
    with pytest.raises(ValueError, match="unknown activation 'gelo'"):
        FNO(1, 1, (8,), width=4, activation="gelo", key=KEY)
    with pytest.raises(KeyError, match=r"unknown operator model 'fn0'.*known: .*fno"):
        operators.get("fn0")


def test_registry_lists_models():
    assert "fno" in operators.names()
    assert operators.get("fno") is FNO
    assert operators.name_of(FNO(1, 1, (4,), width=4, n_layers=1, key=KEY)) == "fno"


def test_with_form_reaches_nested_modules():
    class Wrapped(eqx.Module):
        inner: FNO

    wrapped = Wrapped(FNO(1, 1, (4,), width=4, n_layers=2, key=KEY))
    assert all(c.form.name == "dft" for c in with_form(wrapped, "dft").inner.spectral)


def _heat_data(rng, n, size, modes=8, t=0.002):
    """Band-limited periodic u0 on [0, 1) and u(t) = exp(t d^2/dx^2) u0 (exact: each mode k decays by
    exp(-4 pi^2 k^2 t)), as (n, 1, size) float32 arrays."""
    k = np.arange(modes)
    a, b = rng.normal(size=(2, n, modes)) / (1 + k)
    x = np.arange(size) / size
    cos, sin = np.cos(2 * np.pi * np.outer(k, x)), np.sin(2 * np.pi * np.outer(k, x))
    decay = np.exp(-4 * np.pi**2 * k**2 * t)
    u0, u1 = a @ cos + b @ sin, (a * decay) @ cos + (b * decay) @ sin
    return u0[:, None].astype(np.float32), u1[:, None].astype(np.float32)


def test_fno_learns_the_heat_semigroup_and_transfers_to_finer_grids():
    rng = np.random.default_rng(0)
    x, y = _heat_data(rng, 240, 64)
    x_test, y_test = _heat_data(rng, 40, 64)
    model = FNO(1, 1, (12,), width=16, n_layers=2, projection_hidden=32, key=KEY)
    cfg = operators.TrainConfig(epochs=30, batch_size=10, lr=3e-3, weight_decay=0.0, schedule=operators.Cosine())
    model, history = operators.train(model, x, y, x_test, y_test, cfg)  # 720 AdamW steps
    assert history.test_loss[-1] < 0.01 < history.test_loss[0]
    err = {}
    for size in (64, 256):  # the same functions, sampled at 64 and at 256 points
        rng = np.random.default_rng(1)
        xs, ys = _heat_data(rng, 40, size)
        err[size] = float(operators.rel_l2(jax.jit(jax.vmap(model))(jnp.asarray(xs)), jnp.asarray(ys)))
    assert err[64] < 0.01, err
    assert err[256] < 2 * err[64], err


def test_gelu_is_the_exact_erf_gelu_with_its_derivative():
    from scipy import special

    from sciml.operators.fno import gelu

    x = np.linspace(-12.0, 12.0, 4001)
    exact = 0.5 * x * (1.0 + special.erf(x / np.sqrt(2.0)))
    slope = 0.5 * (1.0 + special.erf(x / np.sqrt(2.0))) + x * np.exp(-0.5 * x**2) / np.sqrt(2.0 * np.pi)
    xs = jnp.asarray(x, jnp.float32)
    np.testing.assert_allclose(np.asarray(gelu(xs), np.float64), exact, rtol=2e-7, atol=2e-6)
    np.testing.assert_allclose(np.asarray(jax.vmap(jax.grad(gelu))(xs), np.float64), slope, rtol=1e-6, atol=2e-6)
    # the same function as the erfc form of jax.nn.gelu, to float32 round-off; no promotion of narrow floats
    np.testing.assert_allclose(gelu(xs), jax.nn.gelu(xs, approximate=False), atol=2e-6)
    assert gelu(xs).dtype == jnp.float32
    assert gelu(xs.astype(jnp.bfloat16)).dtype == jnp.bfloat16 and gelu(xs.astype(jnp.float16)).dtype == jnp.float16


@pytest.mark.parametrize(("modes", "sizes", "padding"), [((6,), (32,), 0), ((4, 3), (12, 10), 3), ((3, 3, 2), (8, 6, 6), 0)])
def test_frozen_for_inference_equals_the_fft_form(modes, sizes, padding):
    model = FNO(2, 3, modes, width=8, n_layers=2, padding=padding, projection_hidden=16, key=KEY)
    x = jnp.asarray(np.random.default_rng(1).normal(size=(4, 2, *sizes)), jnp.float32)
    apply = jax.jit(lambda m, v: jax.vmap(m)(v))
    y = apply(model, x)
    frozen = operators.freeze_for_inference(model)
    assert frozen.form.name == "dft_frozen" and model.form.name == "fft"
    np.testing.assert_allclose(apply(frozen, x), y, atol=1e-5 * float(jnp.max(jnp.abs(y))))
    assert "complex" not in str(jax.make_jaxpr(frozen)(x[0]))
    # the mixing blocks are taken once: a changed weight is not seen until frozen again
    bumped = eqx.tree_at(lambda m: m.spectral[0].weight, frozen, 2.0 * frozen.spectral[0].weight)
    np.testing.assert_array_equal(apply(bumped, x), apply(frozen, x))
    with pytest.raises(ValueError, match="frozen for inference"):
        frozen.hyperparameters()
    back = with_form(frozen, "fft")
    assert back.hyperparameters() == model.hyperparameters()


def test_projection_hidden_zero_is_an_activated_last_layer_and_one_linear_map():
    # NU-FNO's trunk end: gelu(last Fourier layer), then one pointwise linear (its fc_interp)
    from sciml.operators.fno import Pointwise

    model = FNO(2, 3, (4,), width=8, n_layers=2, projection_hidden=0, key=KEY)
    assert len(model.project) == 1
    x = jax.random.normal(KEY, (2, 16))
    h = model.lift(jnp.concatenate([x, jnp.linspace(0, 1, 16)[None]]))
    for conv, local in zip(model.spectral, model.pointwise, strict=True):
        h = model.activation(conv(h) + local(h))
    np.testing.assert_allclose(model(x), model.project[0](h), rtol=1e-6, atol=1e-6)
    assert isinstance(model.project[0], Pointwise) and model.hyperparameters()["projection_hidden"] == 0
