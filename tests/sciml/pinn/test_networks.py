"""Networks: shapes, exact periodicity, exact initial/boundary conditions, factorisation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import problems
from sciml.pinn import NetworkConfig, build_network, check_fits
from sciml.pinn.networks import Dense

TINY = dict(width=8, depth=2)


@pytest.mark.parametrize("body", ["mlp", "modified_mlp"])
@pytest.mark.parametrize("rwf", [False, True])
def test_scalar_output_and_periodic_embedding(body, rwf):
    p = problems.get("convection")
    net = build_network(NetworkConfig(body=body, rwf=rwf, periodic_harmonics=2, fourier_features=4, **TINY), p,
                        p.params, key=jax.random.key(0))
    t = jnp.linspace(0, 1, 5, dtype=jnp.float32)
    a, b = p.x_domain
    ua = jax.vmap(net)(jnp.full(5, a, jnp.float32), t)
    ub = jax.vmap(net)(jnp.full(5, b, jnp.float32), t)
    assert ua.shape == (5,) and ua.dtype == jnp.float32
    np.testing.assert_allclose(ua, ub, atol=1e-5)


def test_exact_initial_and_dirichlet_conditions():
    p = problems.get("burgers")
    net = build_network(NetworkConfig(ic="exact", bc="exact", **TINY), p, p.params, key=jax.random.key(1))
    x = jnp.linspace(-1, 1, 7, dtype=jnp.float32)
    np.testing.assert_allclose(jax.vmap(net)(x, jnp.zeros_like(x)), -np.sin(np.pi * np.asarray(x)), atol=1e-6)
    t = jnp.linspace(0, 1, 4, dtype=jnp.float32)
    for edge in (-1.0, 1.0):
        np.testing.assert_allclose(jax.vmap(net)(jnp.full_like(t, edge), t), 0.0, atol=1e-6)


def test_rwf_dense_is_a_reparametrisation():
    layer = Dense(3, 4, key=jax.random.key(2), rwf=(0.5, 0.1))
    w = np.exp(np.asarray(layer.scale))[:, None] * np.asarray(layer.weight)
    h = jnp.arange(3.0, dtype=jnp.float32)
    np.testing.assert_allclose(layer(h), w @ np.asarray(h), rtol=1e-5)


def test_configs_that_do_not_fit_the_problem():
    burgers, conv = problems.get("burgers"), problems.get("convection")
    with pytest.raises(ValueError, match="periodic embedding .* needs a periodic domain"):
        check_fits(NetworkConfig(periodic_harmonics=1), burgers, burgers.params)
    with pytest.raises(ValueError, match="needs the periodic embedding"):
        check_fits(NetworkConfig(bc="exact"), conv, conv.params)
    with pytest.raises(ValueError, match="unknown network body"):
        NetworkConfig(body="resnet")
