"""Fixtures shared by the stage tests."""

import json

import numpy as np
import pytest
import xarray as xr


@pytest.fixture
def tiny_chaos_database():
    """``write(root, n_points=1300, n_ics=2)``: a chaos database ``root/data/chaos/quick.nc`` holding
    Lorenz trajectories sampled every 0.015 (100 points a 'period', as the stages read it)."""
    from pipelines import contract
    from sciml.reservoir import data

    def write(root, n_points=1300, n_ics=2):
        x = data.lorenz(n_points, 0.015, burn_in=20.0, n_ics=n_ics)
        ds = xr.Dataset(
            {"x": (("ic", "time", "dim"), x, {"units": "1 (system units)", "long_name": "Lorenz state"}),
             "valid": ("ic", np.ones(n_ics, bool), {"units": "1", "long_name": "valid"})},
            coords={"ic": ("ic", np.arange(n_ics), {"units": "1", "long_name": "ic"}),
                    "time": ("time", 0.015 * np.arange(n_points), {"units": "system time units", "long_name": "time"}),
                    "dim": ("dim", np.arange(3), {"units": "1", "long_name": "dim"})},
            attrs={"spec": json.dumps({"pts_per_period": 100}), "dt_save": 0.015,
                   "maximum_lyapunov_estimated": 0.9056},
        )
        tree = xr.DataTree.from_dict({"/": xr.Dataset(), "/Lorenz": ds})
        path = root / "data/chaos/quick.nc"
        contract.write_netcdf(contract.with_provenance(tree, generator="test", config={}, seed=0), path)
        return path

    return write
