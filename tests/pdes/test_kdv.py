"""Korteweg-de Vries: ETDRK4's fourth order in time, the invariants (mass and energy), the
exact soliton, and the residual's third derivative."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems

kdv = problems.get("kdv")
soliton = problems.get("kdv", "soliton")


def _final(problem, nx, dt):
    return problem.with_options(dt=dt).reference(nx, 2).u.values[-1]


def test_etdrk4_is_fourth_order_in_time():
    short = dataclasses.replace(kdv, t_domain=(0.0, 0.5))
    reference = _final(short, 128, 0.5 / 8000)
    dts = 0.5 / np.array([250, 500, 1000, 2000])
    errors = np.array([np.abs(_final(short, 128, dt) - reference).max() for dt in dts])
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert 3.7 < slope < 4.3, (errors, slope)
    assert errors[-1] < 1e-9


@pytest.fixture(scope="module")
def reference():
    return kdv.reference()  # the default: 512 x 201, dt = 1e-4


def test_mass_and_energy_are_conserved(reference):
    u = reference.u.values
    dx = (kdv.x_domain[1] - kdv.x_domain[0]) / reference.sizes["x"]
    mass, energy = u.sum(axis=1) * dx, (u**2).sum(axis=1) * dx
    np.testing.assert_allclose(mass, 0.0, atol=1e-13)  # int cos(pi x) dx = 0
    np.testing.assert_allclose(energy, 1.0, rtol=1e-11)  # int cos^2(pi x) dx = 1
    assert np.isclose(mass[0], 0.0, atol=1e-15) and np.isclose(energy[0], 1.0, rtol=1e-14)


def test_cosine_breaks_into_solitons(reference):
    # Zabusky & Kruskal: the crest steepens and grows past twice the initial amplitude
    peak = np.abs(reference.u.values).max(axis=1)
    assert peak[0] == pytest.approx(1.0) and peak[-1] > 2.0
    assert reference.attrs["method"].startswith("ETDRK4") and reference.attrs["problem"] == "kdv"


def test_soliton_travels_at_its_speed():
    ds = soliton.reference(512, 11)
    exact = soliton.exact(ds.x.values[None, :], ds.t.values[:, None])
    assert np.abs(exact).max() == pytest.approx(3.0)  # 3 c / lambda1
    np.testing.assert_allclose(ds.u.values, exact, atol=1e-9)
    # the crest is at x0 + c t (modulo the period)
    crest = ds.x.values[np.argmax(ds.u.values, axis=1)]
    np.testing.assert_allclose(crest, -0.5 + ds.t.values, atol=4 / 512)


def test_soliton_solves_the_residual():
    u = lambda x, t: soliton.exact(x, t)  # noqa: E731
    xs, ts = jnp.linspace(-1.0, 1.0, 9), jnp.linspace(0.0, 1.0, 9)
    r = jax.vmap(lambda x, t: soliton.residual(u, x, t))(xs, ts)
    u_t = jax.vmap(problems.t_derivative(u))(xs, ts)
    assert jnp.abs(u_t).max() > 10
    assert jnp.abs(r).max() < 1e-11
    # and a wrong sign of the dispersion is caught
    r_wrong = jax.vmap(lambda x, t: soliton.residual(u, x, t, {"lambda2": -0.0025}))(xs, ts)
    assert jnp.abs(r_wrong).max() > 1.0


def test_residual_of_a_travelling_sine():
    # u = sin(pi (x - t)): u_t = -pi cos, u_x = pi cos, u_xxx = -pi^3 cos
    u = lambda x, t: jnp.sin(jnp.pi * (x - t))  # noqa: E731
    p = kdv.params
    xs, ts = jnp.linspace(-1, 1, 7), jnp.linspace(0, 1, 7)
    got = jax.vmap(lambda x, t: kdv.residual(u, x, t))(xs, ts)
    s, c = np.sin(np.pi * (xs - ts)), np.cos(np.pi * (xs - ts))
    expected = -np.pi * c + p["lambda1"] * s * np.pi * c - p["lambda2"] * np.pi**3 * c
    np.testing.assert_allclose(got, expected, atol=1e-12)
