"""Stage train-reservoir on a tiny chaos database written here."""

import json

import numpy as np
import pytest
import xarray as xr

from pipelines import contract
from pipelines._hints import MissingDataError
from pipelines.registry import StageContext
from pipelines.stages import reservoir_train as stage
from sciml.reservoir import data


def _database(root, n_points=1300):
    x = data.lorenz(n_points, 0.015, burn_in=20.0)
    ds = xr.Dataset(
        {"x": (("ic", "time", "dim"), x, {"units": "1 (system units)", "long_name": "Lorenz state"}),
         "valid": ("ic", np.array([True]), {"units": "1", "long_name": "valid"})},
        coords={"ic": ("ic", [0], {"units": "1", "long_name": "ic"}),
                "time": ("time", 0.015 * np.arange(n_points), {"units": "system time units", "long_name": "time"}),
                "dim": ("dim", np.arange(3), {"units": "1", "long_name": "dim"})},
        attrs={"spec": json.dumps({"pts_per_period": 100}), "dt_save": 0.015, "maximum_lyapunov_estimated": 0.9056},
    )
    tree = xr.DataTree.from_dict({"/": xr.Dataset(), "/Lorenz": ds})
    contract.write_netcdf(contract.with_provenance(tree, generator="test", config={}, seed=0), root / "data/chaos/quick.nc")


def test_stage_writes_metrics_and_forecast(tmp_path):
    _database(tmp_path)
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    metrics = stage.run(stage.TrainReservoirConfig(model="ngrc", system="Lorenz"), ctx)
    run = tmp_path / "runs/reservoir/Lorenz-ngrc-quick"
    assert json.loads((run / "metrics.json").read_text())["smape"] == metrics["smape"]
    fc = contract.open_dataset(run / "forecast.nc")
    assert fc.prediction.shape == (200, 3) and metrics["vpt_lyapunov_times"] > 1.0


def test_stage_errors(tmp_path):
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    with pytest.raises(MissingDataError, match="make data-chaos"):
        stage.run(stage.TrainReservoirConfig(model="ngrc"), ctx)
    with pytest.raises(ValueError, match="did you mean Lorenz"):
        stage.TrainReservoirConfig(system="Lorentz")
    with pytest.raises(ValueError, match="not hyperparameters of 'ngrc'"):
        stage.TrainReservoirConfig(model="ngrc", n_units=10)
    _database(tmp_path, n_points=500)
    with pytest.raises(ValueError, match="need 1200"):
        stage.run(stage.TrainReservoirConfig(model="ngrc"), ctx)
