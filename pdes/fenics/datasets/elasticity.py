"""The elasticity data set (Geo-FNO, Li, Huang, Liu & Anandkumar 2022; also used by NUNO): a unit
cell [0, 1]^2 m with a void at its centre, clamped at the bottom and pulled by a traction
(0, t) on the top; the output is the von Mises stress at the mesh nodes.

Void: r(theta) = 0.2 + 0.2 / (1 + exp(rho(theta))) m, so 0.2 <= r <= 0.4, with rho a Gaussian
random field on the circle with covariance 4^2 (-d^2/dtheta^2 + 3^2)^(-1) (Geo-FNO's law as we
read it). Its Karhunen-Loeve expansion in the orthonormal Fourier basis of L^2(0, 2 pi),
truncated at ``modes`` wavenumbers, gives the coefficients drawn here:

    rho(theta) = a_0 + sum_{k=1}^{K} a_k cos(k theta) + b_k sin(k theta),
    a_0 = 4 xi_0 / (3 sqrt(2 pi)) (only with ``constant``),  a_k, b_k = 4 xi / sqrt(pi (k^2 + 9)),
    xi ~ N(0, 1).

Geo-FNO's published voids have K = 5 and no constant: its data files hold ten random
coefficients a sample (``Random_UnitCell_theta_10.npy``, shape (2000, 10), as the loaders of
the codes that train on it read it), which follow the cosine and sine coefficients of the
first five Fourier modes of the radius. That is the default here (``modes`` 5, ``constant``
False). Until 2026-11-28 this data set drew K = 16 with the constant, voids with sharper
notches and stress peaks than Geo-FNO's (set ``modes`` 16, ``constant`` True for those).

The void's boundary is the closed spline through r at ``n_boundary`` equally spaced angles.

Material and load (fixed, not drawn): Geo-FNO's material is an incompressible Rivlin-Saunders
solid (C1 = 1.863e5 Pa, C2 = 9.79e3 Pa) solved with finite strains. Here the solve is linear
(small strain), plane stress, with that solid's small-strain moduli: shear modulus
mu = 2 (C1 + C2), nu = 0.5 (incompressible; no locking in plane stress), so E = 3 mu. The
traction t = 100 Pa (in y) is the value we recall from the paper's text, not checked against
it; the response is linear in t, so t only scales the stresses.

Mesh: as Geo-FNO's point clouds, dense near the void, where the stress concentrates: element
size ``void_size`` on the void growing linearly to ``mesh_size`` at 0.2 m from it. ``full``
(0.015 m -> 0.06 m) gives about 970 nodes a sample, Geo-FNO's 972 points; a uniform mesh of
that count would have size 0.032 m (set ``void_size`` = ``mesh_size`` for one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ._dataset import FenicsDataset, node_dataset

C1, C2 = 1.863e5, 9.79e3
SHEAR_MODULUS = 2 * (C1 + C2)
NU = 0.5
YOUNG_MODULUS = 2 * SHEAR_MODULUS * (1 + NU)
TRACTION = 100.0


def rho_coefficients(rng: np.random.Generator, modes: int, amplitude: float = 4.0, tau: float = 3.0,
                     *, constant: bool = False):
    """(cos, sin) coefficients, each (modes + 1,), of rho ~ N(0, amplitude^2 (-d^2/dtheta^2 + tau^2)^-1)
    on the circle truncated at wavenumber ``modes``; the k = 0 sine coefficient is 0, and so is
    the k = 0 cosine one unless ``constant``."""
    k = np.arange(modes + 1)
    sd = amplitude / np.sqrt(np.pi * (k**2 + tau**2))
    sd[0] = amplitude / (tau * np.sqrt(2 * np.pi)) if constant else 0.0
    a = sd * rng.standard_normal(modes + 1)
    b = sd * rng.standard_normal(modes + 1)
    b[0] = 0.0
    return a, b


def draw(rng: np.random.Generator, options: Mapping[str, Any]) -> dict:
    a, b = rho_coefficients(rng, int(options.get("modes", 5)), constant=bool(options.get("constant", False)))
    size = float(options["mesh_size"])
    return {"rho_cos": a, "rho_sin": b, "mesh_size": size, "void_size": float(options.get("void_size", size)),
            "n_boundary": int(options.get("n_boundary", 64)), "E": YOUNG_MODULUS, "nu": NU,
            "traction": TRACTION, "bottom": "clamped"}


def to_xarray(result: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> xr.Dataset:
    ds = node_dataset(
        result["coords"], result["cells"],
        {"von_mises": (result["von_mises"], "Pa", "von Mises stress (plane stress)"),
         "sigma_xx": (result["sigma_xx"], "Pa", "stress sigma_xx"),
         "sigma_yy": (result["sigma_yy"], "Pa", "stress sigma_yy"),
         "sigma_xy": (result["sigma_xy"], "Pa", "shear stress sigma_xy"),
         "displacement": (result["displacement"], "m", "displacement (u_x, u_y)")},
        params,
    )
    k = np.arange(len(params["rho_cos"]))
    return ds.assign_coords(
        theta=("theta", result["theta"], {"units": "rad", "long_name": "polar angle about the cell centre"}),
        wavenumber=("wavenumber", k, {"units": "1", "long_name": "Fourier wavenumber of rho"}),
    ).assign(
        radius=("theta", result["radius"], {"units": "m", "long_name": "void radius r(theta)"}),
        rho_cos=("wavenumber", np.asarray(params["rho_cos"]),
                 {"units": "1", "long_name": "cosine coefficients of rho"}),
        rho_sin=("wavenumber", np.asarray(params["rho_sin"]), {"units": "1", "long_name": "sine coefficients of rho"}),
    )


DATASET = FenicsDataset(
    name="elasticity",
    solver="elasticity_void",
    description="Unit cell with a random void under tension (Geo-FNO), plane-stress P2, von Mises at nodes",
    draw=draw,
    to_xarray=to_xarray,
    options={"quick": {"mesh_size": 0.15, "void_size": 0.04, "modes": 5, "constant": False, "n_boundary": 64},
             "full": {"mesh_size": 0.06, "void_size": 0.015, "modes": 5, "constant": False, "n_boundary": 64}},
)
