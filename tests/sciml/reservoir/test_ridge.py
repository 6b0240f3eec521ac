"""Ridge readout against NumPy's least squares on the augmented system."""

import jax.numpy as jnp
import numpy as np
import pytest

from sciml.reservoir.ridge import ridge_solve


def _augmented_lstsq(x, y, beta, unpenalized):
    p = np.sqrt(beta) * np.diag((np.arange(x.shape[1]) >= unpenalized).astype(float))
    return np.linalg.lstsq(np.vstack([x, p]), np.vstack([y, np.zeros((x.shape[1], y.shape[1]))]), rcond=None)[0]


@pytest.mark.parametrize("unpenalized", [0, 1])
def test_ridge_matches_augmented_least_squares(unpenalized):
    rng = np.random.default_rng(0)
    x = np.hstack([np.ones((200, 1)), rng.standard_normal((200, 7))])
    y = rng.standard_normal((200, 2))
    w = np.asarray(ridge_solve(jnp.asarray(x), jnp.asarray(y), 0.3, unpenalized=unpenalized))
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, _augmented_lstsq(x, y, 0.3, unpenalized), rtol=1e-10, atol=1e-12)


def test_unpenalized_constant_equals_centred_fit():
    """reservoirpy's Ridge(fit_bias=True): centre X and Y, fit W, intercept = mean(Y) - mean(X) W."""
    rng = np.random.default_rng(1)
    z = rng.standard_normal((300, 5)) + 3.0
    y = z @ rng.standard_normal((5, 1)) + 2.0 + 0.1 * rng.standard_normal((300, 1))
    beta = 5.0
    w = np.asarray(ridge_solve(jnp.asarray(np.hstack([np.ones((300, 1)), z])), jnp.asarray(y), beta, unpenalized=1))
    zc, yc = z - z.mean(0), y - y.mean(0)
    w_c = np.linalg.solve(zc.T @ zc + beta * np.eye(5), zc.T @ yc)
    np.testing.assert_allclose(w[1:], w_c, rtol=1e-10)
    np.testing.assert_allclose(w[0], y.mean(0) - z.mean(0) @ w_c, rtol=1e-10)


def test_exact_recovery_without_noise():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((100, 4))
    w_true = rng.standard_normal((4, 3))
    w = ridge_solve(jnp.asarray(x), jnp.asarray(x @ w_true), 0.0)
    np.testing.assert_allclose(np.asarray(w), w_true, rtol=1e-9, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="beta must be >= 0"):
        ridge_solve(jnp.ones((3, 2)), jnp.ones((3, 1)), -1.0)
    with pytest.raises(ValueError, match="unpenalized"):
        ridge_solve(jnp.ones((3, 2)), jnp.ones((3, 1)), 1.0, unpenalized=5)
    with pytest.raises(Exception, match="not positive definite"):
        ridge_solve(jnp.zeros((5, 2)), jnp.ones((5, 1)), 0.0)  # singular Gram, no ridge
