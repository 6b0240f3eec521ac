"""Models by name and dysts' protocol on a short Lorenz trajectory."""

import numpy as np
import pytest

from sciml.reservoir import data
from sciml.reservoir.forecasting import fit_forecast, forecast_dysts_protocol, spec_for


@pytest.fixture(scope="module")
def lorenz():
    return data.lorenz(1300, 0.015, burn_in=20.0)[0]


@pytest.mark.parametrize("name,overrides", [("esn", {"n_units": 200}), ("ngrc", {}), ("qrc", {"n_qubits": 3})])
def test_dysts_protocol_runs_and_scores(lorenz, name, overrides):
    out = forecast_dysts_protocol(name, lorenz, dt=0.015, lyapunov_exponent=data.LORENZ_LYAPUNOV, **overrides)
    assert out["prediction"].shape == out["truth"].shape == (200, 3)
    assert out["n_train"] == 1000
    assert 0.0 <= out["smape"] <= 200.0 and out["vpt"] >= 0.0
    if name == "ngrc":  # NG-RC forecasts Lorenz for well over a Lyapunov time even from 1000 points
        assert out["vpt"] > 1.0


def test_errors():
    with pytest.raises(ValueError, match="unknown reservoir model 'esm'; did you mean 'esn'"):
        spec_for("esm")
    with pytest.raises(ValueError, match="has no hyperparameter"):
        spec_for("ngrc", n_units=3)
    with pytest.raises(ValueError, match="needs a training series of at least"):
        fit_forecast(spec_for("esn"), np.ones((50, 3)), 10)
    with pytest.raises(ValueError, match="NaN or inf"):
        fit_forecast(spec_for("ngrc"), np.full((50, 3), np.nan), 10)
    with pytest.raises(ValueError, match="needs a trajectory"):
        forecast_dysts_protocol("ngrc", np.ones((100, 3)))


def test_mackey_glass_series():
    x = data.mackey_glass(600, burn_in=300.0)
    assert x.shape == (600,) and 0.2 < x.min() < x.max() < 1.5  # the chaotic attractor's range
    inputs, targets = data.direct_task(x, 100)
    np.testing.assert_array_equal(targets[:, 0], x[100:])
    with pytest.raises(ValueError, match="horizon"):
        data.direct_task(x, 0)
