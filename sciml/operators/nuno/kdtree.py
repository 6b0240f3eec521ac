"""K-D tree decomposition of a point cloud into boxes of near-uniform point density (NUNO).

Liu et al., "NUNO: A General Framework for Learning Parametric PDEs with Non-Uniform Data",
ICML 2023 (anchor code: thu-ml/NUNO, ``src/kdtree/node.py`` and ``tree.py``).

How far a set of ``m`` points is from uniform is measured on a histogram of its bounding box
with about ``n_bins`` cells in all (not per axis), shaped like the box:
``K_j = round(L_j (n_bins / prod_k L_k)^(1/d))`` cells along axis ``j`` (at least 1), where
``L_j`` is the box's side. With ``p_c`` the fraction of the points in cell ``c``,

    KL = sum_c p_c log(p_c prod_j K_j)      (the divergence KL(p || uniform over the cells)).

The tree grows one split at a time:

1. Every leaf knows its points, their bounding box, its KL and its best split. The best split
   is along the longest side of the points' bounding box, at one of the ``K - 1`` interior
   cell edges of the histogram along that side; it is the edge that minimises the
   point-weighted KL of the two halves, ``(m_l KL_l + m_r KL_r) / m``, each half's KL taken
   on its own points' bounding box. An edge is admissible when both halves keep at least
   ``max(min_points, n_bins)`` points and a bounding box of positive size on every axis.
2. The leaf with the largest ``KL * m`` among those with an admissible split is split next;
   its left half keeps its leaf number and the right half becomes leaf ``n_leaves``.
3. Stop at ``n_subdomains`` leaves.

The leaf *cells* tile the root box (the points' bounding box, optionally padded); each point
belongs to the cell with ``lo <= x < hi`` along every split (points on an edge go right).
Two places where this differs from the anchor code: the anchor puts one extra point into the
left half (``searchsorted(edge) + 1``) and draws the cell border at the first point of the
right half; here the border is the histogram edge itself, so a density jump at a cell edge
gives a split exactly there. Where the anchor would divide by zero (a half whose points share
a coordinate), the edge is not admissible here.

>>> dec = decompose(points, 8)                        # points: (n, d), distinct and finite
>>> dec.boxes.shape, dec.leaf_of_point.shape          # ((8, 2, d), (n,))
>>> assign(other_points, dec)                         # leaf of each point of another cloud
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float, Int

__all__ = ["Decomposition", "Split", "assign", "decompose", "histogram_kl", "histogram_shape"]


@dataclass(frozen=True)
class Split:
    """One split of the tree's history.

    Attributes:
        leaf: the leaf that was split; its left half (``x[axis] < value``) keeps this number.
        new_leaf: the number of the right half (``x[axis] >= value``), the leaf count before
            the split.
        axis: the coordinate axis split.
        value: the cell border, a histogram edge of the leaf's points' bounding box.
        n_points: points in the leaf before the split.
        kl: the leaf's KL divergence before the split (its priority was ``kl * n_points``).
        conditional_kl: the point-weighted KL of the two halves, the quantity minimised.
    """

    leaf: int
    new_leaf: int
    axis: int
    value: float
    n_points: int
    kl: float
    conditional_kl: float


@dataclass(frozen=True, eq=False)
class Decomposition:
    """The leaves of a K-D tree over a point cloud. Hashable by identity, so that a model can
    hold it as a static field.

    Attributes:
        root: ``(2, d)`` the root box ``[lo, hi]``.
        boxes: ``(n_sub, 2, d)`` the leaf cells ``[lo, hi]``; they tile ``root``.
        point_boxes: ``(n_sub, 2, d)`` the bounding boxes of each leaf's points (inside its
            cell, of positive size on every axis); the subdomain grids are laid on these.
        leaf_of_point: ``(n,)`` the leaf of each point of the decomposed cloud.
        splits: the split history, in order.
        n_bins: the histogram's total number of cells used for the KL divergence.
        min_points: the fewest points a leaf may keep (with ``n_bins``, see the module doc).
    """

    root: Float[np.ndarray, "2 d"]
    boxes: Float[np.ndarray, "n_sub 2 d"]
    point_boxes: Float[np.ndarray, "n_sub 2 d"]
    leaf_of_point: Int[np.ndarray, " n"]
    splits: tuple[Split, ...]
    n_bins: int
    min_points: int

    @property
    def n_subdomains(self) -> int:
        return self.boxes.shape[0]

    @property
    def dim(self) -> int:
        return self.boxes.shape[2]

    @property
    def n_points_per_leaf(self) -> Int[np.ndarray, " n_sub"]:
        return np.bincount(self.leaf_of_point, minlength=self.n_subdomains)


def histogram_shape(extent: Float[np.ndarray, " d"], n_bins: int) -> tuple[int, ...]:
    """Cells per axis of a histogram with about ``n_bins`` cells shaped like a box with sides
    ``extent`` (all positive): ``round(L_j (n_bins / prod L)^(1/d))``, at least 1."""
    extent = np.asarray(extent, dtype=float)
    scale = (n_bins / np.prod(extent)) ** (1.0 / extent.size)
    return tuple(max(int(np.round(side * scale)), 1) for side in extent)


def histogram_kl(points: Float[np.ndarray, "m d"], n_bins: int) -> float:
    """KL divergence of the points' histogram (``n_bins`` cells on their bounding box, shaped
    by :func:`histogram_shape`) from the uniform distribution over those cells."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    shape = np.array(histogram_shape(hi - lo, n_bins))
    cell = np.minimum(((points - lo) / (hi - lo) * shape).astype(np.int64), shape - 1)
    counts = np.bincount(np.ravel_multi_index(tuple(cell.T), tuple(shape)), minlength=int(np.prod(shape)))
    p = counts[counts > 0] / len(points)
    return float(np.sum(p * np.log(p * np.prod(shape))))


@dataclass
class _Leaf:
    """A leaf while the tree grows: its points (indices) and its best admissible split."""

    index: Int[np.ndarray, " m"]
    kl: float
    axis: int = -1
    value: float = np.nan
    conditional_kl: float = np.inf

    @property
    def splittable(self) -> bool:
        return np.isfinite(self.conditional_kl)


def _positive_extent(points: np.ndarray) -> bool:
    return bool(np.all(points.max(axis=0) > points.min(axis=0)))


def _grow_leaf(points: np.ndarray, index: np.ndarray, n_bins: int, fewest: int) -> _Leaf:
    """The leaf of the points ``points[index]``, with its KL and best admissible split."""
    own = points[index]
    leaf = _Leaf(index=index, kl=histogram_kl(own, n_bins))
    if len(index) < 2 * fewest:
        return leaf
    lo, hi = own.min(axis=0), own.max(axis=0)
    axis = int(np.argmax(hi - lo))
    cells = histogram_shape(hi - lo, n_bins)[axis]
    x = own[:, axis]
    for j in range(1, cells):
        edge = lo[axis] + j / cells * (hi[axis] - lo[axis])
        left = x < edge
        n_left = int(left.sum())
        if min(n_left, len(x) - n_left) < fewest:
            continue
        halves = own[left], own[~left]
        if not all(_positive_extent(h) for h in halves):
            continue
        conditional = sum(len(h) * histogram_kl(h, n_bins) for h in halves) / len(x)
        if conditional < leaf.conditional_kl:
            leaf.axis, leaf.value, leaf.conditional_kl = axis, float(edge), float(conditional)
    return leaf


def _check_points(points, name: str = "points") -> Float[np.ndarray, "n d"]:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n, d >= 1; got shape {points.shape}")
    bad = ~np.isfinite(points)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise ValueError(f"{name} contain {len(rows)} points with NaN or infinite coordinates (first: point {rows[0]})")
    return points


def _check_distinct(points: np.ndarray) -> None:
    _, first, counts = np.unique(points, axis=0, return_index=True, return_counts=True)
    if len(first) == len(points):
        return
    repeated = np.setdiff1d(np.arange(len(points)), first)
    example = int(repeated[0])
    original = int(np.flatnonzero(np.all(points[: example] == points[example], axis=1))[0])
    raise ValueError(
        f"points contain {len(points) - len(first)} duplicates (e.g. point {example} repeats point {original}); "
        "deduplicate first, e.g. np.unique(points, axis=0) for a union of several samples' clouds"
    )


def decompose(
    points: Float[np.ndarray, "n d"],
    n_subdomains: int,
    *,
    n_bins: int = 8,
    min_points: int = 8,
    root: Float[np.ndarray, "2 d"] | None = None,
    padding: float = 0.0,
) -> Decomposition:
    """Split a point cloud into ``n_subdomains`` boxes by the NUNO K-D tree (module doc).

    Args:
        points: ``(n, d)`` distinct, finite points.
        n_subdomains: the number of leaves wanted.
        n_bins: total histogram cells for the KL divergence (the anchor's ``n_blocks``: 5 for
            elasticity, 8 for channel flow and heat sink, default 8).
        min_points: the fewest points a leaf keeps; a leaf keeps at least
            ``max(min_points, n_bins)`` (the anchor's ``smallest_points``, default 8).
        root: ``(2, d)`` root box ``[lo, hi]`` containing the points; by default their
            bounding box.
        padding: widen the default root box by this fraction of its side at each end (so
            that other clouds with points slightly outside fall inside).

    Raises:
        ValueError: NaN/infinite or duplicate points, points of zero extent along an axis,
            points outside ``root``, or fewer splittable leaves than needed.
    """
    points = _check_points(points)
    _check_distinct(points)
    if n_subdomains < 1:
        raise ValueError(f"n_subdomains must be >= 1; got {n_subdomains}")
    if n_bins < 1 or min_points < 1:
        raise ValueError(f"n_bins and min_points must be >= 1; got n_bins={n_bins}, min_points={min_points}")
    lo, hi = points.min(axis=0), points.max(axis=0)
    flat = np.flatnonzero(hi <= lo)
    if flat.size:
        raise ValueError(f"degenerate point cloud: all points share coordinate {flat[0]} = {lo[flat[0]]:g}")
    if root is None:
        root = np.stack([lo - padding * (hi - lo), hi + padding * (hi - lo)])
    root = np.array(root, dtype=float)
    if root.shape != (2, points.shape[1]) or np.any(root[0] > lo) or np.any(root[1] < hi):
        raise ValueError(
            f"root must be a (2, {points.shape[1]}) box [lo, hi] containing the points; got {root.tolist()}"
        )

    fewest = max(min_points, n_bins)
    leaves = [_grow_leaf(points, np.arange(len(points)), n_bins, fewest)]
    boxes = [root.copy()]
    splits: list[Split] = []
    while len(leaves) < n_subdomains:
        candidates = [i for i, leaf in enumerate(leaves) if leaf.splittable]
        if not candidates:
            largest = max(len(leaf.index) for leaf in leaves)
            raise ValueError(
                f"cannot make {n_subdomains} subdomains: after {len(splits)} splits no leaf has an admissible split "
                f"(each half needs >= max(min_points, n_bins) = {fewest} points and positive extent; the largest "
                f"leaf has {largest} points); lower n_subdomains, min_points or n_bins"
            )
        chosen = max(candidates, key=lambda i: leaves[i].kl * len(leaves[i].index))
        leaf = leaves[chosen]
        left = points[leaf.index, leaf.axis] < leaf.value
        splits.append(
            Split(chosen, len(leaves), leaf.axis, leaf.value, len(leaf.index), leaf.kl, leaf.conditional_kl)
        )
        right_box = boxes[chosen].copy()
        boxes[chosen][1, leaf.axis] = leaf.value
        right_box[0, leaf.axis] = leaf.value
        boxes.append(right_box)
        leaves[chosen] = _grow_leaf(points, leaf.index[left], n_bins, fewest)
        leaves.append(_grow_leaf(points, leaf.index[~left], n_bins, fewest))

    leaf_of_point = np.empty(len(points), dtype=np.int64)
    for i, leaf in enumerate(leaves):
        leaf_of_point[leaf.index] = i
    point_boxes = np.stack([[points[leaf.index].min(axis=0), points[leaf.index].max(axis=0)] for leaf in leaves])
    return Decomposition(
        root=root,
        boxes=np.stack(boxes),
        point_boxes=point_boxes,
        leaf_of_point=leaf_of_point,
        splits=tuple(splits),
        n_bins=n_bins,
        min_points=min_points,
    )


def assign(
    points: Float[np.ndarray, "n d"], decomposition: Decomposition, *, atol: float = 1e-9
) -> Int[np.ndarray, " n"]:
    """The leaf whose cell contains each point (e.g. of another sample's cloud), by replaying
    the splits: the same rule as :func:`decompose` (points on a border go right).

    Raises:
        ValueError: NaN/infinite points, a wrong dimension, or points outside the root box
            by more than ``atol`` times its size.
    """
    points = _check_points(points)
    root = decomposition.root
    if points.shape[1] != root.shape[1]:
        raise ValueError(f"points have dimension {points.shape[1]}; the decomposition has {root.shape[1]}")
    tol = atol * (root[1] - root[0])
    outside = np.flatnonzero(np.any((points < root[0] - tol) | (points > root[1] + tol), axis=1))
    if outside.size:
        raise ValueError(
            f"{outside.size} points lie outside the root box {root.tolist()} (first: point {outside[0]} at "
            f"{points[outside[0]].tolist()}); decompose with a larger root or padding"
        )
    leaf = np.zeros(len(points), dtype=np.int64)
    for split in decomposition.splits:
        leaf[(leaf == split.leaf) & (points[:, split.axis] >= split.value)] = split.new_leaf
    return leaf
