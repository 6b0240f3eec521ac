"""What a FEniCS data set is, and how one solved sample becomes a contract ``xr.Dataset``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

Params = dict[str, Any]


@dataclass(frozen=True)
class FenicsDataset:
    """One parametric data set: how to draw a sample's parameters and what to keep of its solve.

    Attributes:
        name: the data set's name (``data/pdes/<name>/``).
        solver: the worker solver that solves one sample (``pdes/fenics/worker/solvers``).
        description: one line for listings and the report.
        draw: ``draw(rng, options) -> params``: one sample's parameters (JSON-able scalars and
            lists, or NumPy arrays for fields) from a NumPy Generator; all randomness is here,
            the solve is deterministic.
        to_xarray: ``to_xarray(result, params) -> xr.Dataset``: the worker's arrays to a contract
            dataset (use :func:`node_dataset`).
        options: default options per profile, ``{"quick": {...}, "full": {...}}`` (mesh size,
            time steps, ...), passed to ``draw``.
    """

    name: str
    solver: str
    description: str
    draw: Callable[[np.random.Generator, Mapping[str, Any]], Params]
    to_xarray: Callable[[Mapping[str, np.ndarray], Params], xr.Dataset]
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def sample_params(self, seed: int, index: int, options: Mapping[str, Any]) -> Params:
        """Parameters of sample ``index``: the same for a given (seed, index) whatever else is drawn."""
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
        return self.draw(rng, options)


def json_params(params: Mapping[str, Any]) -> str:
    """Params as a JSON attr (arrays summarised by shape, since they are stored as variables)."""
    def enc(v):
        if isinstance(v, np.ndarray):
            return v.tolist() if v.size <= 64 else f"array{list(v.shape)}"
        if isinstance(v, np.generic):
            return v.item()
        return v
    return json.dumps({k: enc(v) for k, v in params.items()}, sort_keys=True)


def node_dataset(coords: np.ndarray, cells: np.ndarray, fields: Mapping[str, tuple],
                 params: Mapping[str, Any], *, length_units: str = "m",
                 time: np.ndarray | None = None, time_units: str = "s",
                 scalars: Mapping[str, tuple] | None = None) -> xr.Dataset:
    """A field-at-mesh-nodes dataset that keeps the mesh.

    Args:
        coords: (n_node, 2) node coordinates.
        cells: (n_cell, 3) triangles as node indices.
        fields: name -> (values, units, long_name); values (n_node,), (n_node, k) for a
            k-component field (dims node, component) or, with ``time``, (n_time, n_node[, k]).
        params: the sample's parameters (kept as the ``params`` JSON attr).
        time: (n_time,) output times for time-dependent fields.
        scalars: name -> (value, units, long_name): per-sample scalars (e.g. a flux, a max).

    Returns dims ``node``, ``cell``, ``vertex`` (3), optionally ``time`` and ``component``;
    coordinates ``x``, ``y`` (node) and the data variable ``cells`` (cell, vertex).
    """
    coords = np.asarray(coords, float)
    ds = xr.Dataset(
        {"cells": (("cell", "vertex"), np.asarray(cells, np.int64),
                   {"units": "1", "long_name": "triangle node indices (0-based)"})},
        coords={"x": ("node", coords[:, 0], {"units": length_units, "long_name": "node x coordinate"}),
                "y": ("node", coords[:, 1], {"units": length_units, "long_name": "node y coordinate"})},
    )
    if time is not None:
        ds = ds.assign_coords(time=("time", np.asarray(time, float), {"units": time_units, "long_name": "time"}))
    for name, (values, units, long_name) in fields.items():
        values = np.asarray(values)
        dims = (("time",) if time is not None else ()) + ("node",)
        if values.ndim == len(dims) + 1:
            dims += ("component",)
        ds[name] = (dims, values, {"units": units, "long_name": long_name})
    for name, (value, units, long_name) in (scalars or {}).items():
        ds[name] = ((), np.asarray(value), {"units": units, "long_name": long_name})
    ds.attrs["params"] = json_params(params)
    return ds
