"""Residual plumbing: the residuals and condition losses of exact solutions vanish."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems
from sciml.pinn import EulerianPinn, LossConfig, NetworkConfig, uniform_points


@pytest.mark.parametrize("name, params", [("convection", {"beta": 50.0}), ("burgers", {})])
def test_exact_solutions_have_zero_residual_and_condition_losses(name, params):
    p = problems.get(name)
    params = p.resolve_params(params)

    def exact(x, t):
        return p.exact_fn(x, t, params, p.options)

    form = EulerianPinn.build(p, params, NetworkConfig(), LossConfig(n_ic=32, n_bc=16), dtype="float64")
    pts = uniform_points(jax.random.key(0), 64, p.x_domain, (0.05, 1.0), jnp.float64)
    r = form.residuals(exact, pts)
    assert r.shape == (64, 1)
    scale = params.get("beta", 1.0)
    assert float(jnp.max(jnp.abs(r))) < 1e-8 * scale
    losses = form.data_losses(exact)
    assert set(losses) == {"ic", "bc"}
    assert max(float(v) for v in losses.values()) < 1e-16


def test_residual_is_vectorised_and_nonzero_for_a_wrong_field():
    p = problems.get("ks")
    form = EulerianPinn.build(p, p.params, NetworkConfig(), LossConfig(n_ic=8, n_bc=8), dtype="float64")
    pts = uniform_points(jax.random.key(1), 5, p.x_domain, p.t_domain, jnp.float64)
    r = form.residuals(lambda x, t: jnp.sin(x) * (1 + t), pts)[:, 0]
    x, t = np.asarray(pts[:, 0]), np.asarray(pts[:, 1])
    a, b, c = p.params["a"], p.params["b"], p.params["c"]
    u = np.sin(x) * (1 + t)
    expected = np.sin(x) + a * u * np.cos(x) * (1 + t) - b * u + c * u  # u_xxxx = u
    np.testing.assert_allclose(r, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["convection", "burgers"])
def test_condition_losses_match_a_direct_computation(name):
    """The batched boundary pass (one jvp for u and u_x on both sides) against separate
    evaluations with reverse-mode u_x, on a field that violates both conditions."""
    p = problems.get(name)
    form = EulerianPinn.build(p, p.params, NetworkConfig(), LossConfig(n_ic=12, n_bc=7), dtype="float64")

    def field(x, t):
        return jnp.cos(0.7 * x + 0.3) * (1 + t) + 0.2 * x * t

    losses = form.data_losses(field)
    a, b = p.x_domain
    t = form.bc_t
    u = lambda x: np.array([field(x, ti) for ti in t])  # noqa: E731
    ux = lambda x: np.array([jax.grad(field)(x, ti) for ti in t])  # noqa: E731
    if p.periodic:
        bc = np.mean((u(a) - u(b)) ** 2) + np.mean((ux(a) - ux(b)) ** 2)
    else:
        va, vb = p.boundary_values
        bc = np.mean((u(a) - va) ** 2) + np.mean((u(b) - vb) ** 2)
    ic = np.mean((np.array([field(x, p.t_domain[0]) for x in form.ic_x]) - form.ic_u) ** 2)
    np.testing.assert_allclose(float(losses["bc"]), bc, rtol=1e-12)
    np.testing.assert_allclose(float(losses["ic"]), ic, rtol=1e-12)
    assert bc > 1e-3 and ic > 1e-3
