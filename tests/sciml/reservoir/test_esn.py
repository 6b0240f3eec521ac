"""Echo state network: the update equation, the reservoir matrix, fit and closed loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.reservoir import ESN, esn


@pytest.fixture(scope="module")
def small():
    return ESN(2, 40, spectral_radius=0.8, connectivity=0.2, input_scaling=0.5, bias_scaling=0.3, leak=0.6,
               key=jax.random.key(0))


def test_reservoir_matrix(small):
    w = np.asarray(small.dense_w())
    assert np.max(np.abs(np.linalg.eigvals(w))) == pytest.approx(0.8, rel=1e-10)
    assert np.all((w != 0).sum(axis=1) == 8)  # round(0.2 * 40) per row
    assert set(np.unique(np.abs(np.asarray(small.w_in)))) <= {0.5}
    assert np.all(np.abs(np.asarray(small.bias)) <= 0.3)


def test_states_follow_the_leaky_update(small):
    """r_{t+1} = (1 - a) r_t + a tanh(W r_t + W_in u_t + b), computed with the dense W in NumPy."""
    u = np.random.default_rng(0).standard_normal((25, 2))
    states = np.asarray(esn.run_reservoir(small, jnp.asarray(u)))
    w, w_in, b = np.asarray(small.dense_w()), np.asarray(small.w_in), np.asarray(small.bias)
    r = np.zeros(40)
    for t in range(25):
        r = 0.4 * r + 0.6 * np.tanh(w @ r + w_in @ u[t] + b)
        np.testing.assert_allclose(states[t], r, rtol=1e-12, atol=1e-14)


def test_fit_recovers_a_linear_readout(small):
    """Targets that are exactly W_true^T [1, u, r] are fitted to rounding (ridge ~ 0)."""
    u = np.random.default_rng(1).standard_normal((300, 2))
    feats = esn.readout_features(jnp.asarray(u), esn.run_reservoir(small, jnp.asarray(u)))
    w_true = np.random.default_rng(2).standard_normal((feats.shape[1], 2))
    fitted = esn.fit(small, u, np.asarray(feats) @ w_true, beta=1e-12, warmup=0)
    np.testing.assert_allclose(np.asarray(esn.predict(fitted, u)), np.asarray(feats) @ w_true, atol=1e-6)


def test_closed_loop_forecast_of_a_sine():
    t = 0.1 * np.arange(1200)
    series = np.stack([np.sin(t), np.cos(t)], axis=1)
    model = ESN(2, 100, spectral_radius=0.9, connectivity=0.1, input_scaling=0.5, key=jax.random.key(3))
    model = esn.fit_next_step(model, series[:1000], beta=1e-8, warmup=50)
    pred = np.asarray(esn.forecast(model, series[:1000], 200))
    assert np.max(np.abs(pred - series[1000:])) < 0.05
    # the first closed-loop value is the teacher-forced readout after the context
    np.testing.assert_allclose(pred[0], np.asarray(esn.predict(model, series[:1000]))[-1], atol=1e-12)
    # one teacher-forced pass instead of two: the same readout and the same forecast
    fresh = ESN(2, 100, spectral_radius=0.9, connectivity=0.1, input_scaling=0.5, key=jax.random.key(3))
    fitted, pred_once = esn.fit_and_forecast(fresh, series[:1000], 200, beta=1e-8, warmup=50)
    np.testing.assert_allclose(np.asarray(fitted.w_out), np.asarray(model.w_out), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.asarray(pred_once), pred, atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="connectivity"):
        ESN(1, 10, connectivity=0.0, key=jax.random.key(0))
    with pytest.raises(ValueError, match="n_units"):
        ESN(1, 0, key=jax.random.key(0))
    model = ESN(2, 10, key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"inputs must have shape \(T, 2\)"):
        esn.run_reservoir(model, jnp.ones((5, 3)))
    with pytest.raises(ValueError, match="warmup"):
        esn.fit_next_step(model, np.ones((5, 2)), beta=1.0, warmup=10)
    with pytest.raises(ValueError, match="warmup must be in \\[0, 2\\] for a series of 5 points, got 3"):
        esn.fit_and_forecast(model, np.ones((5, 2)), 4, beta=1.0, warmup=3)
    with pytest.raises(ValueError, match="n_steps"):
        esn.fit_and_forecast(model, np.ones((5, 2)), 0, beta=1.0)
