"""SpectralConv: the real DFT form equals the FFT form, has no complex dtypes, and is resolution independent."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.operators import DFT, FFT, SpectralConv
from sciml.operators._spectral import kept_shape

# (spatial sizes, modes): odd and even sizes, modes at the limit (n // 2, and n // 2 + 1 on the last axis).
CASES = [
    ((16,), (9,)),
    ((17,), (9,)),
    ((32,), (5,)),
    ((8, 9), (4, 5)),
    ((9, 8), (4, 5)),
    ((12, 10), (3, 2)),
    ((6, 7, 8), (3, 3, 5)),
    ((7, 6, 5), (3, 3, 3)),
]


@pytest.mark.parametrize(("sizes", "modes"), CASES)
@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_dft_form_equals_fft_form(sizes, modes, dtype):
    rng = np.random.default_rng(0)  # numpy draws: no PRNG compilation per shape
    weight = jnp.asarray(rng.uniform(size=(2, 3, 2, *kept_shape(modes))) / 6, dtype)
    x = jnp.asarray(rng.normal(size=(3, *sizes)), dtype)
    fft = jax.jit(FFT(), static_argnums=2)(x, weight, modes)
    dft = jax.jit(DFT(), static_argnums=2)(x, weight, modes)
    assert fft.shape == dft.shape == (2, *sizes)
    assert fft.dtype == dft.dtype == dtype
    tol = 1e-12 if dtype == jnp.float64 else 1e-6
    np.testing.assert_allclose(dft, fft, atol=tol * float(jnp.max(jnp.abs(fft))), rtol=0)


def test_irfft_drops_imaginary_zero_and_nyquist_modes():
    # Purely imaginary weights on the zero and Nyquist modes contribute nothing in either form.
    n, m = 16, 9
    w = jnp.zeros((2, 1, 1, m)).at[1, 0, 0, 0].set(1.0).at[1, 0, 0, n // 2].set(1.0)
    x = jnp.asarray(np.random.default_rng(1).normal(size=(1, n)))
    for form in (FFT(), DFT()):
        np.testing.assert_allclose(form(x, w, (m,)), 0.0, atol=1e-12)


@pytest.mark.parametrize(("sizes", "modes"), [((32,), (17,)), ((8, 10), (4, 6)), ((6, 6, 6), (3, 3, 4))])
def test_dft_form_has_no_complex_dtype(sizes, modes):
    layer = SpectralConv(2, 2, modes, form="dft", key=jax.random.PRNGKey(0))
    x = jnp.ones((2, *sizes), jnp.float32)
    jaxpr = jax.make_jaxpr(layer)(x)
    assert "complex" not in str(jaxpr)
    # ... also under differentiation (training in the exportable form).
    grad_jaxpr = jax.make_jaxpr(jax.grad(lambda lyr: jnp.sum(lyr(x) ** 2)))(layer)
    assert "complex" not in str(grad_jaxpr)
    fft_jaxpr = jax.make_jaxpr(SpectralConv(2, 2, modes, key=jax.random.PRNGKey(0)))(x)
    assert "complex" in str(fft_jaxpr)  # the check can see complex types


def _heat_layer(modes: int, t: float, form: str) -> SpectralConv:
    """exp(t d^2/dx^2) on [0, 1): the Fourier mode k decays by exp(-4 pi^2 k^2 t)."""
    layer = SpectralConv(1, 1, (modes,), form=form, dtype=jnp.float64, key=jax.random.PRNGKey(0))
    k = np.arange(modes)
    w = np.zeros(layer.weight.shape)
    w[0, 0, 0] = np.exp(-4 * np.pi**2 * k**2 * t)
    return eqx.tree_at(lambda lyr: lyr.weight, layer, jnp.asarray(w))


@pytest.mark.parametrize("form", ["fft", "dft"])
def test_heat_semigroup_exact_at_any_resolution(form):
    modes, t = 12, 0.002
    layer = _heat_layer(modes, t, form)
    rng = np.random.default_rng(0)
    ks = np.arange(modes)
    a, b = rng.normal(size=(2, modes)) / (1 + ks)
    for n in (64, 256):
        x = np.arange(n) / n
        u0 = sum(a[k] * np.cos(2 * np.pi * k * x) + b[k] * np.sin(2 * np.pi * k * x) for k in ks)
        exact = sum(
            np.exp(-4 * np.pi**2 * k**2 * t) * (a[k] * np.cos(2 * np.pi * k * x) + b[k] * np.sin(2 * np.pi * k * x))
            for k in ks
        )
        out = jax.jit(lambda lyr, v: lyr(v))(layer, jnp.asarray(u0)[None])[0]
        err = np.max(np.abs(np.asarray(out) - exact)) / np.max(np.abs(exact))
        assert err < 1e-12, (n, err)


def test_weights_and_errors():
    layer = SpectralConv(3, 4, (5, 6, 7), key=jax.random.PRNGKey(0))
    assert layer.weight.shape == (2, 3, 4, *kept_shape((5, 6, 7))) == (2, 3, 4, 10, 12, 7)
    assert layer.weight.dtype == jnp.float32
    with pytest.raises(ValueError, match=r"axis 0 keeps 5 modes but 8 points allow at most 4"):
        layer(jnp.ones((3, 8, 16, 16)))
    with pytest.raises(ValueError, match="in_channels=3"):
        layer(jnp.ones((2, 16, 16, 16)))
    with pytest.raises(ValueError, match="unknown spectral form 'fast'"):
        SpectralConv(1, 1, (4,), form="fast", key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="modes must be 1 to 3 positive integers"):
        SpectralConv(1, 1, (4, 4, 4, 4), key=jax.random.PRNGKey(0))
