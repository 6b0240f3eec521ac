"""D_stsp: a hand-computed histogram KL, a dense-histogram reimplementation, the analytic KL
of Gaussians for the mixture estimate, and input errors."""

import math

import jax
import numpy as np
import pytest

from chaos.metrics import (
    state_space_divergence,
    state_space_divergence_binned,
    state_space_divergence_gmm,
)


def test_hand_computed_three_bins():
    # true 0,1,2,3: std (ddof 1) = sqrt(5/3); box [-0.1 s, 3 + 0.1 s] in 3 bins of width ~1.086,
    # edges ~ -0.129, 0.957, 2.043, 3.129: true counts (1, 2, 1), N = 4.
    # generated 0.5, 0.5, 1.5 inside -> (2, 1, 0); 5.0 and -1.0 outside are dropped, M = 3.
    true = np.array([[0.0], [1.0], [2.0], [3.0]])
    gen = np.array([[0.5], [0.5], [1.5], [5.0], [-1.0]])
    a = 0.5
    p = [(1 + a) / (4 + 3 * a), (2 + a) / (4 + 3 * a), (1 + a) / (4 + 3 * a)]
    q = [(2 + a) / (3 + 3 * a), (1 + a) / (3 + 3 * a), (0 + a) / (3 + 3 * a)]
    expected = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    got = state_space_divergence(true, gen, n_bins=3, smoothing=a, widen=0.1)
    assert got == pytest.approx(expected, rel=1e-12)
    # the default smoothing is tiny: the empty third bin of gen dominates
    a = 1e-5
    p = np.array([1 + a, 2 + a, 1 + a]) / (4 + 3 * a)
    q = np.array([2 + a, 1 + a, a]) / (3 + 3 * a)
    assert state_space_divergence(true, gen, n_bins=3) == pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-12)


def _dense_kl(true, gen, n_bins, a, widen):
    """The same definition with numpy's dense histogramdd (feasible for small d and n_bins)."""
    std = true.std(axis=0, ddof=1)
    lo, hi = true.min(0) - widen * std, true.max(0) + widen * std
    edges = [np.linspace(lo[j], hi[j], n_bins + 1) for j in range(true.shape[1])]
    ht, _ = np.histogramdd(true, bins=edges)
    hg, _ = np.histogramdd(gen, bins=edges)
    p = (ht + a) / (ht.sum() + a * ht.size)
    q = (hg + a) / (hg.sum() + a * hg.size)
    return float(np.sum(p * np.log(p / q)))


@pytest.mark.parametrize("d, n_bins, a", [(1, 7, 1e-5), (2, 10, 1e-5), (3, 6, 0.3), (5, 5, 1e-5)])
def test_sparse_equals_dense_histogram(d, n_bins, a):
    rng = np.random.default_rng(d)
    true = rng.normal(size=(400, d))
    gen = 1.3 * rng.normal(size=(300, d)) + 0.4  # some points fall outside the box
    got = state_space_divergence_binned(true, gen, n_bins=n_bins, smoothing=a, widen=0.1)
    assert got == pytest.approx(_dense_kl(true, gen, n_bins, a, 0.1), rel=1e-10)
    assert got > 0.05


def test_identical_is_zero_and_generated_outside_is_inf():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 2))
    assert state_space_divergence(x, x) == 0.0
    assert state_space_divergence(x, x[::-1]) == 0.0  # order does not matter
    assert state_space_divergence(x, x + 100.0) == math.inf


def test_dispatch_bins_below_six_dimensions_gmm_from_six():
    rng = np.random.default_rng(1)
    x5, y5 = rng.normal(size=(300, 5)), rng.normal(size=(300, 5)) + 0.5
    assert state_space_divergence(x5, y5) == state_space_divergence_binned(x5, y5)
    x6, y6 = rng.normal(size=(300, 6)), rng.normal(size=(300, 6)) + 0.5
    assert state_space_divergence(x6, y6) == state_space_divergence_gmm(x6, y6)


@pytest.mark.parametrize("delta", [0.0, 1.0, 2.0])
def test_gmm_matches_analytic_kl_of_gaussians(delta):
    # T points of N(mu, I) blurred by N(0, s2 I) approximate N(mu, (1 + s2) I), so
    # KL(N(0, c I) || N(delta e_1, c I)) = delta^2 / (2 c), c = 1 + s2 = 2.
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4000, 6))
    y = rng.normal(size=(2500, 6))  # lengths may differ
    y[:, 0] += delta
    got = state_space_divergence(x, y, sigma2=1.0, n_samples=2000)
    assert got == pytest.approx(delta**2 / 4, abs=0.03 + 0.08 * delta**2 / 4)


def test_gmm_key_is_explicit_and_default_fixed():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(500, 6)), rng.normal(size=(500, 6)) + 1.0
    default = state_space_divergence_gmm(x, y, n_samples=200)
    assert default == state_space_divergence_gmm(x, y, n_samples=200, key=jax.random.key(0))
    other = state_space_divergence_gmm(x, y, n_samples=200, key=jax.random.key(1))
    assert other != default and other == pytest.approx(default, rel=0.3)


def test_max_points_truncates():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 6))
    y = np.concatenate([rng.normal(size=(100, 6)), rng.normal(size=(200, 6)) + 5.0])
    assert state_space_divergence_gmm(x, y, max_points=100, n_samples=300) < 0.5
    assert state_space_divergence_gmm(x, y, max_points=None, n_samples=300) > 0.5


@pytest.mark.parametrize(
    "true, gen, kwargs, match",
    [
        (np.zeros((10, 2)), np.ones((10, 2)), {}, r"true\[:, 0\] is constant"),
        (np.ones((10, 2)).cumsum(0), np.ones((10, 3)), {}, "d = 2 .* d = 3"),
        (np.ones(10), np.ones(10), {}, r"shape \(T, d\)"),
        (np.ones((1, 2)), np.ones((10, 2)), {}, "1 time points"),
        (np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 1.0]]), np.ones((3, 2)), {}, "non-finite"),
        (np.arange(20.0).reshape(10, 2), np.ones((10, 2)), {"n_bins": 0}, "n_bins must be an integer >= 1"),
        (np.arange(20.0).reshape(10, 2), np.ones((10, 2)), {"smoothing": -1}, "smoothing"),
        (np.arange(60.0).reshape(10, 6), np.ones((10, 6)), {"sigma2": 0.0}, "sigma2 must be"),
    ],
)
def test_bad_input(true, gen, kwargs, match):
    with pytest.raises(ValueError, match=match):
        state_space_divergence(true, gen, **kwargs)
