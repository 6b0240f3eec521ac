"""Lyapunov exponents of maps: exact values (logistic r = 4, linear maps), Henon's literature
value and its exact sum ln b, and input errors."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from chaos.metrics import largest_lyapunov_map, lyapunov_spectrum_map


def logistic(z):
    return 4.0 * z * (1.0 - z)


def henon(z, a=1.4, b=0.3):
    return jnp.stack([1.0 - a * z[0] ** 2 + z[1], b * z[0]])


DIAG = jnp.diag(jnp.array([0.5, -1.3]))
CAT = jnp.array([[2.0, 1.0], [1.0, 1.0]])  # Arnold's cat map matrix: eigenvalues phi^{+-2}


def diag_map(z):
    return DIAG @ z


def cat_map(z):
    return CAT @ z / 10.0  # contracting overall (eigenvalues phi^{+-2} / 10), stays bounded


def test_logistic_map_r4_is_ln2():
    # the invariant density 1 / (pi sqrt(z (1 - z))) gives exactly ln 2
    lam = largest_lyapunov_map(logistic, jnp.array([0.3]), n_steps=20_000, n_transient=100)
    assert lam == pytest.approx(math.log(2.0), abs=0.01)
    # a float32 orbit (as from a float32 model) is chaotic too; the sum is kept in float64
    lam32 = largest_lyapunov_map(logistic, jnp.array([0.3], jnp.float32), n_steps=20_000, n_transient=100)
    assert lam32 == pytest.approx(math.log(2.0), abs=0.02)


def test_linear_maps_are_exact():
    lam = largest_lyapunov_map(diag_map, jnp.array([1.0, 1.0]), n_steps=200, n_transient=100)
    assert lam == pytest.approx(math.log(1.3), abs=1e-12)
    spec = lyapunov_spectrum_map(diag_map, jnp.array([1.0, 1.0]), n_steps=200, n_transient=100, dt=0.1)
    np.testing.assert_allclose(spec, np.log([1.3, 0.5]) / 0.1, atol=1e-10)
    phi = (1 + math.sqrt(5)) / 2
    spec = lyapunov_spectrum_map(cat_map, jnp.array([1.0, 0.0]), n_steps=50, n_transient=50)
    np.testing.assert_allclose(spec, [2 * math.log(phi) - math.log(10), -2 * math.log(phi) - math.log(10)], atol=1e-10)


def test_henon_largest_and_spectrum_sum():
    z0 = jnp.array([0.1, 0.1])
    lam = largest_lyapunov_map(henon, z0, n_steps=20_000, n_transient=100)
    assert lam == pytest.approx(0.419, abs=0.01)  # literature: 0.41922 (Sprott 2003)
    spec = lyapunov_spectrum_map(henon, z0, n_steps=20_000, n_transient=100)
    assert spec[0] == pytest.approx(lam, abs=1e-3)
    # |det J| = b at every point, so the exponents sum to ln b (up to rounding)
    assert spec.sum() == pytest.approx(math.log(0.3), abs=1e-9)
    assert spec[1] == pytest.approx(math.log(0.3) - 0.41922, abs=0.01)
    assert lyapunov_spectrum_map(henon, z0, n_steps=20_000, n_transient=100, k=1)[0] == pytest.approx(spec[0], abs=1e-3)


def test_superstable_map_gives_minus_infinity():
    assert largest_lyapunov_map(lambda z: 0.0 * z, jnp.array([1.0, 2.0]), n_steps=10) == -math.inf


@pytest.mark.parametrize(
    "step, z0, kwargs, err, match",
    [
        (henon, jnp.array([0.1, 0.1]), {"n_steps": 0}, ValueError, "n_steps must be an integer >= 1, got 0"),
        (henon, jnp.array([0.1, 0.1]), {"n_steps": 10, "dt": -1.0}, ValueError, "dt must be"),
        (henon, jnp.array(0.1), {"n_steps": 10}, ValueError, r"z0 must have shape \(d,\), got shape \(\)"),
        (lambda z: z[:1], jnp.array([0.1, 0.1]), {"n_steps": 10}, ValueError, r"step must map shape \(2,\)"),
        (lambda z: 2.0 * z, jnp.array([1.0]), {"n_steps": 2000}, ValueError, "orbit diverged"),
        ("henon", jnp.array([0.1, 0.1]), {"n_steps": 10}, TypeError, "step must be a function"),
    ],
)
def test_bad_input(step, z0, kwargs, err, match):
    with pytest.raises(err, match=match):
        largest_lyapunov_map(step, z0, **kwargs)


def test_spectrum_bad_k():
    with pytest.raises(ValueError, match="k must be an integer in 1..2, got 3"):
        lyapunov_spectrum_map(henon, jnp.array([0.1, 0.1]), n_steps=10, k=3)
