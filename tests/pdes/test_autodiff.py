"""Partial derivatives by nested forward mode, against hand-computed derivatives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes.problems import t_derivative, x_derivative


def u(x, t):
    return jnp.sin(2 * x) * jnp.exp(-3 * t) + x**2 * t


@pytest.mark.parametrize(
    "order, expected",
    [
        (1, lambda x, t: 2 * np.cos(2 * x) * np.exp(-3 * t) + 2 * x * t),
        (2, lambda x, t: -4 * np.sin(2 * x) * np.exp(-3 * t) + 2 * t),
        (3, lambda x, t: -8 * np.cos(2 * x) * np.exp(-3 * t)),
        (4, lambda x, t: 16 * np.sin(2 * x) * np.exp(-3 * t)),
    ],
)
def test_x_derivatives(order, expected):
    xs, ts = np.array([0.1, -0.7, 2.0]), np.array([0.0, 0.3, 1.1])
    got = jax.vmap(x_derivative(u, order))(xs, ts)
    np.testing.assert_allclose(got, expected(xs, ts), rtol=1e-12, atol=1e-12)


def test_t_derivatives_and_integer_inputs():
    assert float(t_derivative(u)(1, 0)) == pytest.approx(-3 * np.sin(2) + 1)
    assert float(t_derivative(u, 2)(0.5, 0.2)) == pytest.approx(9 * np.sin(1) * np.exp(-0.6))
    assert x_derivative(u, 0) is u
    with pytest.raises(ValueError, match=">= 0"):
        x_derivative(u, -1)
