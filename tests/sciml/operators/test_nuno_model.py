"""NUNO model: one subdomain on a uniform grid is the plain FNO; subdomains stack as
channels of one FNO; predictions at points; jit/grad/vmap; shape errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.operators.fno import FNO
from sciml.operators.nuno.interp import grid_shape, grids_to_points, points_to_grids
from sciml.operators.nuno.kdtree import decompose
from sciml.operators.nuno.model import NUNO, nu_fno


def _lattice(n):
    nodes = np.linspace(0.0, 1.0, n)
    x, y = np.meshgrid(nodes, nodes, indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


def test_one_subdomain_on_a_uniform_grid_is_the_plain_fno():
    points = _lattice(16)
    values = np.stack([np.sin(2 * np.pi * points[:, 0]), points[:, 1] ** 2], axis=1)
    dec = decompose(points, 1)
    fno = FNO(2, 3, modes=(5, 5), width=8, n_layers=2, key=jax.random.key(0))
    model = NUNO(fno, dec, 2, 3)
    grids = points_to_grids(points, values, dec, (16, 16))
    # The lattice is the grid: the interpolated grid is the data, and reading back is exact.
    np.testing.assert_allclose(grids[0], values.T.reshape(2, 16, 16), atol=1e-12)
    plain = fno(jnp.asarray(grids[0]))
    np.testing.assert_allclose(model.grids(jnp.asarray(grids))[0], plain, rtol=1e-6, atol=1e-6)
    at_points = model(jnp.asarray(grids), points)
    np.testing.assert_allclose(at_points, plain.reshape(3, -1).T, rtol=1e-5, atol=1e-5)


def test_subdomains_are_stacked_as_channels_of_one_fno():
    rng = np.random.default_rng(0)
    points = rng.uniform(0.0, 1.0, (1500, 2))
    points[:, 0] **= 2
    dec = decompose(points, 4)
    shape = grid_shape(dec, 1.0)
    model = nu_fno(dec, 1, 2, modes=(4, 4), width=8, n_layers=2, key=jax.random.key(1))
    assert (model.operator.in_channels, model.operator.out_channels) == (4, 8)
    grids = jnp.asarray(points_to_grids(points, np.cos(3 * points[:, :1]), dec, shape))
    out = model.grids(grids)
    assert out.shape == (4, 2, *shape)
    # Subdomain-major channels: subdomain s, channel c is the operator's channel 2 s + c.
    stacked = model.operator(grids.reshape(4, *shape))
    np.testing.assert_allclose(out[2, 1], stacked[5], rtol=1e-6)
    np.testing.assert_allclose(model(grids, points), grids_to_points(out, dec, points), rtol=1e-6)
    # Each subdomain's output depends on the other subdomains' inputs (one operator mixes them).
    bumped = grids.at[3].add(1.0)
    assert not np.allclose(model.grids(bumped)[0], out[0])


def test_jit_grad_and_vmap():
    rng = np.random.default_rng(1)
    points = rng.uniform(0.0, 1.0, (800, 2))
    dec = decompose(points, 2)
    shape = grid_shape(dec, 1.0)
    model = nu_fno(dec, 1, 1, modes=(3, 3), width=4, n_layers=1, key=jax.random.key(2))
    x = jnp.asarray(points_to_grids(points, points[:, :1] * points[:, 1:], dec, shape))
    target = jnp.asarray(np.sin(points[:, :1]))

    @eqx.filter_jit
    def loss(m, xb):
        pred = jax.vmap(lambda xi: m(xi, points))(xb)
        return jnp.mean((pred - target) ** 2)

    batch = jnp.stack([x, 2 * x])
    grads = eqx.filter_grad(loss)(model, batch)
    leaves = jax.tree_util.tree_leaves(eqx.filter(grads, eqx.is_inexact_array))
    assert leaves and all(np.all(np.isfinite(g)) for g in leaves)
    assert any(np.any(g != 0) for g in leaves)
    assert np.isfinite(loss(model, batch))


def test_wrong_input_shape_is_a_clear_error():
    points = np.random.default_rng(2).uniform(0.0, 1.0, (400, 2))
    dec = decompose(points, 2)
    model = nu_fno(dec, 1, 1, modes=(3, 3), width=4, n_layers=1, key=jax.random.key(3))
    with pytest.raises(ValueError, match=r"input must have shape \(n_sub=2, in_channels=1, \*grid\)"):
        model.grids(jnp.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="channels must be >= 1"):
        NUNO(model.operator, dec, 0, 1)
