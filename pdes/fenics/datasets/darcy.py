"""The Darcy data set (FNO's, Li et al. 2021, on unstructured meshes): -div(a grad u) = 1 on the
unit square, u = 0 on the boundary, ``a`` = 12 where a Gaussian random field is >= 0 and 3 where
it is negative.

The field follows FNO's data generator: a cosine series with coefficients
``tau^(alpha-1) (pi^2 |k|^2 + tau^2)^(-alpha/2) xi_k`` (alpha = 2, tau = 3, xi standard normal,
the constant mode removed), i.e. covariance proportional to (-Laplacian + tau^2)^(-alpha) with
Neumann conditions, evaluated at the s x s pixel centres by an orthonormal inverse DCT-II.
Only its sign matters. The solve is P1 on an unstructured gmsh mesh; the solution is kept at the
mesh nodes and also on a regular g x g grid of the square's nodes (FNO's layout: g = 421, or 85
subsampled), by exact evaluation of the P1 function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from scipy import fft

from ._dataset import FenicsDataset, node_dataset

A_HIGH, A_LOW = 12.0, 3.0


def threshold_field(rng: np.random.Generator, s: int, alpha: float = 2.0, tau: float = 3.0) -> np.ndarray:
    """(s, s) permeability: ``A_HIGH`` where the random field is >= 0, ``A_LOW`` elsewhere."""
    k1, k2 = np.meshgrid(np.arange(s), np.arange(s), indexing="xy")
    coef = tau ** (alpha - 1) * (np.pi**2 * (k1**2 + k2**2) + tau**2) ** (-alpha / 2)
    modes = s * coef * rng.standard_normal((s, s))
    modes[0, 0] = 0.0
    field = fft.idctn(modes, type=2, norm="ortho")
    return np.where(field >= 0, A_HIGH, A_LOW)


def draw(rng: np.random.Generator, options: Mapping[str, Any]) -> dict:
    return {"permeability": threshold_field(rng, int(options["pixels"])),
            "mesh_size": float(options["mesh_size"]), "forcing": 1.0, "grid": int(options["grid"])}


def grid_values(coords: np.ndarray, cells: np.ndarray, values: np.ndarray, g: int) -> np.ndarray:
    """The P1 function (values at nodes of the triangulation) at the g x g nodes of the unit square."""
    import matplotlib.tri as mtri

    tri = mtri.Triangulation(coords[:, 0], coords[:, 1], cells)
    xs = np.linspace(0.0, 1.0, g)
    X, Y = np.meshgrid(xs, xs, indexing="xy")
    # nudge points on the boundary inside by a rounding error, so none falls outside the hull
    eps = 1e-12
    out = mtri.LinearTriInterpolator(tri, values)(np.clip(X, eps, 1 - eps), np.clip(Y, eps, 1 - eps))
    return np.asarray(out.filled(np.nan))


def to_xarray(result: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> xr.Dataset:
    coords, cells = result["coords"], result["cells"]
    g = int(params["grid"])
    perm = np.asarray(params["permeability"])
    s = perm.shape[0]
    ds = node_dataset(
        coords, cells,
        {"a": (result["a"], "1", "permeability at the node (its pixel's value)"),
         "u": (result["u"], "1", "pressure head u")},
        params, length_units="1",
        scalars={"flux_in": (result["flux_in"], "1", "integral of the source f"),
                 "flux_out": (result["flux_out"], "1", "outward flux of -a grad u (consistent)")},
    )
    xs = np.linspace(0.0, 1.0, g)
    centres = (np.arange(s) + 0.5) / s
    pixel = np.clip((xs * s).astype(int), 0, s - 1)  # the pixel holding each grid line
    grid_a = perm[np.ix_(pixel, pixel)]
    return ds.assign_coords(
        grid_x=("grid_x", xs, {"units": "1", "long_name": "regular grid x"}),
        grid_y=("grid_y", xs, {"units": "1", "long_name": "regular grid y"}),
        pixel_x=("pixel_x", centres, {"units": "1", "long_name": "pixel centre x"}),
        pixel_y=("pixel_y", centres, {"units": "1", "long_name": "pixel centre y"}),
    ).assign(
        a_grid=(("grid_y", "grid_x"), grid_a, {"units": "1", "long_name": "permeability on the regular grid"}),
        u_grid=(("grid_y", "grid_x"), grid_values(coords, cells, result["u"], g),
                {"units": "1", "long_name": "pressure head on the regular grid (P1 evaluation)"}),
        permeability=(("pixel_y", "pixel_x"), perm, {"units": "1", "long_name": "permeability pixels (row = y)"}),
    )


DATASET = FenicsDataset(
    name="darcy",
    solver="darcy",
    description="Darcy flow, thresholded Gaussian permeability (FNO), P1 on unstructured meshes",
    draw=draw,
    to_xarray=to_xarray,
    options={"quick": {"pixels": 32, "mesh_size": 0.05, "grid": 33},
             "full": {"pixels": 421, "mesh_size": 0.006, "grid": 421}},
)
