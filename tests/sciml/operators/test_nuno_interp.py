"""NUNO interpolation: grid sizing and alignment, second-order convergence both ways, round
trips, JAX transforms, fill outside the hull, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.operators.nuno.interp import (
    axis_order,
    grid_nodes,
    grid_shape,
    grids_to_points,
    leaf_grid_shapes,
    leaf_of,
    points_to_grids,
    serial_blas,
)
from sciml.operators.nuno.kdtree import assign, decompose


def _field(p):
    return np.sin(2 * np.pi * p[..., 0]) * np.cos(2 * np.pi * p[..., 1])


def _cloud(n, *, warp=False, seed=0):
    """``n`` random points in the unit square plus ~4 sqrt(n) evenly spaced boundary points
    (as a mesh has); ``warp`` squeezes them towards x = 0."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, int(np.sqrt(n)), endpoint=False)
    zero, one = np.zeros_like(t), np.ones_like(t)
    boundary = np.concatenate([np.stack(pair, axis=1) for pair in [(t, zero), (one, t), (1 - t, one), (zero, 1 - t)]])
    points = np.concatenate([boundary, rng.uniform(0.0, 1.0, (n, 2))])
    if warp:
        points[:, 0] = points[:, 0] ** 2
    return points


def _slope(h, err):
    return np.polyfit(np.log(h), np.log(err), 1)[0]


def test_grid_shapes_follow_point_counts_and_aspect():
    points = _cloud(4000, warp=True)
    dec = decompose(points, 6)
    shapes = leaf_grid_shapes(dec, 1.5)
    extent = dec.point_boxes[:, 1] - dec.point_boxes[:, 0]
    for shape, m, ext, order in zip(shapes, dec.n_points_per_leaf, extent, axis_order(dec), strict=True):
        assert list(shape) == sorted(shape)  # long side last
        np.testing.assert_allclose(np.prod(shape), 1.5 * m, rtol=0.25)
        np.testing.assert_allclose(shape[1] / shape[0], ext[order[1]] / ext[order[0]], rtol=0.3)
        assert ext[order[0]] <= ext[order[1]]
    assert grid_shape(dec, 1.5) == tuple(shapes.max(axis=0))


def test_grid_nodes_span_each_leaf_box_long_side_last():
    dec = decompose(_cloud(2000, warp=True), 5)
    nodes = grid_nodes(dec, (6, 9))
    for i, order in enumerate(axis_order(dec)):
        np.testing.assert_allclose(nodes[i, 0, 0], dec.point_boxes[i, 0])
        np.testing.assert_allclose(nodes[i, -1, -1], dec.point_boxes[i, 1])
        # Grid axis 1 moves along the physical axis order[1] only.
        step = nodes[i, 0, 1] - nodes[i, 0, 0]
        assert step[order[1]] > 0 and step[order[0]] == 0


def test_grids_to_points_is_second_order():
    points = _cloud(3000, warp=True)
    dec = decompose(points, 6)
    sizes = np.array([8, 16, 32, 64])
    errors = []
    for n in sizes:
        back = np.asarray(grids_to_points(_field(grid_nodes(dec, (n, n)))[:, None], dec, points))
        errors.append(np.abs(back[:, 0] - _field(points)).max())
    assert _slope(1.0 / (sizes - 1), errors) == pytest.approx(2.0, abs=0.15)


def test_points_to_grids_is_second_order_in_point_spacing():
    counts = np.array([500, 2000, 8000])
    errors = []
    for n in counts:
        points = _cloud(n, seed=int(n))
        dec = decompose(points, 1)
        grids = points_to_grids(points, _field(points)[:, None], dec, (40, 40))
        errors.append(np.sqrt(np.mean((grids[0, 0] - _field(grid_nodes(dec, (40, 40))[0])) ** 2)))
    # Point spacing h ~ n^(-1/2): error ~ h^2 ~ 1/n.
    assert _slope(1.0 / np.sqrt(counts), errors) == pytest.approx(2.0, abs=0.25)


def test_round_trip_exact_for_linear_fields_and_accurate_on_fine_grids():
    points = _cloud(3000, warp=True)
    dec = decompose(points, 6)
    linear = np.stack([1.0 + 2.0 * points[:, 0] - 3.0 * points[:, 1], points[:, 0]], axis=1)
    coarse = grid_shape(dec, 1.0)
    back = grids_to_points(points_to_grids(points, linear, dec, coarse), dec, points)
    np.testing.assert_allclose(back, linear, atol=1e-11)
    smooth = _field(points)[:, None]
    errors = []
    for oversampling in (1.0, 16.0):
        grids = points_to_grids(points, smooth, dec, grid_shape(dec, oversampling))
        back = np.asarray(grids_to_points(grids, dec, points))
        errors.append(np.linalg.norm(back - smooth) / np.linalg.norm(smooth))
    assert errors[1] < 2e-3 and errors[1] < errors[0] < 1e-2


def test_global_interpolation_is_the_one_subdomain_case():
    points = _cloud(1000)
    dec = decompose(points, 1)
    grids = points_to_grids(points, _field(points)[:, None], dec, (17, 17))
    nodes = np.linspace(0.0, 1.0, 17)
    x, y = np.meshgrid(nodes, nodes, indexing="ij")
    np.testing.assert_allclose(grid_nodes(dec, (17, 17))[0], np.stack([x, y], axis=-1), atol=1e-15)
    np.testing.assert_allclose(grids[0, 0], _field(np.stack([x, y], axis=-1)), atol=0.06)


def test_fill_outside_hull_is_nearest_point():
    # A disc: the grid's corners lie outside the cloud's convex hull.
    rng = np.random.default_rng(3)
    r, theta = np.sqrt(rng.uniform(0, 1, 800)), rng.uniform(0, 2 * np.pi, 800)
    points = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    values = np.stack([points[:, 0], points[:, 1] ** 2], axis=1)
    dec = decompose(points, 1)
    grids = points_to_grids(points, values, dec, (9, 9))
    corner = grid_nodes(dec, (9, 9))[0, 0, 0]
    nearest = np.argmin(np.linalg.norm(points - corner, axis=1))
    np.testing.assert_allclose(grids[0, :, 0, 0], values[nearest])
    rbf = points_to_grids(points, values, dec, (9, 9), rbf_neighbors=6)
    assert np.all(np.isfinite(rbf)) and np.allclose(rbf[0, :, 4, 4], grids[0, :, 4, 4])


def test_grids_to_points_jit_grad_vmap_and_traced_points():
    points = _cloud(1500, warp=True)
    dec = decompose(points, 4)
    shape = grid_shape(dec)
    grids = jnp.asarray(points_to_grids(points, _field(points)[:, None], dec, shape))
    direct = grids_to_points(grids, dec, points)
    np.testing.assert_array_equal(jax.jit(lambda p: leaf_of(p, dec))(points), assign(points, dec))
    np.testing.assert_allclose(jax.jit(lambda g, p: grids_to_points(g, dec, p))(grids, points), direct, rtol=1e-12)
    batched = jax.vmap(lambda g: grids_to_points(g, dec, points))(jnp.stack([grids, 2 * grids]))
    np.testing.assert_allclose(batched[1], 2 * direct, rtol=1e-12)
    # Linear in the grid values: the gradient of the sum is the sum of interpolation weights.
    weights = jax.grad(lambda g: grids_to_points(g, dec, points).sum())(grids)
    np.testing.assert_allclose(weights.sum(), len(points), rtol=1e-12)
    assert np.all(np.asarray(weights) >= 0)


def test_serial_blas_limits_scipy_blas_to_one_thread_and_restores_it():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    with threadpool_limits(2, user_api="blas"):  # two threads before, on a machine of any size
        before = blas_threads()
        assert before and all(n == 2 for n in before), "SciPy's BLAS is loaded with the interpolation module"
        with serial_blas():
            assert blas_threads() == [1] * len(before)
        assert blas_threads() == before


def test_clear_errors():
    points = _cloud(300)
    dec = decompose(points, 2)
    values = _field(points)[:, None]
    with pytest.raises(ValueError, match=r"values contain NaN .* point 5"):
        points_to_grids(points, np.where(np.arange(len(points))[:, None] == 5, np.nan, values), dec, (8, 8))
    with pytest.raises(ValueError, match=r"values must have shape \(n, channels\)"):
        points_to_grids(points, values[:, 0], dec, (8, 8))
    with pytest.raises(ValueError, match=r"grid_shape must have 2 sizes, each >= 2"):
        points_to_grids(points, values, dec, (8, 1))
    with pytest.raises(ValueError, match=r"grids must have shape \(n_sub=2"):
        grids_to_points(jnp.zeros((3, 1, 8, 8)), dec, points)
    with pytest.raises(ValueError, match="oversampling must be positive"):
        grid_shape(dec, 0.0)
