"""D_stsp: the Kullback-Leibler divergence between the state-space distributions of a true and
a generated trajectory, by histograms (d < 6) or by Gaussian mixtures (d >= 6).

Reference: DurstewitzLab/GTF-shPLRNN, ``src/measures/stsp_measure.jl`` (Hess et al. 2023,
"Generalized Teacher Forcing"; Brenner et al. 2022; Koppe et al. 2019), whose
``decide_on_measure`` uses bins below 6 dimensions and the mixture from 6 on, with defaults
30 bins and sigma^2 = 1 (``settings/defaults.json``). Differences are listed on each function.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float
from scipy.special import rel_entr

from ._validate import as_series, positive, positive_int, same_dim

GMM_MIN_DIM = 6
DEFAULT_SEED = 0


def state_space_divergence(
    true: Float[ArrayLike, "T d"],
    generated: Float[ArrayLike, "T2 d"],
    *,
    n_bins: int = 30,
    smoothing: float = 1e-5,
    widen: float = 0.1,
    n_samples: int = 1000,
    sigma2: float = 1.0,
    key: jax.Array | None = None,
    max_points: int | None = 10_000,
) -> float:
    """D_stsp = KL(p_true || p_gen) in nats, >= 0 (0 for identical visitation statistics).

    ``true`` (T, d) and ``generated`` (T2, d) are time-first trajectories in the same units;
    their lengths may differ. Below 6 dimensions this is :func:`state_space_divergence_binned`
    (``n_bins``, ``smoothing``, ``widen``), from 6 on :func:`state_space_divergence_gmm`
    (``n_samples``, ``sigma2``, ``key``, ``max_points``), as in the reference.
    """
    t = as_series(true, "true")
    g = as_series(generated, "generated")
    same_dim(t, g, "true", "generated")
    if t.shape[1] < GMM_MIN_DIM:
        return state_space_divergence_binned(t, g, n_bins=n_bins, smoothing=smoothing, widen=widen)
    return state_space_divergence_gmm(t, g, n_samples=n_samples, sigma2=sigma2, key=key, max_points=max_points)


def state_space_divergence_binned(
    true: Float[ArrayLike, "T d"],
    generated: Float[ArrayLike, "T2 d"],
    *,
    n_bins: int = 30,
    smoothing: float = 1e-5,
    widen: float = 0.1,
) -> float:
    """Histogram estimate of KL(p_true || p_gen), in nats.

    The box is the true data's range widened by ``widen`` standard deviations (sample std,
    ddof = 1) on each side, per dimension; each dimension is cut into ``n_bins`` equal bins,
    n_bins**d bins in all. Counts c_b (true, N points in the box) and g_b (generated, M points
    in the box; generated points outside the box are dropped, as in the reference) are
    Laplace-smoothed, p_b = (c_b + a) / (N + a B), q_b = (g_b + a) / (M + a B) with
    a = ``smoothing`` and B = n_bins**d, and KL = sum_b p_b log(p_b / q_b).

    Computed sparsely over the occupied bins (the empty ones all contribute the same term), so
    memory is O(T), not O(B) as with the reference's dense UInt16 histogram.

    Differences from the reference: (1) if no generated point falls in the box the reference
    returns NaN; this returns ``inf`` (the worst score, never mistaken for a missing value);
    (2) the last bin is closed on the right (numpy's convention), the reference's bins are all
    half-open, which only matters for ``widen = 0``; (3) a constant true coordinate is an
    error here (the box would have zero width).
    """
    t = as_series(true, "true")
    g = as_series(generated, "generated", min_len=1)
    same_dim(t, g, "true", "generated")
    n_bins = positive_int(n_bins, "n_bins")
    a = positive(smoothing, "smoothing", allow_zero=True)
    widen = positive(widen, "widen", allow_zero=True)
    d = t.shape[1]
    if d * math.log(n_bins) > 62 * math.log(2):
        raise ValueError(f"n_bins**d = {n_bins}**{d} bins is too many to index; use fewer bins or the GMM estimate")
    std = t.std(axis=0, ddof=1)
    if np.any(std == 0):
        j = int(np.flatnonzero(std == 0)[0])
        raise ValueError(f"true[:, {j}] is constant ({t[0, j]}); D_stsp needs a spread in every dimension")
    lo = t.min(axis=0) - widen * std
    hi = t.max(axis=0) + widen * std
    edges = [np.linspace(lo[j], hi[j], n_bins + 1) for j in range(d)]

    bins_t, counts_t = _occupied_bins(t, edges, n_bins)
    bins_g, counts_g = _occupied_bins(g, edges, n_bins)
    n_true, n_gen = counts_t.sum(), counts_g.sum()
    if n_gen == 0:
        return math.inf
    n_total = float(n_bins) ** d
    union = np.union1d(bins_t, bins_g)
    c = np.zeros(union.size)
    c[np.searchsorted(union, bins_t)] = counts_t
    q = np.zeros(union.size)
    q[np.searchsorted(union, bins_g)] = counts_g
    p_occ = (c + a) / (n_true + a * n_total)
    q_occ = (q + a) / (n_gen + a * n_total)
    kl = float(np.sum(rel_entr(p_occ, q_occ)))
    n_empty = n_total - union.size
    if n_empty > 0:  # every bin empty in both has p0 log(p0 / q0)
        kl += n_empty * float(rel_entr(a / (n_true + a * n_total), a / (n_gen + a * n_total)))
    return kl


def _occupied_bins(x: np.ndarray, edges: list[np.ndarray], n_bins: int):
    """Flat indices of the occupied bins and their counts; points outside the box dropped."""
    idx = np.empty(x.shape, dtype=np.int64)
    inside = np.ones(x.shape[0], dtype=bool)
    for j, e in enumerate(edges):
        i = np.searchsorted(e, x[:, j], side="right") - 1
        i[x[:, j] == e[-1]] = n_bins - 1  # the last bin is closed on the right
        inside &= (i >= 0) & (i < n_bins)
        idx[:, j] = i
    if not inside.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flat = np.ravel_multi_index(tuple(idx[inside].T), (n_bins,) * x.shape[1])
    return np.unique(flat, return_counts=True)


def state_space_divergence_gmm(
    true: Float[ArrayLike, "T d"],
    generated: Float[ArrayLike, "T2 d"],
    *,
    n_samples: int = 1000,
    sigma2: float = 1.0,
    key: jax.Array | None = None,
    max_points: int | None = 10_000,
) -> float:
    """Gaussian-mixture Monte Carlo estimate of KL(p_true || p_gen), in nats (Hershey & Olsen 2007).

    Each of the first ``max_points`` points of a trajectory is the mean of a Gaussian with
    covariance ``sigma2`` * I (same units as the data, squared); p and q are the equal-weight
    mixtures. ``n_samples`` points x_i are drawn from p (a uniformly chosen true point plus
    N(0, sigma2 I) noise) and KL ~ mean_i [log p(x_i) - log q(x_i)].

    ``key`` is the JAX PRNG key of the draws; by default ``jax.random.key(0)``, so repeated
    calls give the same number. Computed in float64 with log-sum-exp.

    Differences from the reference: the reference evaluates the likelihoods in Float32
    without log-sum-exp and drops the samples where either underflows to 0, which biases its
    estimate low for very different trajectories; here no sample is dropped. The reference
    also truncates both series to the same length min(T, max_T); here each is truncated to
    ``max_points`` on its own (None keeps all points).
    """
    t = as_series(true, "true", min_len=1)
    g = as_series(generated, "generated", min_len=1)
    same_dim(t, g, "true", "generated")
    n_samples = positive_int(n_samples, "n_samples")
    sigma2 = positive(sigma2, "sigma2")
    if max_points is not None:
        max_points = positive_int(max_points, "max_points")
        t, g = t[:max_points], g[:max_points]
    key = jax.random.key(DEFAULT_SEED) if key is None else key
    kl = _gmm_kl(jnp.asarray(t, jnp.float64), jnp.asarray(g, jnp.float64), key, sigma2, n_samples)
    return float(kl)


def _log_mixture(x, centres, sigma2):
    """log of (1/T) sum_t exp(-|x - c_t|^2 / (2 sigma2)), for a batch of points x (B, d).

    The Gaussians' common normalisation (2 pi sigma2)^(d/2) is left out: it cancels in the KL.
    """
    sq = (jnp.sum(x**2, axis=1)[:, None] - 2.0 * x @ centres.T + jnp.sum(centres**2, axis=1)[None, :])
    sq = jnp.maximum(sq, 0.0)
    return jax.nn.logsumexp(-0.5 * sq / sigma2, axis=1) - jnp.log(centres.shape[0])


@jax.jit(static_argnames=("n_samples",))
def _gmm_kl(true, gen, key, sigma2, n_samples):
    k_idx, k_noise = jax.random.split(key)
    idx = jax.random.randint(k_idx, (n_samples,), 0, true.shape[0])
    samples = true[idx] + jnp.sqrt(sigma2) * jax.random.normal(k_noise, (n_samples, true.shape[1]), true.dtype)
    batch = 50  # 50 x T distances at a time bounds memory for long trajectories
    pad = (-n_samples) % batch
    padded = jnp.concatenate([samples, jnp.zeros((pad, samples.shape[1]), samples.dtype)])
    chunks = padded.reshape(-1, batch, samples.shape[1])
    diff = jax.lax.map(lambda x: _log_mixture(x, true, sigma2) - _log_mixture(x, gen, sigma2), chunks)
    return jnp.mean(diff.reshape(-1)[:n_samples])
