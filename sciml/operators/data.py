"""Operator-learning samples from the PDE data sets: xarray in, arrays out.

This is the one place where data crosses into :mod:`sciml.operators`: the data sets of
``make data-pdes`` (contract ``xr.Dataset`` pieces) become NumPy arrays, on grids (FNO) or on
point clouds (NUNO and the baselines on the FEniCS meshes).

What maps to what (inputs -> outputs), per data set:

* ``burgers``: u0(x) -> u(x, t_final)                                   (grid, 1-D)
* ``navier_stokes``: w at the first ``t_in`` saved times -> w at the rest (grid, 2-D; direct, not recurrent)
* ``darcy``: permeability a -> pressure u, on the regular grid or at the mesh nodes
* ``elasticity``: signed distance to the void boundary -> von Mises stress at the nodes
* ``heat_sink``: conductivity, inflow q and cooling h at the nodes -> temperature rise T - T_amb
* ``channel_flow``: (u, v, p) at the first half of the saved times -> the second half (time folded into channels)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

GRID_SETS = ("burgers", "navier_stokes", "darcy")
POINT_SETS = ("elasticity", "heat_sink", "channel_flow", "darcy")


class DataError(ValueError):
    """The data cannot feed the model; the message names the sample and what is wrong."""


@dataclass(frozen=True)
class GridSamples:
    """x (N, C_in, *grid) -> y (N, C_out, *grid), with channel names."""

    x: np.ndarray
    y: np.ndarray
    names_in: tuple[str, ...]
    names_out: tuple[str, ...]

    def __len__(self) -> int:
        return self.x.shape[0]

    def thinned(self, every: int) -> GridSamples:
        """Every ``every``-th node along each spatial axis, starting at the first (Darcy's 421 x 421
        nodes at ``every`` = 5: the 85 x 85 of the FNO paper, both ends kept)."""
        if every < 1:
            raise ValueError(f"every={every}: thin grids by a positive whole number of nodes")
        grid = (slice(None), slice(None)) + (slice(None, None, every),) * (self.x.ndim - 2)
        return GridSamples(self.x[grid], self.y[grid], self.names_in, self.names_out)


@dataclass(frozen=True)
class PointSamples:
    """Fields on per-sample point clouds, padded to the largest cloud.

    Attributes:
        points: (N, P, d) coordinates; padding repeats the sample's first point.
        mask: (N, P) True at real points.
        x: (N, P, C_in) inputs at the points; y: (N, P, C_out) outputs.
        cells: per sample, the (M_i, 3) triangles of its mesh (for inside/outside tests).
    """

    points: np.ndarray
    mask: np.ndarray
    x: np.ndarray
    y: np.ndarray
    cells: tuple[np.ndarray, ...]
    names_in: tuple[str, ...]
    names_out: tuple[str, ...]

    def __len__(self) -> int:
        return self.points.shape[0]

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(points, x, y) of sample i without padding."""
        m = self.mask[i]
        return self.points[i, m], self.x[i, m], self.y[i, m]


def _finite(name: str, index: int, **arrays: np.ndarray) -> None:
    for key, value in arrays.items():
        if not np.all(np.isfinite(value)):
            raise DataError(f"{name} sample {index}: {key} has NaN or infinite values")


# ---- grids ---------------------------------------------------------------------------------
# the spatial dimensions of each grid data set's fields, in the files
_GRID_DIMS = {"burgers": ("x",), "navier_stokes": ("x", "y"), "darcy": ("grid_y", "grid_x")}


def thin_grid(name: str, piece: xr.Dataset, every: int) -> xr.Dataset:
    """The gridded fields of ``piece`` (of grid data set ``name``) at every ``every``-th node
    along each spatial axis, starting at the first (the FNO paper's Darcy 85 x 85 from 421 x 421
    with ``every`` = 5; copied, so that the full grid can be freed), without the fields off the
    grid (Darcy's mesh solution, also dropped at ``every`` = 1): applied as each piece is read, so
    that neither the full-resolution set nor the meshes are held at once."""
    base = "navier_stokes" if name.startswith("navier_stokes_") else name
    if base not in _GRID_DIMS:
        raise DataError(f"{name!r} has no grid form; grid data sets: {', '.join(GRID_SETS)}")
    dims = [d for d in _GRID_DIMS[base] if d in piece.dims]
    on_grid = [v for v in piece.data_vars if set(piece[v].dims) & set(dims)]
    if every == 1:  # nothing to free but the off-grid fields, which the subset drops: no copy
        return piece[on_grid]
    return piece[on_grid].isel({d: slice(None, None, every) for d in dims}).copy(deep=True)


def grid_samples(name: str, pieces: Sequence[xr.Dataset], *, t_in: int | None = None) -> GridSamples:
    """Grid samples of data set ``name`` from its pieces (chunks or per-sample files), in order."""
    if name == "burgers":
        a = np.concatenate([p.a.values for p in pieces])
        u = np.concatenate([p.u.values[:, -1] for p in pieces])
        out = GridSamples(a[:, None], u[:, None], ("u0",), ("u(t_final)",))
    elif name == "navier_stokes" or name.startswith("navier_stokes_"):
        w = np.concatenate([np.concatenate([p.a.values[:, None], p.w.values], axis=1) for p in pieces])
        n_t = w.shape[1]
        t_in = t_in or max(1, n_t // 5)
        if not 1 <= t_in < n_t:
            raise DataError(f"{name}: t_in={t_in} must be in [1, {n_t - 1}] ({n_t} saved times incl. t=0)")
        out = GridSamples(w[:, :t_in], w[:, t_in:], tuple(f"w{k}" for k in range(t_in)),
                          tuple(f"w{k}" for k in range(t_in, n_t)))
    elif name == "darcy":
        a = np.stack([p.a_grid.values for p in pieces])
        u = np.stack([p.u_grid.values for p in pieces])
        out = GridSamples(a[:, None], u[:, None], ("a",), ("u",))
    else:
        raise DataError(f"{name!r} has no grid form; grid data sets: {', '.join(GRID_SETS)}")
    for i in range(len(out)):
        _finite(name, i, x=out.x[i], y=out.y[i])
    return out


# ---- point clouds ---------------------------------------------------------------------------
def _void_distance(ds: xr.Dataset, xy: np.ndarray) -> np.ndarray:
    """Signed distance-like field |p - c| - r(theta(p)): > 0 in the solid, < 0 in the void."""
    theta = np.mod(ds.theta.values, 2 * np.pi)
    order = np.argsort(theta)
    rel = xy - 0.5
    angle = np.mod(np.arctan2(rel[:, 1], rel[:, 0]), 2 * np.pi)
    radius = np.interp(angle, theta[order], ds.radius.values[order], period=2 * np.pi)
    return np.hypot(rel[:, 0], rel[:, 1]) - radius


def _point_fields(name: str, ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, tuple, tuple]:
    xy = np.stack([ds.x.values, ds.y.values], axis=1)
    if name == "elasticity":
        return _void_distance(ds, xy)[:, None], ds.von_mises.values[:, None], ("void_distance",), ("von_mises",)
    if name == "heat_sink":
        k = np.where(ds.y.values > float(ds.base_height) + 1e-12, float(ds.k_fin), float(ds.k_base))
        ones = np.ones_like(k)
        x = np.stack([k / 400.0, ones * float(ds.q) / 1e4, ones * float(ds.h) / 100.0], axis=1)
        return x, (ds["T"].values - float(ds.T_amb))[:, None], ("k", "q", "h"), ("T - T_amb",)
    if name == "channel_flow":
        fields = np.concatenate([ds.u.values, ds.p.values[..., None]], axis=-1)  # (time, node, 3)
        half = fields.shape[0] // 2
        x = np.moveaxis(fields[:half], 0, 1).reshape(xy.shape[0], -1)
        y = np.moveaxis(fields[half:2 * half], 0, 1).reshape(xy.shape[0], -1)
        return x, y, tuple(f"{f}{k}" for k in range(half) for f in "uvp"), \
            tuple(f"{f}{k}" for k in range(half, 2 * half) for f in "uvp")
    if name == "darcy":
        return ds.a.values[:, None], ds.u.values[:, None], ("a",), ("u",)
    raise DataError(f"{name!r} has no point form; point data sets: {', '.join(POINT_SETS)}")


# the variables of a FEniCS piece that point_samples reads (with the coordinates x, y)
POINT_VARIABLES = {
    "elasticity": ("cells", "von_mises", "radius", "theta"),
    "heat_sink": ("cells", "T", "base_height", "k_fin", "k_base", "q", "h", "T_amb"),
    "channel_flow": ("cells", "u", "p"),
    "darcy": ("cells", "a", "u"),
}


def point_reads(name: str, piece: xr.Dataset) -> xr.Dataset:
    """Only what :func:`point_samples` reads of ``piece`` (coordinates, cells, the fields it
    maps), values, dtypes and attributes as they are (so that a run's data key and its cached
    grids still match): a copy of a point-cloud set small enough to move to another machine
    (``scripts/pack_points.py``; the full elasticity set's 136 MB of files become a 35 MB tar.gz)."""
    if name not in POINT_VARIABLES:
        raise DataError(f"{name!r} has no point form; point data sets: {', '.join(POINT_SETS)}")
    return piece[list(POINT_VARIABLES[name])]


def check_cloud(name: str, index: int, points: np.ndarray) -> None:
    """One-line errors for NaN or duplicate points of sample ``index``."""
    if not np.all(np.isfinite(points)):
        raise DataError(f"{name} sample {index}: point coordinates have NaN or infinite values")
    _, first, counts = np.unique(points, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        raise DataError(f"{name} sample {index}: {int(np.sum(counts - 1))} duplicate points "
                        f"(e.g. at {points[first[counts > 1][0]].tolist()})")


def point_samples(name: str, pieces: Sequence[xr.Dataset]) -> PointSamples:
    """Point-cloud samples of FEniCS data set ``name`` from its per-sample files, in order."""
    clouds, xs, ys, cells = [], [], [], []
    names_in = names_out = ()
    for i, ds in enumerate(pieces):
        xy = np.stack([ds.x.values, ds.y.values], axis=1)
        check_cloud(name, i, xy)
        x, y, names_in, names_out = _point_fields(name, ds)
        _finite(name, i, inputs=x, outputs=y)
        if xs and (x.shape[1] != xs[0].shape[1] or y.shape[1] != ys[0].shape[1]):
            raise DataError(f"{name} sample {i}: {x.shape[1]} inputs/{y.shape[1]} outputs per point, "
                            f"sample 0 has {xs[0].shape[1]}/{ys[0].shape[1]} (mixed profiles?)")
        clouds.append(xy), xs.append(x), ys.append(y), cells.append(ds.cells.values)
    if not clouds:
        raise DataError(f"{name}: no samples")
    n = max(len(c) for c in clouds)
    pad = lambda arrs: np.stack([np.concatenate([a, np.repeat(a[:1], n - len(a), axis=0)]) for a in arrs])  # noqa: E731
    mask = np.stack([np.arange(n) < len(c) for c in clouds])
    return PointSamples(pad(clouds), mask, pad(xs), pad(ys), tuple(cells), names_in, names_out)


def inside_mesh(points: np.ndarray, cells: np.ndarray, query: np.ndarray) -> np.ndarray:
    """(q,) True where ``query`` points lie in the triangulation (points, cells)."""
    import matplotlib.tri as mtri

    tri = mtri.Triangulation(points[:, 0], points[:, 1], cells)
    return tri.get_trifinder()(query[:, 0], query[:, 1]) >= 0
