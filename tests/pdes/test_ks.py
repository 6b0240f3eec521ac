"""Kuramoto-Sivashinsky: ETDRK4's fourth order in time, spectral accuracy in space, the
residual's fourth derivative, and the symmetry of the regular case."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems

from .test_problems import _interpolant

ks = problems.get("ks")


def _final(problem, nx, dt):
    return problem.with_options(dt=dt).reference(nx, 2).u.values[-1]


# the regular case is stiffer (c k^4 with k = pi m): its steps reach the fourth-order regime
# only below dt ~ 1e-3 (rates 2.6, 2.8, 3.2, 3.5, 3.8 for dt = 0.2 / 20 ... 0.2 / 640)
@pytest.mark.parametrize("variant, n_steps", [("default", (320, 640, 1280, 10240)), ("chaotic", (10, 20, 40, 80, 640))])
def test_etdrk4_is_fourth_order_in_time(variant, n_steps):
    short = dataclasses.replace(problems.get("ks", variant), t_domain=(0.0, 0.2))
    reference = _final(short, 64, 0.2 / n_steps[-1])
    dts = 0.2 / np.array(n_steps[:-1])
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


def test_regular_case_is_the_causal_papers():
    """Values of the causal-training paper's own regular-KS data (CausalPINNs, data/ks_simple.mat,
    chebfun's spin) at x = -1 + 2 i / 511, i = 0, 100, ..., 400. Our ETDRK4 solution (128 modes,
    dt = 2.5e-4), read there by its trigonometric interpolant, agrees to 1e-6 (the whole field
    agrees to 1e-9 in rel. L2 at 1022 modes and dt = 1e-4, checked by hand against the file; the
    variant on [0, 2 pi) with u0 = -sin x that this replaced differs at O(1))."""
    x = -1 + 2 * np.arange(0, 401, 100) / 511
    paper = {
        0.5: [0.0, 2.1409070897, -0.1512102694, -0.0235381191, -2.0094236702],
        1.0: [0.0, -0.3783217911, 1.7437620481, -1.9764142169, 0.1931116469],
    }
    ds = ks.with_options(dt=2.5e-4).reference(128, 3)
    assert ks.x_domain == (-1.0, 1.0) and list(ds.t.values) == [0.0, 0.5, 1.0]
    for i, t in ((1, 0.5), (2, 1.0)):
        u = _interpolant(ds, ks, [i])  # one frame: the trigonometric interpolant of time i
        ours = np.array([float(u(xi, t)) for xi in x])
        np.testing.assert_allclose(ours, paper[t], atol=1e-6, err_msg=f"t = {t}")


def test_regular_solution_stays_odd():
    ds = ks.with_options(dt=1e-3).reference(64, 6)
    u = ds.u.values
    # -sin(pi x) is odd about x = 0 (and +-1); the equation keeps that symmetry
    np.testing.assert_allclose(u[:, 1:], -u[:, :0:-1], atol=1e-12)
    assert np.abs(u[-1]).max() > 1.5  # and the solution has grown: there is something to check
