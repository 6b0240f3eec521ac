"""NUNO K-D tree: tiling, assignment, the KL split rule and the split order, errors."""

import itertools

import numpy as np
import pytest

from sciml.operators.nuno.kdtree import assign, decompose, histogram_kl, histogram_shape


def _step_cloud(seed=0):
    """Dense in x < 0.25, sparse in x > 0.25, on the box [0, 1] x [0, 0.5] (corners included)."""
    rng = np.random.default_rng(seed)
    dense = rng.uniform([0.0, 0.0], [0.25, 0.5], (3000, 2))
    sparse = rng.uniform([0.25, 0.0], [1.0, 0.5], (600, 2))
    return np.concatenate([[[0.0, 0.0], [1.0, 0.5]], dense, sparse])


def _skewed_cloud(n=4000, dim=2, seed=1):
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.0, 1.0, (n, dim))
    points[:, 0] = points[:, 0] ** 3
    return points


@pytest.mark.parametrize("dim", [2, 3])
def test_every_point_in_exactly_one_leaf_and_leaves_tile_the_root(dim):
    points = _skewed_cloud(dim=dim)
    dec = decompose(points, 12)
    assert dec.boxes.shape == (12, 2, dim) and dec.n_points_per_leaf.sum() == len(points)
    lo, hi = dec.boxes[:, 0], dec.boxes[:, 1]
    # Half-open cells [lo, hi), closed at the root's upper faces.
    upper = np.isclose(hi, dec.root[1])
    inside = (points[:, None] >= lo) & ((points[:, None] < hi) | (upper & (points[:, None] <= hi)))
    containing = inside.all(axis=2)
    assert np.all(containing.sum(axis=1) == 1)
    np.testing.assert_array_equal(containing.argmax(axis=1), dec.leaf_of_point)
    np.testing.assert_array_equal(assign(points, dec), dec.leaf_of_point)
    # Each leaf's points lie in its point box, which lies in its cell.
    for i in range(12):
        own = points[dec.leaf_of_point == i]
        np.testing.assert_array_equal(dec.point_boxes[i], [own.min(axis=0), own.max(axis=0)])
        assert np.all(dec.point_boxes[i, 0] >= lo[i]) and np.all(dec.point_boxes[i, 1] <= hi[i])
    # Volumes add up to the root's and no two cells overlap.
    volume = np.prod(hi - lo, axis=1)
    np.testing.assert_allclose(volume.sum(), np.prod(dec.root[1] - dec.root[0]), rtol=1e-12)
    for a, b in itertools.combinations(range(12), 2):
        overlap = np.clip(np.minimum(hi[a], hi[b]) - np.maximum(lo[a], lo[b]), 0.0, None)
        assert np.prod(overlap) == 0.0


def test_first_split_is_at_the_density_step():
    points = _step_cloud()
    # Box 1 x 0.5 with 8 cells: a 4 x 2 histogram, interior x edges 0.25, 0.5, 0.75.
    assert histogram_shape(np.array([1.0, 0.5]), 8) == (4, 2)
    dec = decompose(points, 2)
    (split,) = dec.splits
    assert (split.leaf, split.new_leaf, split.axis) == (0, 1, 0)
    assert split.value == pytest.approx(0.25)
    assert split.n_points == len(points) and split.kl == pytest.approx(histogram_kl(points, 8))
    np.testing.assert_allclose(dec.boxes, [[[0, 0], [0.25, 0.5]], [[0.25, 0], [1, 0.5]]])
    # It minimises the point-weighted KL of the halves over the admissible edges.
    for edge in (0.5, 0.75):
        left = points[:, 0] < edge
        halves = points[left], points[~left]
        weighted = sum(len(h) * histogram_kl(h, 8) for h in halves) / len(points)
        assert split.conditional_kl < weighted


def test_uniform_points_one_subdomain_is_the_bounding_box():
    points = np.random.default_rng(2).uniform([-1.0, 2.0], [3.0, 4.0], (500, 2))
    dec = decompose(points, 1)
    assert dec.splits == () and dec.n_subdomains == 1
    np.testing.assert_array_equal(dec.boxes[0], [points.min(axis=0), points.max(axis=0)])
    np.testing.assert_array_equal(dec.leaf_of_point, 0)
    padded = decompose(points, 1, padding=0.1)
    np.testing.assert_allclose(padded.boxes[0, 1] - padded.boxes[0, 0], 1.2 * (points.max(axis=0) - points.min(axis=0)))


def test_largest_kl_times_points_leaf_is_split_next():
    points = _skewed_cloud()
    for k in range(1, 9):
        dec = decompose(points, k)
        scores = [len(own) * histogram_kl(own, 8) for own in (points[dec.leaf_of_point == i] for i in range(k))]
        nxt = decompose(points, k + 1)
        assert nxt.splits[:-1] == dec.splits  # the tree grows; earlier splits stay
        assert nxt.splits[-1].leaf == int(np.argmax(scores))
        assert nxt.splits[-1].kl * nxt.splits[-1].n_points == pytest.approx(max(scores))


def test_min_points_is_respected():
    points = _skewed_cloud(n=600)
    dec = decompose(points, 10, n_bins=5, min_points=20)
    assert dec.n_points_per_leaf.min() >= 20


def test_assign_other_cloud_to_cells():
    points = _skewed_cloud()
    dec = decompose(points, 8, padding=0.05)
    other = np.random.default_rng(5).uniform(-0.04, 1.04, (2000, 2))
    leaf = assign(other, dec)
    lo, hi = dec.boxes[leaf, 0], dec.boxes[leaf, 1]
    assert np.all((other >= lo) & (other <= hi))
    with pytest.raises(ValueError, match=r"1 points lie outside the root box .* \(first: point 0"):
        assign(np.array([[2.0, 0.5]]), dec)


def test_clear_errors():
    points = _skewed_cloud(n=200)
    dup = np.concatenate([points, points[[3, 7]]])
    with pytest.raises(ValueError, match=r"2 duplicates \(e\.g\. point 200 repeats point 3\)"):
        decompose(dup, 2)
    nan = points.copy()
    nan[11, 1] = np.nan
    with pytest.raises(ValueError, match=r"1 points with NaN or infinite coordinates \(first: point 11\)"):
        decompose(nan, 2)
    with pytest.raises(ValueError, match=r"cannot make 40 subdomains: .* >= max\(min_points, n_bins\) = 8 points"):
        decompose(points, 40)
    line = np.stack([np.linspace(0, 1, 50), np.full(50, 0.3)], axis=1)
    with pytest.raises(ValueError, match=r"degenerate point cloud: all points share coordinate 1"):
        decompose(line, 2)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        decompose(points[:, 0], 2)
