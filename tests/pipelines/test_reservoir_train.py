"""Stage train-reservoir on a tiny chaos database written here."""

import json

import pytest

from pipelines import contract
from pipelines._hints import MissingDataError
from pipelines.registry import StageContext
from pipelines.stages import reservoir_train as stage


def test_stage_writes_metrics_and_forecast(tmp_path, tiny_chaos_database):
    tiny_chaos_database(tmp_path)
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    metrics = stage.run(stage.TrainReservoirConfig(model="ngrc", system="Lorenz"), ctx)
    run = tmp_path / "runs/reservoir/Lorenz-ngrc-quick"
    assert json.loads((run / "metrics.json").read_text())["smape"] == metrics["smape"]
    fc = contract.open_dataset(run / "forecast.nc")
    assert fc.prediction.shape == (200, 3) and metrics["vpt_lyapunov_times"] > 1.0


def test_stage_errors(tmp_path, tiny_chaos_database):
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    with pytest.raises(MissingDataError, match="make data-chaos"):
        stage.run(stage.TrainReservoirConfig(model="ngrc"), ctx)
    with pytest.raises(ValueError, match="did you mean Lorenz"):
        stage.TrainReservoirConfig(system="Lorentz")
    with pytest.raises(ValueError, match="not hyperparameters of 'ngrc'"):
        stage.TrainReservoirConfig(model="ngrc", n_units=10)
    tiny_chaos_database(tmp_path, n_points=500)
    with pytest.raises(ValueError, match="need 1200"):
        stage.run(stage.TrainReservoirConfig(model="ngrc"), ctx)
