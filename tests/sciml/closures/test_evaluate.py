"""Offline and online evaluation (sciml/closures/evaluate.py) against exact answers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from chaos.lorenz96 import make_dataset, parameter_set, simulate_one_level
from sciml.closures import NullClosure, PolyClosure
from sciml.closures.evaluate import (
    autocorrelation,
    forecast_rmse,
    hellinger,
    long_run_statistics,
    offline_scores,
    rollout,
)


@pytest.fixture(scope="module")
def truth():
    p = parameter_set("lorenz1996", K=8)
    return make_dataset(p, key=jax.random.PRNGKey(0), n_members=2, duration=3.0, dt=0.005, save_every=2,
                        spinup=1.0)


def test_null_closure_run_is_the_one_level_model():
    x0 = jnp.asarray(np.random.default_rng(0).normal(5, 2, (3, 12)))
    ours = rollout(x0, NullClosure(), dt=0.01, forcing=10.0, n_steps=50)  # (51, 3, 12)
    ref = simulate_one_level(x0, forcing=10.0, dt=0.01, n_steps=50)  # (3, 51, 12)
    np.testing.assert_allclose(np.asarray(ours), np.moveaxis(np.asarray(ref), 1, 0), rtol=1e-12, atol=1e-12)


def test_ideal_closure_reproduces_the_truth(truth):
    xs, r = truth.X.values, truth.closure_target.values
    dt, forcing = truth.attrs["dt_coarse"], truth.attrs["param_F"]
    out = forecast_rmse("ideal", xs, dt=dt, forcing=forcing, leads=(0.01, 0.2, 1.0), n_starts=4, targets=r,
                        dtype=jnp.float64)
    assert max(out["rmse"].values()) < 1e-9
    # the null closure is far off at the same leads: the check has teeth
    null = forecast_rmse(NullClosure(), xs, dt=dt, forcing=forcing, leads=(0.2, 1.0), n_starts=4)
    assert min(null["rmse"].values()) > 1e-2


def test_offline_scores_of_an_exact_closure():
    rng = np.random.default_rng(0)
    x = rng.normal(3, 3, (20, 10))
    y = 1.0 - 0.5 * x
    exact = PolyClosure(1, [1.0, -0.5], dtype=jnp.float64)
    s = offline_scores(exact, x, y)
    assert s["rmse"] < 1e-12 and s["r2"] == pytest.approx(1.0)
    s0 = offline_scores(NullClosure(), x, y)
    assert s0["rmse"] == pytest.approx(np.sqrt(np.mean(y**2)))


def test_hellinger_and_autocorrelation():
    rng = np.random.default_rng(0)
    edges = np.linspace(-5, 5, 41)
    a = rng.standard_normal(20000)
    assert hellinger(a, a, edges) == 0.0
    assert hellinger(a, a + 20.0, edges) == pytest.approx(1.0)
    assert 0.02 < hellinger(a, rng.standard_normal(20000) + 0.5, edges) < 0.3
    series = np.cos(np.linspace(0, 40 * np.pi, 4000))[None, :, None]
    acf = autocorrelation(series, 100)  # period 200 samples: cos(2 pi lag / 200)
    np.testing.assert_allclose(acf, np.cos(2 * np.pi * np.arange(101) / 200), atol=0.03)


def test_blow_up_is_reported_with_its_time(truth):
    xs = truth.X.values
    unstable = PolyClosure(1, [0.0, 3.0], dtype=jnp.float32)  # dX/dt += 3 X: grows without bound
    stats = long_run_statistics(unstable, xs[:, 0], xs[:, ::5], dt=0.01, forcing=10.0, duration=5.0, save_every=5)
    assert stats.diverged_at is not None and 0 < stats.diverged_at < 5.0 and stats.n_diverged == 2
    assert stats.hellinger > 0.5
    stable = long_run_statistics(PolyClosure.from_data(xs, truth.closure_target.values), xs[:, 0], xs[:, ::5],
                                 dt=0.01, forcing=10.0, duration=3.0, save_every=5)
    assert stable.diverged_at is None and stable.hellinger < 0.3
