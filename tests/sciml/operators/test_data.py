"""Operator samples from data-set pieces: shapes, padding, and one-line errors naming the sample."""

import numpy as np
import pytest
import xarray as xr

from pdes.fenics.datasets import node_dataset
from sciml.operators import data


def darcy_piece(n_nodes, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    xy = rng.random((n_nodes, 2))
    u = rng.random(n_nodes)
    if nan:
        u[3] = np.nan
    cells = np.array([[0, 1, 2]])
    return node_dataset(xy, cells, {"a": (rng.random(n_nodes), "1", "a"), "u": (u, "1", "u")}, {})


def test_point_samples_are_padded_with_a_mask():
    s = data.point_samples("darcy", [darcy_piece(10, 0), darcy_piece(7, 1)])
    assert s.points.shape == (2, 10, 2) and s.x.shape == (2, 10, 1)
    assert s.mask.sum(axis=1).tolist() == [10, 7]
    points, x, y = s.sample(1)
    assert points.shape == (7, 2) and np.all(s.points[1, 7:] == s.points[1, 0])


def test_nan_and_duplicate_points_name_the_sample():
    with pytest.raises(data.DataError, match="darcy sample 1: outputs has NaN"):
        data.point_samples("darcy", [darcy_piece(8, 0), darcy_piece(8, 1, nan=True)])
    dup = darcy_piece(8, 2)
    dup = dup.assign_coords(x=("node", np.r_[dup.x.values[:-1], dup.x.values[0]], dup.x.attrs),
                            y=("node", np.r_[dup.y.values[:-1], dup.y.values[0]], dup.y.attrs))
    with pytest.raises(data.DataError, match="darcy sample 1: 1 duplicate points"):
        data.point_samples("darcy", [darcy_piece(8, 0), dup])


def test_void_distance_is_negative_inside_the_void_and_positive_outside():
    theta = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ds = xr.Dataset({"radius": ("theta", np.full(64, 0.3))}, coords={"theta": theta})
    d = data._void_distance(ds, np.array([[0.5, 0.5], [0.5, 0.75], [0.95, 0.5], [0.5 + 0.3, 0.5]]))
    np.testing.assert_allclose(d, [-0.3, -0.05, 0.15, 0.0], atol=1e-12)


def test_unknown_forms_are_refused():
    with pytest.raises(data.DataError, match="no grid form"):
        data.grid_samples("elasticity", [])
    with pytest.raises(data.DataError, match="no point form"):
        data.point_samples("burgers", [darcy_piece(5)])


def test_inside_mesh():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    inside = data.inside_mesh(points, np.array([[0, 1, 2]]), np.array([[0.2, 0.2], [0.8, 0.8]]))
    assert inside.tolist() == [True, False]


def test_thin_grid_keeps_every_kth_node_of_the_gridded_fields_only():
    n = 21  # every 5th of 21 nodes: 0, 5, ..., 20, as 421 -> 85
    a = np.arange(n * n, dtype=float).reshape(n, n)
    piece = darcy_piece(8).assign(a_grid=(("grid_y", "grid_x"), a), u_grid=(("grid_y", "grid_x"), -a))
    piece = piece.assign_attrs(piece_key="solve key", created="2026-11-28T20:00:00Z")
    thin = data.thin_grid("darcy", piece, 5)
    assert set(thin.data_vars) == {"a_grid", "u_grid"} and thin.a_grid.shape == (5, 5)
    np.testing.assert_array_equal(thin.u_grid.values, -a[::5, ::5])
    assert not np.shares_memory(thin.a_grid.values, piece.a_grid.values)  # a copy: the full grid can be freed
    samples = data.grid_samples("darcy", [thin, thin])
    assert samples.x.shape == (2, 1, 5, 5)
    with pytest.raises(data.DataError, match="no grid form"):
        data.thin_grid("elasticity", piece, 2)
    whole = data.thin_grid("darcy", piece, 1)  # a grid model reads no mesh fields, thinned or not
    assert set(whole.data_vars) == {"a_grid", "u_grid"} and whole.a_grid.shape == (n, n)
    assert whole.attrs == piece.attrs  # what the run's data key is made of


def test_thinned_samples_keep_every_kth_node_on_every_axis():
    x = np.arange(2 * 9 * 9, dtype=float).reshape(2, 1, 9, 9)
    samples = data.GridSamples(x, -x, ("a",), ("u",))
    coarse = samples.thinned(4)  # 9 nodes -> 0, 4, 8 on both axes
    assert coarse.x.shape == coarse.y.shape == (2, 1, 3, 3)
    np.testing.assert_array_equal(coarse.y, -x[:, :, ::4, ::4])
    assert samples.thinned(1).x.shape == x.shape
    line = data.GridSamples(x[:, :, 0], x[:, :, 0], ("a",), ("u",)).thinned(2)  # 1-D: 9 -> 5
    assert line.x.shape == (2, 1, 5)
    with pytest.raises(ValueError, match="every=0"):
        samples.thinned(0)
