"""Burgers: the Cole-Hopf solution's boundary values, symmetry, accuracy and shock slope."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems
from pdes.problems import ColeHopfOptions, x_derivative

burgers = problems.get("burgers")
NU = 0.01 / math.pi


def _trapezoid(x, t, m=100_001):
    """Cole-Hopf by a dense trapezoidal rule over +-12 heat-kernel widths (an independent check)."""
    s = math.sqrt(4 * NU * t)
    y = np.linspace(-12 * s, 12 * s, m)
    log_w = -(y**2) / (4 * NU * t) - np.cos(np.pi * (x - y)) / (2 * np.pi * NU)
    w = np.exp(log_w - log_w.max())
    return -np.sum(np.sin(np.pi * (x - y)) * w) / np.sum(w)


def test_boundary_initial_and_symmetry():
    ds = burgers.reference(65, 11)
    np.testing.assert_allclose(ds.u[:, [0, -1]], 0.0, atol=1e-13)  # u(+-1, t) = 0
    np.testing.assert_allclose(ds.u[0], -np.sin(np.pi * ds.x), atol=1e-14)
    np.testing.assert_allclose(ds.u.sel(x=0.0), 0.0, atol=1e-13)  # the shock stays at x = 0
    np.testing.assert_allclose(ds.u.values, -ds.u.values[:, ::-1], atol=1e-13)  # odd in x


@pytest.mark.parametrize("t", [0.05, 0.5, 1.0])
def test_agrees_with_a_dense_trapezoidal_rule(t):
    xs = np.array([-0.7, -0.02, 0.001, 0.005, 0.3])
    got = np.asarray(burgers.exact(xs, t))
    np.testing.assert_allclose(got, [_trapezoid(x, t) for x in xs], atol=1e-12)


def test_steepest_slope_is_basdevants():
    # Basdevant et al. (1986): max |u_x| = 152.00516, at x = 0 and t = 1.6037 / pi
    slope = x_derivative(lambda x, t: burgers.exact(x, t))(0.0, 1.6037 / np.pi)
    assert float(slope) == pytest.approx(-152.00516, abs=1e-5)


def test_residual_of_the_cole_hopf_formula_vanishes():
    key = jax.random.key(3)
    xs = jax.random.uniform(key, (32,), minval=-1, maxval=1)
    ts = jnp.linspace(0.05, 1.0, 32)
    exact = lambda x, t: burgers.exact(x, t)  # noqa: E731
    r = jax.vmap(lambda x, t: burgers.residual(exact, x, t))(xs, ts)
    u_t = jax.vmap(lambda x, t: problems.t_derivative(exact)(x, t))(xs, ts)
    assert jnp.abs(r).max() < 1e-9 * jnp.abs(u_t).max()
    wrong = jax.vmap(lambda x, t: burgers.residual(exact, x, t, {"nu": 2 * NU}))(xs, ts)
    assert jnp.abs(wrong).max() > 1e-2


def test_node_count_is_checked():
    with pytest.raises(ValueError, match=r"n_nodes must be in \[10, 300\]"):
        ColeHopfOptions(n_nodes=500)
    coarse = burgers.with_options(n_nodes=100).exact(0.01, 1.0)
    assert float(coarse) == pytest.approx(float(burgers.exact(0.01, 1.0)), abs=1e-13)


travelling = problems.get("burgers", "travelling")


def test_travelling_variant_is_the_lpinn_papers_case():
    assert travelling.periodic and travelling.x_domain == (0.0, 2 * math.pi)
    assert travelling.params == {"nu": 0.01, "C": 50.0}
    x = np.linspace(0.0, 2 * np.pi, 9)
    np.testing.assert_allclose(np.asarray(travelling.exact(x, 0.0)), np.sin(x) + 50.0, atol=1e-13)
    # C enters only as a Galilean shift: the front moves by C t
    shifted = travelling.exact(x + 50.0 * 0.7, 0.7)
    unmoved = travelling.exact(x, 0.7, {"nu": 0.01, "C": 0.0})
    np.testing.assert_allclose(np.asarray(shifted) - 50.0, np.asarray(unmoved), atol=1e-10)


def test_travelling_variant_agrees_with_a_pseudo_spectral_solve():
    """An independent solve in the lab frame (the front carried at C = 50 through the grid):
    Fourier collocation on 256 points and DOP853; at t = 1 the front is steep and 128 points
    are off by 2e-3, 256 by 1e-5, 512 by 6e-8, so the gap is the collocation's."""
    from scipy.integrate import solve_ivp

    n, nu = 256, travelling.params["nu"]
    x = 2 * np.pi * np.arange(n) / n
    k = np.fft.rfftfreq(n, 1 / n)

    def rhs(t, u):
        uh = np.fft.rfft(u)
        return -u * np.fft.irfft(1j * k * uh, n) - nu * np.fft.irfft(k**2 * uh, n)

    sol = solve_ivp(rhs, (0.0, 1.0), np.sin(x) + 50.0, method="DOP853", t_eval=[0.5, 1.0], rtol=1e-11, atol=1e-11)
    err = np.abs(sol.y.T - np.asarray(travelling.exact(x[None], sol.t[:, None]))).max(axis=1)
    assert err[0] < 1e-7 and err[1] < 3e-5


def test_residual_of_the_travelling_formula_vanishes():
    xs = jax.random.uniform(jax.random.key(4), (32,), minval=0, maxval=2 * np.pi)
    ts = jnp.linspace(0.05, 1.0, 32)
    exact = lambda x, t: travelling.exact(x, t)  # noqa: E731
    r = jax.vmap(lambda x, t: travelling.residual(exact, x, t))(xs, ts)
    u_t = jax.vmap(lambda x, t: problems.t_derivative(exact)(x, t))(xs, ts)
    assert jnp.abs(r).max() < 1e-9 * jnp.abs(u_t).max()
    wrong = jax.vmap(lambda x, t: travelling.residual(exact, x, t, {"nu": 2 * 0.01, "C": 50.0}))(xs, ts)
    assert jnp.abs(wrong).max() > 1e-2
