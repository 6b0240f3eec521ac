"""One system's trajectories as a data-contract Dataset."""

import json
from dataclasses import replace

import numpy as np
import pytest

from chaos import systems
from chaos.database import TrajectorySpec, generate

from .conftest import make_system

SMALL = TrajectorySpec(n_ics=3, n_periods=2.0, pts_per_period=20, burn_in_periods=1.0)


@pytest.fixture(scope="module")
def lorenz_ds():
    return generate(systems.get("Lorenz"), SMALL, seed=0)


def test_layout_units_and_metadata(lorenz_ds):
    ds = lorenz_ds
    assert ds.x.dims == ("ic", "time", "dim")
    assert ds.x.shape == (3, 40, 3)
    for name in list(ds.variables):
        assert "units" in ds[name].attrs and "long_name" in ds[name].attrs, name
    period = systems.get("Lorenz").period
    np.testing.assert_allclose(np.diff(ds.time), period / 20)
    assert ds.time[0] == 0.0
    assert ds.attrs["system"] == "Lorenz"
    assert ds.attrs["maximum_lyapunov_estimated"] == pytest.approx(0.8917098035724058)
    assert json.loads(ds.attrs["parameters"]) == {"beta": 2.667, "rho": 28, "sigma": 10}
    assert ds.valid.all()
    np.testing.assert_array_equal(ds.x0[0], systems.get("Lorenz").ic)  # the first IC is dysts'


def test_lyapunov_timescale():
    lorenz = systems.get("Lorenz")
    ds = generate(lorenz, replace(SMALL, timescale="Lyapunov"), seed=0)
    np.testing.assert_allclose(np.diff(ds.time), lorenz.lyapunov_time / 20)


def test_seeded_and_independent_of_other_systems(lorenz_ds):
    again = generate(systems.get("Lorenz"), SMALL, seed=0)
    np.testing.assert_array_equal(again.x, lorenz_ds.x)
    other = generate(systems.get("Lorenz"), SMALL, seed=1)
    assert not np.array_equal(other.x0[1:], lorenz_ds.x0[1:])


def test_standardize_and_observation_noise(lorenz_ds):
    std = generate(systems.get("Lorenz"), replace(SMALL, standardize=True), seed=0)
    np.testing.assert_allclose(std.x.mean("time"), 0, atol=1e-12)
    np.testing.assert_allclose(std.x.std("time"), 1, rtol=1e-12)
    noisy = generate(systems.get("Lorenz"), replace(SMALL, observation_noise=0.1), seed=0)
    resid = (noisy.x - lorenz_ds.x) / lorenz_ds.x_std
    assert 0.08 < float(resid.std()) < 0.12


def test_delay_system_database():
    ds = generate(systems.get("MackeyGlass"), SMALL, seed=0)
    assert ds.x.shape == (3, 40, 10)
    assert ds.attrs["kind"] == "delay"
    assert ds.valid.all()


def test_blow_up_keeps_the_other_trajectories():
    # x' = x^2 from x0 = 1 (std 0: every IC is 1) blows up at t = 1; from -1 it decays
    blowup = make_system("blowup", lambda x, t, p: x**2, [1.0], period=1.0, std=np.array([0.0]))
    spec = TrajectorySpec(n_ics=2, n_periods=2.0, pts_per_period=10, burn_in_periods=0.0, max_steps=5000)
    ds = generate(blowup, spec, seed=0)
    failures = json.loads(ds.attrs["failures"])
    assert [f["ic"] for f in failures] == [0, 1]
    assert failures[0]["system"] == "blowup" and 0.9 <= failures[0]["time"] <= 1.1
    assert not ds.valid.any()
    decay = make_system("decay", lambda x, t, p: x**2, [-1.0], period=1.0, std=np.array([0.5]))
    ds = generate(decay, spec, seed=0)
    assert ds.valid.all()
