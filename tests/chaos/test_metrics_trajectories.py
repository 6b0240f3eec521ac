"""Every metric on trajectories of the project's own integrator: 0 against itself, small
against another run of the same system, large against a different system; and the valid
prediction time of a perturbed Lorenz orbit against ln(0.4 R / delta_0) / lambda."""

import math
from dataclasses import replace

import numpy as np
import pytest

from chaos import metrics as M
from chaos.database import TrajectorySpec, generate
from chaos.integrate import integrate
from chaos.systems import get

# standardised, so that attractors overlap in the same box and differ in shape
SPEC = TrajectorySpec(n_ics=3, n_periods=300.0, pts_per_period=30, burn_in_periods=10.0,
                      rtol=1e-7, atol=1e-7, standardize=True, ic_spread=1.0)


@pytest.fixture(scope="module")
def lorenz_ds():
    """Three Lorenz runs of 9000 points (300 periods); ic 0 is dysts' own."""
    return generate(get("Lorenz"), SPEC, seed=0)


@pytest.fixture(scope="module")
def lorenz(lorenz_ds):
    return lorenz_ds.x.values[:2, :3000]  # two runs of 3000 points


@pytest.fixture(scope="module")
def lorenz_long(lorenz_ds):
    return lorenz_ds.x.values[2]  # a longer run from another initial condition


@pytest.fixture(scope="module")
def rossler():
    return generate(get("Rossler"), replace(SPEC, n_ics=1), seed=0).x.values[0]


def test_against_itself(lorenz):
    x = lorenz[0]
    assert M.state_space_divergence(x, x) == 0.0
    assert M.power_spectrum_distance(x, x) == pytest.approx(0.0, abs=1e-7)
    assert M.score_trajectory(x, x)["d_stsp"] == 0.0
    np.testing.assert_array_equal(M.prediction_error(x, x), 0.0)
    assert M.smape(x, x) == 0.0 and M.nrmse(x, x) == 0.0
    assert M.valid_prediction_time(x, x, dt=0.05, lyapunov_exponent=0.9) == pytest.approx(3000 * 0.05 * 0.9)


def test_attractor_scores_same_system_small_other_system_large(lorenz, lorenz_long, rossler):
    x = lorenz[0]
    same = M.state_space_divergence(x, lorenz_long)
    other = M.state_space_divergence(x, rossler[:3000])
    assert same < 1.5  # 3000 points in 27000 bins: sampling noise alone is ~0.5
    assert other > 5 * same
    d_same = M.power_spectrum_distance(x, lorenz[1])
    d_other = M.power_spectrum_distance(x, rossler[:3000])
    assert d_same < 0.1
    assert d_other > 0.3
    scores = M.score_trajectory(x, lorenz_long)
    assert scores == {"d_stsp": same, "d_h": M.power_spectrum_distance(x, lorenz_long[:3000])}


def test_gmm_divergence_on_six_dimensional_flows(lorenz_long, rossler):
    # 6-D: Lorenz state and its state 5 samples (1/6 period) later, from two initial
    # conditions (the same invariant measure), against a Lorenz + Rossler pair
    def embed(x, n=2500):
        return np.hstack([x[:n], x[5 : n + 5]])

    a, b = embed(lorenz_long[:3000]), embed(lorenz_long[4000:])
    pair = np.hstack([lorenz_long[:2500], rossler[:2500]])
    assert abs(M.state_space_divergence(a, a)) < 1e-12
    same = M.state_space_divergence(a, b)
    other = M.state_space_divergence(a, pair)
    assert same < 0.3
    assert other > 3 * max(same, 0.1)


def test_forecast_scores_nearby_orbit_small_other_system_large(lorenz, rossler):
    x = lorenz[0][:200]  # 10 Lorenz periods of 1.5, ~13 Lyapunov times
    near = x + 1e-4 * np.random.default_rng(0).normal(size=x.shape)
    assert M.nrmse(x, near) < 1e-3 and M.smape(x, near) < 0.1
    assert M.nrmse(x, rossler[:200]) > 0.5 and M.smape(x, rossler[:200]) > 50
    assert M.valid_prediction_time(x, rossler[:200], dt=0.05, lyapunov_exponent=0.9) < 0.5


def test_valid_prediction_time_of_a_perturbed_lorenz_orbit(lorenz_ds):
    # Two Lorenz orbits delta_0 apart separate like delta_0 exp(lambda t) once aligned, so the
    # error reaches 0.4 R (R the attractor's RMS radius) after ~ ln(0.4 R / delta_0) Lyapunov times.
    system = get("Lorenz")
    ref = (lorenz_ds.x * lorenz_ds.x_std + lorenz_ds.x_mean).values[2]  # undo the standardisation
    radius = np.sqrt(np.mean(np.sum((ref - ref.mean(0)) ** 2, axis=1)))
    lam, delta0 = 0.9056, 1e-6  # Sprott (2003)
    expected = math.log(0.4 * radius / delta0)  # ~15.6
    # the fixture's shapes (3 ics, 9000 times) reuse its compiled solver; 20 time units suffice
    ts = np.linspace(0.0, 20.0, lorenz_ds.sizes["time"])
    dt = ts[1]
    rng = np.random.default_rng(1)
    vpts = []
    for start in ref[[0, 1500, 3000, 4500]]:
        v = rng.normal(size=(2, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        ics = np.concatenate([start[None], start + delta0 * v])
        ys = np.asarray(integrate(system, ics, ts, rtol=1e-11, atol=1e-11, max_steps=SPEC.max_steps, t0=0.0).ys)
        for i in (1, 2):  # ys[:, 0] is the start; the forecast begins one step later
            vpts.append(M.valid_prediction_time(ys[0, 1:], ys[i, 1:], dt=dt, lyapunov_exponent=lam, reference=ref))
    assert all(0.6 * expected < v < 1.4 * expected for v in vpts), vpts
    assert np.mean(vpts) == pytest.approx(expected, rel=0.2), vpts
