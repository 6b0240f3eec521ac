"""Fourier helpers and the ETDRK4 stepper on problems with exact answers."""

import jax.numpy as jnp
import numpy as np
import pytest

from pdes.spectral import (
    dealias_mask, derivative, etdrk4_coefficients, etdrk4_integrate, etdrk4_step, grid, wavenumbers,
)


def test_grid_and_wavenumbers():
    x = grid(8, (-1.0, 1.0))
    np.testing.assert_allclose(x, -1 + 0.25 * np.arange(8))
    np.testing.assert_allclose(wavenumbers(8, 2.0), np.pi * np.arange(5))
    with pytest.raises(ValueError, match="at least 2 points"):
        grid(1, (0.0, 1.0))


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_derivative_of_trigonometric_polynomial_is_exact(order):
    length = 3.0
    x = grid(32, (0.0, length))
    w = 2 * np.pi / length
    u = np.sin(3 * w * x) + 0.5 * np.cos(5 * w * x)
    # d^n/dx^n sin(a x) = a^n sin(a x + n pi / 2)
    expected = (3 * w) ** order * np.sin(3 * w * x + order * np.pi / 2) + 0.5 * (5 * w) ** order * np.cos(
        5 * w * x + order * np.pi / 2
    )
    np.testing.assert_allclose(derivative(jnp.asarray(u), order, length), expected, atol=1e-10 * (5 * w) ** order)


def test_dealias_mask_keeps_two_thirds():
    mask = np.asarray(dealias_mask(12))  # modes 0..6; kept m < 4
    assert mask.tolist() == [True] * 4 + [False] * 3


def test_phi_functions_near_zero_and_far_away():
    # phi_k(0) limits: e2 -> 1, q -> h/2, f1 = f2 = f3 -> h/6 (Kassam & Trefethen, eq. 2.5)
    h = 0.1
    c = etdrk4_coefficients(jnp.array([0.0, 1e-9, -1e-6]), h)
    np.testing.assert_allclose(c.q, h / 2, rtol=1e-6)
    for f in (c.f1, c.f2, c.f3):
        np.testing.assert_allclose(f, h / 6, rtol=1e-6)
    # large |hL|: the direct formulas are accurate there
    lam = jnp.array([-50.0, -300.0])
    z = h * lam
    c = etdrk4_coefficients(lam, h)
    ez = np.exp(z)
    np.testing.assert_allclose(c.q, h * (np.exp(z / 2) - 1) / z, rtol=1e-12)
    np.testing.assert_allclose(c.f1, h * (-4 - z + ez * (4 - 3 * z + z**2)) / z**3, rtol=1e-12)
    np.testing.assert_allclose(c.f2, h * (2 + z + ez * (z - 2)) / z**3, rtol=1e-12)
    np.testing.assert_allclose(c.f3, h * (-4 - 3 * z - z**2 + ez * (4 - z)) / z**3, rtol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        etdrk4_coefficients(lam, 0.0)


def _forcing(v, args):
    return args["c"] * jnp.ones_like(v)


@pytest.mark.parametrize("lam", [[-3.0, 0.0, 2.0], [2j, -1 + 5j, 0.5j]])
def test_constant_forcing_is_integrated_exactly(lam):
    # v' = L v + c has v(t) = e^{Lt} v0 + (e^{Lt} - 1) / L c; ETDRK4 is exact for constant N
    lam = jnp.asarray(lam)
    v0 = jnp.array([1.0, 2.0 - 1j, -0.5j])
    c, t, n_saves, every = 0.7, 0.6, 3, 4
    coeffs = etdrk4_coefficients(lam, t / (n_saves * every))
    vs = etdrk4_integrate(coeffs, _forcing, v0, {"c": c}, n_saves=n_saves, save_every=every)
    times = np.linspace(0, t, n_saves + 1)[:, None]
    lam_np = np.asarray(lam)[None, :]
    growth = np.where(lam_np == 0, times, (np.exp(lam_np * times) - 1) / np.where(lam_np == 0, 1, lam_np))
    np.testing.assert_allclose(vs, np.exp(lam_np * times) * np.asarray(v0) + growth * c, atol=1e-12)


def test_step_matches_integrate():
    lam = jnp.array([-1.0, -4.0])
    coeffs = etdrk4_coefficients(lam, 0.05)
    square = lambda v, args: -(v**2)  # noqa: E731
    v = jnp.array([1.0 + 0j, 0.5 + 0j])
    one = etdrk4_step(coeffs, square, etdrk4_step(coeffs, square, v))
    both = etdrk4_integrate(coeffs, square, v, n_saves=1, save_every=2)
    np.testing.assert_allclose(both[-1], one, rtol=1e-14)
