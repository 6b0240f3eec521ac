"""The heat-sink data set: steady conduction in a 2D finned heat sink (per metre of depth).

A base plate 0.1 m wide and ``base_height`` thick carries 3-8 rectangular fins on top, evenly
pitched (pitch p = 0.1 m / n_fins) and centred in their pitch, each of width U(0.25, 0.6) p and
height U(0.01, 0.04) m. A heat flux q ~ U(1e3, 1e4) W/m^2 enters through the bottom edge; all
other exterior edges (the plate's ends included) lose heat by convection h (T - T_amb), with
h log-uniform in [25, 250] W/m^2/K and T_amb ~ U(288.15, 313.15) K. The conductivities of the
base and of the fins are drawn independently, log-uniform in [50, 400] W/m/K (aluminium to
copper). Solved with P1 elements; the output is T at the mesh nodes, with the heat in and the
convected heat out (equal to round-off: see the solver) and the geometry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ._dataset import FenicsDataset, node_dataset

WIDTH = 0.1


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def draw(rng: np.random.Generator, options: Mapping[str, Any]) -> dict:
    n_fins = int(rng.integers(3, 9))
    pitch = WIDTH / n_fins
    widths = rng.uniform(0.25, 0.6, n_fins) * pitch
    heights = rng.uniform(0.01, 0.04, n_fins)
    lefts = (np.arange(n_fins) + 0.5) * pitch - widths / 2
    return {"mesh_size": float(options["mesh_size"]), "width": WIDTH,
            "base_height": float(rng.uniform(0.004, 0.01)),
            "fins": np.stack([lefts, widths, heights], axis=1),
            "k_base": _log_uniform(rng, 50.0, 400.0), "k_fin": _log_uniform(rng, 50.0, 400.0),
            "q": float(rng.uniform(1e3, 1e4)), "h": _log_uniform(rng, 25.0, 250.0),
            "T_amb": float(rng.uniform(288.15, 313.15)), "insulated_sides": False,
            "degree": int(options.get("degree", 1))}


def to_xarray(result: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> xr.Dataset:
    fins = np.asarray(params["fins"], float).reshape(-1, 3)
    ds = node_dataset(
        result["coords"], result["cells"],
        {"T": (result["T"], "K", "temperature")},
        params,
        scalars={"heat_in": (result["heat_in"], "W m-1", "heat entering through the bottom edge"),
                 "heat_out": (result["heat_out"], "W m-1", "heat convected away (consistent assembly)"),
                 "flux_bottom": (result["flux_bottom"], "W m-1",
                                 "conductive flux k dT/dn of the solution through the bottom edge"),
                 "k_base": (params["k_base"], "W m-1 K-1", "thermal conductivity of the base"),
                 "k_fin": (params["k_fin"], "W m-1 K-1", "thermal conductivity of the fins"),
                 "q": (params["q"], "W m-2", "heat flux into the bottom edge"),
                 "h": (params["h"], "W m-2 K-1", "convective heat transfer coefficient"),
                 "T_amb": (params["T_amb"], "K", "ambient temperature"),
                 "base_height": (params["base_height"], "m", "thickness of the base plate"),
                 "width": (params["width"], "m", "width of the base plate")},
    )
    return ds.assign(
        fin_x=("fin", fins[:, 0], {"units": "m", "long_name": "left edge of the fin"}),
        fin_width=("fin", fins[:, 1], {"units": "m", "long_name": "fin width"}),
        fin_height=("fin", fins[:, 2], {"units": "m", "long_name": "fin height above the base"}),
    )


DATASET = FenicsDataset(
    name="heat_sink",
    solver="heat_sink",
    description="Steady conduction in a finned 2D heat sink, flux in at the bottom, convection elsewhere, P1",
    draw=draw,
    to_xarray=to_xarray,
    options={"quick": {"mesh_size": 2e-3}, "full": {"mesh_size": 5e-4}},
)
