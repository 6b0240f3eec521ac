"""Kuramoto-Sivashinsky: ETDRK4's fourth order in time, spectral accuracy in space, the
residual's fourth derivative, and the symmetry of the regular case."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems

ks = problems.get("ks")


def _final(problem, nx, dt):
    return problem.with_options(dt=dt).reference(nx, 2).u.values[-1]


@pytest.mark.parametrize("variant", ["default", "chaotic"])
def test_etdrk4_is_fourth_order_in_time(variant):
    short = dataclasses.replace(problems.get("ks", variant), t_domain=(0.0, 0.2))
    reference = _final(short, 64, 0.2 / 640)
    dts = 0.2 / np.array([10, 20, 40, 80])
    errors = np.array([np.abs(_final(short, 64, dt) - reference).max() for dt in dts])
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert 3.5 < slope < 4.5, (errors, slope)


def test_error_in_space_falls_faster_than_any_power():
    short = dataclasses.replace(ks, t_domain=(0.0, 0.05))
    reference = _final(short, 256, 5e-4)
    errors = {n: np.abs(_final(short, n, 5e-4) - reference[:: 256 // n]).max() for n in (16, 32, 64)}
    assert errors[16] > 1e-6  # the coarse grid is visibly wrong ...
    assert errors[64] < 1e-3 * errors[32] and errors[32] < 1e-2 * errors[16]  # ... and the error collapses
    assert errors[64] < 1e-11


def test_residual_of_a_travelling_sine():
    # u = sin(x - t): u_t = -cos, u_x = cos, u_xx = -sin, u_xxxx = sin
    u = lambda x, t: jnp.sin(x - t)  # noqa: E731
    p = ks.params
    xs, ts = jnp.linspace(0, 6, 7), jnp.linspace(0, 1, 7)
    got = jax.vmap(lambda x, t: ks.residual(u, x, t))(xs, ts)
    s, c = np.sin(xs - ts), np.cos(xs - ts)
    np.testing.assert_allclose(got, -c + p["a"] * s * c - p["b"] * s + p["c"] * s, atol=1e-12)


def test_regular_solution_stays_odd():
    ds = ks.with_options(dt=1e-3).reference(64, 6)
    u = ds.u.values
    # -sin x is odd about x = 0 (and pi); the equation keeps that symmetry
    np.testing.assert_allclose(u[:, 1:], -u[:, :0:-1], atol=1e-12)
    assert np.abs(u[-1]).max() > 1.5  # and the solution has grown: there is something to check
