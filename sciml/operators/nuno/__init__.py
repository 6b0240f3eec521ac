"""NUNO (Liu et al., ICML 2023): learning operators from non-uniform point clouds by a K-D
tree decomposition into near-uniform subdomains, one uniform grid per subdomain, and one grid
operator (an FNO) over the grids stacked as channels.

- :mod:`.kdtree`: :func:`decompose` a cloud into boxes, :func:`assign` other points to them.
- :mod:`.interp`: grid sizes, :func:`points_to_grids` (SciPy), :func:`grids_to_points` (JAX).
- :mod:`.model`: :class:`NUNO` and :func:`nu_fno`.
"""

from sciml.operators.nuno.interp import (
    axis_order,
    grid_nodes,
    grid_shape,
    grids_to_points,
    leaf_grid_shapes,
    leaf_of,
    points_per_leaf,
    points_to_grids,
)
from sciml.operators.nuno.kdtree import Decomposition, Split, assign, decompose, histogram_kl, histogram_shape
from sciml.operators.nuno.model import NUNO, nu_fno

__all__ = [
    "NUNO",
    "Decomposition",
    "Split",
    "assign",
    "axis_order",
    "decompose",
    "grid_nodes",
    "grid_shape",
    "grids_to_points",
    "histogram_kl",
    "histogram_shape",
    "leaf_grid_shapes",
    "leaf_of",
    "nu_fno",
    "points_per_leaf",
    "points_to_grids",
]
