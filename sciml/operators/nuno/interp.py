"""Interpolation between a point cloud and NUNO's per-subdomain uniform grids.

Each leaf of a :class:`~sciml.operators.nuno.kdtree.Decomposition` gets a uniform grid laid
on the bounding box of its points (the anchor's ``get_subdomain_bounding_boxes``). The grids
are *long-side aligned*: grid axis ``k`` runs along the leaf's ``k``-th shortest side
(``axis_order``), so in 2-D axis 0 is the short side and axis 1 the long one. All leaves
share one grid shape so that they stack as channels of one network.

Sizing (anchor: ``util/utilities.py`` ``cal_grid_shape`` and ``src/heatsink/ours_nufno.py``):
a leaf with ``m`` points and sides ``L`` wants ``oversampling * m`` nodes in the box's
aspect, ``s_j = round(L_j (oversampling m / prod L)^(1/d))`` (at least 2); its shape is sorted
ascending (long-side alignment) and the common shape is the largest along each sorted axis.
Every leaf is then sampled directly at the common shape (as in the anchor's heat sink; its
channel flow instead resamples each leaf's own grid to the common shape by zero-padding the
FFT, which rings on these non-periodic fields).

- :func:`points_to_grids` (NumPy/SciPy, once per data set): piecewise-linear interpolation
  on the Delaunay triangulation of the whole cloud, filled outside its convex hull by the
  nearest point (or by an RBF on the nearest neighbours).
- :func:`grids_to_points` (JAX: differentiable, vmappable, points may be traced): multilinear
  interpolation in the grid of each point's leaf, clamped to the grid's box (the anchor's
  ``grid_sample(padding_mode="border")``; the anchor uses ``align_corners=False`` with grids
  whose end nodes sit on the box's faces, a half-cell shift that is not reproduced here).

The "FNO after global interpolation" baseline is the one-subdomain case:
``decompose(points, 1)`` and a grid on the cloud's bounding box.

>>> shape = grid_shape(dec, oversampling=1.5)           # common (sorted) grid shape
>>> grids = points_to_grids(points, values, dec, shape) # (n_sub, channels, *shape)
>>> grids_to_points(jnp.asarray(grids), dec, points)    # (n, channels), ~ values
"""

from __future__ import annotations

import functools
import itertools

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float
from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator, RBFInterpolator
from threadpoolctl import ThreadpoolController

from sciml.operators.nuno.kdtree import Decomposition, _check_points, assign

__all__ = [
    "axis_order",
    "check_grid_shape",
    "grid_nodes",
    "grid_shape",
    "grids_to_points",
    "leaf_grid_shapes",
    "leaf_of",
    "points_per_leaf",
    "points_to_grids",
]


def _nodes_for(total: float, extent: np.ndarray) -> tuple[int, ...]:
    scale = (total / np.prod(extent)) ** (1.0 / extent.size)
    return tuple(max(int(np.round(side * scale)), 2) for side in extent)


def axis_order(decomposition: Decomposition) -> np.ndarray:
    """``(n_sub, d)``: the physical axis along which each grid axis of each leaf runs (the
    leaf's sides sorted shortest first, ties in axis order)."""
    extent = decomposition.point_boxes[:, 1] - decomposition.point_boxes[:, 0]
    return np.argsort(extent, axis=1, kind="stable")


def leaf_grid_shapes(
    decomposition: Decomposition, oversampling: float = 1.0, counts: ArrayLike | None = None
) -> np.ndarray:
    """``(n_sub, d)``: each leaf's own grid shape, ``oversampling`` nodes per point in the
    box's aspect, in grid-axis order (sorted ascending).

    ``counts`` ``(n_sub,)``: the points per leaf to size for; by default the decomposed
    cloud's. When the tree is built on the union of many samples' clouds, pass the points
    of *one* sample per leaf (e.g. the mean over samples of ``bincount(assign(cloud))``,
    see :func:`points_per_leaf`): the union counts shared mesh nodes once and new ones
    per sample, so it is no fixed multiple of a sample's count.
    """
    if oversampling <= 0:
        raise ValueError(f"oversampling must be positive; got {oversampling}")
    extent = decomposition.point_boxes[:, 1] - decomposition.point_boxes[:, 0]
    if counts is None:
        counts = decomposition.n_points_per_leaf
    counts = np.asarray(counts, dtype=float)
    if counts.shape != (decomposition.n_subdomains,) or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError(
            f"counts must be {decomposition.n_subdomains} finite non-negative point counts (one per leaf); "
            f"got shape {counts.shape}"
        )
    return np.array([sorted(_nodes_for(oversampling * m, ext)) for m, ext in zip(counts, extent, strict=True)])


def grid_shape(
    decomposition: Decomposition, oversampling: float = 1.0, counts: ArrayLike | None = None
) -> tuple[int, ...]:
    """The common grid shape: the largest leaf grid along each (sorted) grid axis (``counts``
    as in :func:`leaf_grid_shapes`)."""
    return tuple(int(s) for s in leaf_grid_shapes(decomposition, oversampling, counts).max(axis=0))


def points_per_leaf(clouds, decomposition: Decomposition) -> Float[np.ndarray, " n_sub"]:
    """``(n_sub,)``: the mean number of points per leaf over several clouds (each ``(n_i, d)``,
    inside the decomposition's root box), e.g. the training samples' meshes."""
    clouds = list(clouds)
    if not clouds:
        raise ValueError("points_per_leaf needs at least one cloud")
    n_sub = decomposition.n_subdomains
    return np.mean([np.bincount(assign(c, decomposition), minlength=n_sub) for c in clouds], axis=0)


def check_grid_shape(shape, dim: int) -> tuple[int, ...]:
    """``shape`` as ints, after checking it gives ``dim`` sizes, each at least 2."""
    shape = tuple(int(s) for s in shape)
    if len(shape) != dim or min(shape) < 2:
        raise ValueError(f"grid_shape must have {dim} sizes, each >= 2; got {shape}")
    return shape


def grid_nodes(decomposition: Decomposition, grid_shape: tuple[int, ...]) -> Float[np.ndarray, "n_sub *grid d"]:
    """Physical coordinates of every leaf's grid nodes: entry ``[i, j_0, ..., j_{d-1}]`` is
    the node with index ``j_k`` along grid axis ``k`` of leaf ``i``."""
    shape = check_grid_shape(grid_shape, decomposition.dim)
    order = axis_order(decomposition)
    nodes = np.empty((decomposition.n_subdomains, *shape, decomposition.dim))
    for i, (box, axes) in enumerate(zip(decomposition.point_boxes, order, strict=True)):
        lines = [np.linspace(box[0, a], box[1, a], s) for a, s in zip(axes, shape, strict=True)]
        for k, mesh in enumerate(np.meshgrid(*lines, indexing="ij")):
            nodes[i, ..., axes[k]] = mesh
    return nodes


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()  # made on first use, after SciPy has loaded its BLAS


def serial_blas():
    """Context in which SciPy's BLAS/LAPACK run on one thread.

    Delaunay interpolation calls LAPACK on a tiny matrix per triangle (the barycentric
    transforms); OpenBLAS wakes its threads for each, and when another process holds the
    cores every wake waits for a time slice: a 1k-point cloud to a 36x36 grid took 0.3-13 s
    instead of 8 ms on the 2-core CPU beside a training run. (13 us to enter and leave.)"""
    return _threadpools().limit(limits=1, user_api="blas")


def points_to_grids(
    points: Float[np.ndarray, "n d"],
    values: Float[np.ndarray, "n channels"],
    decomposition: Decomposition,
    grid_shape: tuple[int, ...],
    *,
    rbf_neighbors: int | None = None,
) -> Float[np.ndarray, "n_sub channels *grid"]:
    """Values on a point cloud to every leaf's grid: linear on the Delaunay triangulation of
    ``points`` (in 1-D, ``np.interp``); nodes outside the convex hull take the nearest
    point's value, or with ``rbf_neighbors`` a thin-plate RBF on that many nearest points
    (the anchor's channel flow uses 6).

    ``points`` may be another cloud than the decomposed one (e.g. each sample's own mesh).
    To interpolate many samples on one cloud, stack them as channels: one triangulation.

    Raises:
        ValueError: NaN/infinite points or values, mismatched shapes, a bad ``grid_shape``.
    """
    points = _check_points(points)
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] != points.shape[0]:
        raise ValueError(f"values must have shape (n, channels) with n = {points.shape[0]}; got {values.shape}")
    if not np.all(np.isfinite(values)):
        first = np.flatnonzero(~np.isfinite(values).all(axis=1))[0]
        raise ValueError(f"values contain NaN or infinite entries (first at point {first})")
    if points.shape[1] != decomposition.dim:
        raise ValueError(f"points have dimension {points.shape[1]}; the decomposition has {decomposition.dim}")
    nodes = grid_nodes(decomposition, grid_shape)
    query = nodes.reshape(-1, decomposition.dim)
    if decomposition.dim == 1:
        order = np.argsort(points[:, 0])
        out = np.stack([np.interp(query[:, 0], points[order, 0], v[order]) for v in values.T], axis=-1)
    else:
        with serial_blas():
            out = LinearNDInterpolator(points, values)(query)
            outside = np.isnan(out).any(axis=1)
            if outside.any():
                if rbf_neighbors is None:
                    out[outside] = NearestNDInterpolator(points, values)(query[outside])
                else:
                    out[outside] = RBFInterpolator(points, values, neighbors=rbf_neighbors)(query[outside])
    out = out.reshape(*nodes.shape[:-1], values.shape[1])
    return np.moveaxis(out, -1, 1)


def leaf_of(points: Float[ArrayLike, "n d"], decomposition: Decomposition) -> Array:
    """JAX twin of :func:`~sciml.operators.nuno.kdtree.assign` (no bounds check): the leaf of
    each point by replaying the splits; works on traced points."""
    points = jnp.asarray(points)
    leaf = jnp.zeros(points.shape[0], dtype=jnp.int32)
    for split in decomposition.splits:
        leaf = jnp.where((leaf == split.leaf) & (points[:, split.axis] >= split.value), split.new_leaf, leaf)
    return leaf


def grids_to_points(
    grids: Float[ArrayLike, "n_sub channels *grid"],
    decomposition: Decomposition,
    points: Float[ArrayLike, "n d"],
) -> Float[Array, "n channels"]:
    """Multilinear interpolation of each point's value from its leaf's grid (JAX).

    A point outside its leaf's grid box (possible for a cloud other than the decomposed one)
    takes the value at the nearest point of the box (clamped).
    """
    grids = jnp.asarray(grids)
    points = jnp.asarray(points)
    n_sub, dim = decomposition.n_subdomains, decomposition.dim
    if grids.ndim != dim + 2 or grids.shape[0] != n_sub:
        raise ValueError(
            f"grids must have shape (n_sub={n_sub}, channels, *grid) with {dim} grid axes; got {grids.shape}"
        )
    if points.ndim != 2 or points.shape[1] != dim:
        raise ValueError(f"points must have shape (n, {dim}); got {points.shape}")
    shape = check_grid_shape(grids.shape[2:], dim)

    leaf = leaf_of(points, decomposition)
    order = jnp.asarray(axis_order(decomposition))[leaf]  # (n, d) physical axis of each grid axis
    lo = jnp.asarray(decomposition.point_boxes[:, 0])[leaf]
    hi = jnp.asarray(decomposition.point_boxes[:, 1])[leaf]
    unit = jnp.take_along_axis((points - lo) / (hi - lo), order, axis=1)  # (n, d) in grid-axis order
    last = jnp.asarray(shape) - 1
    position = jnp.clip(unit, 0.0, 1.0) * last
    base = jnp.clip(jnp.floor(position).astype(jnp.int32), 0, last - 1)
    frac = position - base

    out = jnp.zeros((points.shape[0], grids.shape[1]), dtype=jnp.result_type(grids, frac))
    for corner in itertools.product((0, 1), repeat=dim):
        weight = jnp.prod(jnp.where(jnp.asarray(corner, dtype=bool), frac, 1.0 - frac), axis=1)
        index = tuple(base[:, k] + corner[k] for k in range(dim))
        # Advanced indices split by the channel slice: the point axis comes first -> (n, channels).
        out = out + weight[:, None] * grids[(leaf, slice(None), *index)]
    return out
