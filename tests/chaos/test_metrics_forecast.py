"""Forecast errors on constructed arrays: PE(n), valid prediction time, sMAPE (against dysts), NRMSE."""

import math

import numpy as np
import pytest

from chaos.metrics import normalised_error, nrmse, prediction_error, smape, valid_prediction_time


def test_prediction_error_curve():
    rng = np.random.default_rng(0)
    true = rng.normal(size=(4, 7, 3))
    pred = true + rng.normal(size=(4, 7, 3))
    pe = prediction_error(true, pred)
    assert pe.shape == (7,)
    for n in range(1, 8):
        explicit = sum((pred[i, n - 1, j] - true[i, n - 1, j]) ** 2 for i in range(4) for j in range(3)) / 12
        assert pe[n - 1] == pytest.approx(explicit)
    # a single initial condition, (N, d)
    np.testing.assert_allclose(prediction_error(true[1], pred[1]), ((pred[1] - true[1]) ** 2).mean(axis=1))
    np.testing.assert_array_equal(prediction_error(true, true), np.zeros(7))
    with pytest.raises(ValueError, match=r"shape \(4, 7, 3\) but predicted has shape \(4, 6, 3\)"):
        prediction_error(true, pred[:, :6])


def circle(n, dt, period):
    """(cos, sin) over whole periods: zero mean and ||u - <u>|| = 1, so the error scale is exactly 1."""
    ph = 2 * np.pi * dt * np.arange(1, n + 1) / period
    return np.stack([np.cos(ph), np.sin(ph)], axis=1)


def test_valid_prediction_time_on_an_exponential_error():
    dt, lam, eps, n = 0.01, 0.5, 0.01, 1000
    true = circle(n, dt, period=2.5)  # 4 whole periods
    tt = dt * np.arange(1, n + 1)
    pred = true.copy()
    pred[:, 0] += eps * np.exp(lam * tt)
    # e(t) = eps exp(lam t) crosses 0.4 at t* = ln(0.4 / eps) / lam = 7.3778; the last valid
    # step is t = 7.37 (k = 737 steps), so the VPT is 7.37 lam Lyapunov times
    t_star = math.log(0.4 / eps) / lam
    k = math.floor(t_star / dt)
    assert k == 737
    np.testing.assert_allclose(normalised_error(true, pred), eps * np.exp(lam * tt), rtol=1e-9)
    assert valid_prediction_time(true, pred, dt=dt, lyapunov_exponent=lam) == pytest.approx(k * dt * lam)
    assert valid_prediction_time(true, pred, dt=dt, lyapunov_exponent=lam, threshold=0.5) == pytest.approx(
        math.floor(math.log(0.5 / eps) / lam / dt) * dt * lam
    )
    # a reference series twice as wide halves e(t): the crossing moves by ln(2) / lam
    ref = 2 * circle(250, dt, period=2.5)
    got = valid_prediction_time(true, pred, dt=dt, lyapunov_exponent=lam, reference=ref)
    assert got == pytest.approx(math.floor((t_star + math.log(2) / lam) / dt) * dt * lam)


def test_valid_prediction_time_edge_cases():
    dt, lam, n = 0.1, 2.0, 50
    true = circle(n, dt, period=1.0)
    assert valid_prediction_time(true, true, dt=dt, lyapunov_exponent=lam) == pytest.approx(n * dt * lam)
    pred = true.copy()
    pred[0, 0] += 1.0  # the first step already fails
    assert valid_prediction_time(true, pred, dt=dt, lyapunov_exponent=lam) == 0.0
    pred = true.copy()
    pred[10, 1] += 0.5  # one excursion at step 11: the first exceedance counts
    assert valid_prediction_time(true, pred, dt=dt, lyapunov_exponent=lam) == pytest.approx(10 * dt * lam)
    with pytest.raises(ValueError, match="lyapunov_exponent must be a finite number > 0, got -1"):
        valid_prediction_time(true, true, dt=dt, lyapunov_exponent=-1)
    with pytest.raises(ValueError, match="dt must be"):
        valid_prediction_time(true, true, dt=0.0, lyapunov_exponent=1.0)


def test_smape_equals_dysts():
    dysts_metrics = pytest.importorskip("dysts.metrics")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3))
    y = x + 0.3 * rng.normal(size=(50, 3))
    y[0, 0], x[1, 1] = 0.0, 0.0
    y[2] = -x[2]  # sign flips: 200 each
    x[3, 0] = y[3, 0] = 0.0  # 0 / eps = 0
    for a, b in [(x, y), (y, x), (x, x)]:
        ours = smape(a, b)
        assert ours == pytest.approx(dysts_metrics.smape(a, b, scaled=False), rel=1e-12)
        assert ours == pytest.approx(2 * dysts_metrics.smape(a, b), rel=1e-12)  # dysts' default scale is 0-100


def test_smape_values():
    assert smape([1.0], [3.0]) == pytest.approx(100.0)
    assert smape([1.0, -2.0], [-1.0, 2.0]) == pytest.approx(200.0)
    assert smape([0.0], [0.0]) == 0.0
    assert smape([[1.0, 2.0]], [[1.0, 2.0]]) == 0.0


def test_nrmse_normalisations():
    rng = np.random.default_rng(2)
    true = rng.normal(size=(200, 3)) * [1.0, 2.0, 3.0] + [0.0, 0.0, 20.0]
    pred = true + 0.1 * rng.normal(size=(200, 3))
    # NG-RC (Gauthier et al. 2021) in their (d, T) layout: mean squared error over all
    # entries, divided by np.var of the whole array
    x, xp = true.T, pred.T
    ngrc = np.sqrt(np.mean((x - xp) ** 2) / np.var(x))
    assert nrmse(true, pred) == pytest.approx(ngrc, rel=1e-12)
    per_dim = np.sqrt(np.mean([np.mean((x[j] - xp[j]) ** 2) / np.var(x[j]) for j in range(3)]))
    assert nrmse(true, pred, normalisation="std_per_dim") == pytest.approx(per_dim, rel=1e-12)
    assert nrmse(true, pred, normalisation="none") == pytest.approx(np.sqrt(np.mean((x - xp) ** 2)))
    long = rng.normal(size=(1000, 3)) * 4.0
    assert nrmse(true, pred, reference=long) == pytest.approx(np.sqrt(np.mean((x - xp) ** 2) / np.var(long)))
    assert nrmse(true, true) == 0.0
    with pytest.raises(ValueError, match="normalisation must be one of .* got 'range'"):
        nrmse(true, pred, normalisation="range")
    with pytest.raises(ValueError, match="coordinate 1 of the normalising series is constant"):
        nrmse(np.stack([np.arange(5.0), np.ones(5)], 1), np.zeros((5, 2)), normalisation="std_per_dim")
