"""The shared-gradient field: its derivatives match closed forms and nested forward mode on
every registered problem, its training gradient equals forward mode's, and the shared pass
really removes work (XLA's FLOP count)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems
from pdes.problems import t_derivative, x_derivative
from sciml.pinn import EulerianPinn, LossConfig, NetworkConfig, build_network, uniform_points
from sciml.pinn.derivatives import shared_gradient_field


def _u(x, t):
    return jnp.sin(2 * x) * jnp.exp(-t) + x * t**2


def test_derivatives_of_the_field_match_the_closed_form():
    xs = jnp.linspace(0.1, 2.0, 5)
    ts = jnp.linspace(0.0, 1.0, 5)

    def derivs(x, t):
        f = shared_gradient_field(_u, x, t)
        return jnp.stack([f(x, t), x_derivative(f)(x, t), t_derivative(f)(x, t), x_derivative(f, 2)(x, t),
                          t_derivative(x_derivative(f))(x, t), x_derivative(f, 4)(x, t), f(x + 0.5, t)])

    got = np.asarray(jax.vmap(derivs)(xs, ts))
    x, t = np.asarray(xs), np.asarray(ts)
    s, c, e = np.sin(2 * x), np.cos(2 * x), np.exp(-t)
    expected = np.stack([s * e + x * t**2, 2 * c * e + t**2, -s * e + 2 * x * t, -4 * s * e,
                         -2 * c * e + 2 * t, 16 * s * e, np.sin(2 * x + 1) * e + (x + 0.5) * t**2], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _setup(name, derivatives, dtype="float64", n=8, **network):
    p = problems.get(name)
    net = NetworkConfig(**{"width": 8, "depth": 2, "dtype": dtype, **network})
    model = build_network(net, p, p.params, key=jax.random.key(0))
    form = EulerianPinn.build(p, p.params, net, LossConfig(n_ic=4, n_bc=4), dtype=dtype, derivatives=derivatives)
    pts = uniform_points(jax.random.key(1), n, p.x_domain, p.t_domain, jnp.dtype(dtype))
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def loss(q):
        return jnp.mean(form.residuals(eqx.combine(q, static), pts) ** 2)

    return form, params, static, pts, loss


CASES = [(name, {}) for name in problems.names()] + [
    ("allen_cahn", dict(body="modified_mlp", rwf=True, fourier_features=4, periodic_harmonics=2, ic="exact",
                        bc="exact")),
    ("burgers", dict(activation="sin", ic="exact", bc="exact")),
]


@pytest.mark.parametrize("name, network", CASES, ids=[f"{n}-{'-'.join(k) or 'mlp'}" for n, k in CASES])
def test_shared_and_forward_derivatives_give_the_same_residual_and_gradient(name, network):
    out = {}
    for d in ("forward", "shared_reverse"):
        form, params, static, pts, loss = _setup(name, d, **network)
        out[d] = (form.residuals(eqx.combine(params, static), pts), jax.grad(loss)(params))
    (r1, g1), (r2, g2) = out["forward"], out["shared_reverse"]
    scale = float(jnp.max(jnp.abs(r1)))
    assert scale > 0
    np.testing.assert_allclose(r2, r1, rtol=1e-10, atol=1e-10 * scale)
    for a, b in zip(jax.tree_util.tree_leaves(g1), jax.tree_util.tree_leaves(g2)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9 * float(jnp.max(jnp.abs(a))))


def test_shared_pass_removes_a_third_of_the_gradient_flops_on_convection():
    flops = {}
    for d in ("forward", "shared_reverse"):
        _, params, _, _, loss = _setup("convection", d, dtype="float32", n=64)
        cost = jax.jit(jax.grad(loss)).lower(params).compile().cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        if not cost or not cost.get("flops"):
            pytest.skip("this backend has no cost analysis")
        flops[d] = cost["flops"]
    assert flops["shared_reverse"] < 2 / 3 * flops["forward"]


def test_unknown_derivatives_is_an_error():
    p = problems.get("convection")
    with pytest.raises(ValueError, match="unknown derivatives 'reverse'"):
        EulerianPinn.build(p, p.params, NetworkConfig(), LossConfig(n_ic=4, n_bc=4), derivatives="reverse")
