"""NG-RC: features, exact recovery of a quadratic map, and Gauthier et al.'s Lorenz result."""

import jax.numpy as jnp
import numpy as np
import pytest

from chaos.metrics import nrmse
from sciml.reservoir import NGRC, data, ngrc


def test_feature_vector_layout():
    model = NGRC(3, k=2, skip=1, degree=2)
    assert model.n_features == 28  # 1 + 6 + 21, as in the paper
    window = jnp.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # x_{t-1}, x_t
    f = np.asarray(model.features(window))
    lin = np.array([4.0, 5.0, 6.0, 1.0, 2.0, 3.0])  # [x_t, x_{t-1}]
    np.testing.assert_array_equal(f[:7], np.concatenate([[1.0], lin]))
    expected = [lin[i] * lin[j] for i in range(6) for j in range(i, 6)]
    np.testing.assert_array_equal(f[7:], expected)
    skip = NGRC(1, k=3, skip=2, degree=3)
    assert skip.window == 5 and skip.n_features == 1 + 3 + 10
    f = np.asarray(skip.features(jnp.arange(5.0)[:, None]))
    np.testing.assert_array_equal(f[1:4], [4.0, 2.0, 0.0])


def test_recovers_the_logistic_map():
    """x_{t+1} - x_t = (r - 1) x_t - r x_t^2 is in the span of [1, x, x^2]: exact fit."""
    r, x = 3.7, [0.3]
    for _ in range(300):
        x.append(r * x[-1] * (1 - x[-1]))
    series = np.asarray(x)[:, None]
    model = ngrc.fit(NGRC(1, k=1, degree=2), series[:200], beta=0.0)
    np.testing.assert_allclose(np.asarray(model.w_out)[:, 0], [0.0, r - 1, -r], atol=1e-9)
    pred = np.asarray(ngrc.forecast(model, series[:200], 15))
    np.testing.assert_allclose(pred, series[200:215], atol=1e-5)


def test_gauthier_lorenz_nrmse():
    """Gauthier et al. (2021): dt 0.025, warm-up 5, 400 training points, k=2, s=1, quadratic,
    ridge 2.5e-6; NRMSE over one Lyapunov time about 2.1e-3 (paper); ours 9.6e-4 here."""
    dt, lyap = 0.025, round(1.104 / 0.025)
    x = data.lorenz_gauthier(5.0 + 10.0 + 1.104, dt)
    warm, train = 200, 400
    model = ngrc.fit(NGRC(3, k=2, skip=1, degree=2), x[warm - 2 : warm + train], beta=2.5e-6)
    pred = np.asarray(ngrc.forecast(model, x[: warm + train], lyap - 1))
    truth = x[warm + train : warm + train + lyap - 1]
    total_var = x.var(axis=0).sum()  # their normalisation: var(x) + var(y) + var(z) over the run
    err = nrmse(truth, pred, normalisation="none") / np.sqrt(total_var)
    assert err < 5e-3
    assert nrmse(truth, pred, reference=x) < 5e-3  # chaos.metrics' pooled normalisation


def test_bad_input():
    with pytest.raises(ValueError, match="k must be a positive integer"):
        NGRC(3, k=0)
    with pytest.raises(ValueError, match="needs at least 3 samples"):
        ngrc.fit(NGRC(3), np.ones((2, 3)), beta=1.0)
