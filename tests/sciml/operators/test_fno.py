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
