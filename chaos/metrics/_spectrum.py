"""D_H: the Hellinger distance between smoothed, normalised power spectra.

Reference: DurstewitzLab/GTF-shPLRNN, ``src/measures/pse.jl`` (``power_spectrum_error``),
default smoothing sigma = 20 (``settings/defaults.json``, ``PSE_smoothing``).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import ArrayLike, Float
from scipy.ndimage import gaussian_filter1d

from ._validate import as_series, positive, same_shape

TRUNCATE = 4.0  # kernel radius in standard deviations


def smoothed_power_spectrum(x: Float[ArrayLike, "T d"], *, sigma: float = 20.0, name: str = "x") -> np.ndarray:
    """Normalised, smoothed power spectrum of each coordinate, shape (T // 2 + 1, d); columns sum to 1.

    Each coordinate is z-scored (mean 0, sample std 1), so the zero-frequency (DC) bin is 0
    up to rounding and stays in the spectrum as in the reference; the power is |rfft|^2 along
    time; it is smoothed by a Gaussian of standard deviation ``sigma`` frequency bins (radius
    round(4 sigma), kernel normalised to sum 1, mirror padding that does not repeat the edge
    bin: the reference's ImageFiltering "reflect", which is scipy's "mirror"); small negative
    values are clipped to 0; and each column is divided by its sum. ``sigma = 0`` skips the
    smoothing. A constant column has no spectrum and is an error here.
    """
    a = as_series(x, name, min_len=2)
    sigma = positive(sigma, "sigma", allow_zero=True)
    std = a.std(axis=0, ddof=1)
    if np.any(std == 0):
        j = int(np.flatnonzero(std == 0)[0])
        raise ValueError(f"{name}[:, {j}] is constant ({a[0, j]}); it has no power spectrum to compare")
    z = (a - a.mean(axis=0)) / std
    ps = np.abs(np.fft.rfft(z, axis=0)) ** 2
    if sigma > 0:
        ps = gaussian_filter1d(ps, sigma, axis=0, mode="mirror", truncate=TRUNCATE)
        ps = np.clip(ps, 0.0, None)
    return ps / ps.sum(axis=0, keepdims=True)


def hellinger_distance(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """H(p, q) = sqrt(sum_k (sqrt p_k - sqrt q_k)^2 / 2) along axis 0, in [0, 1] for distributions."""
    return np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=0))


def power_spectrum_distance(
    true: Float[ArrayLike, "T d"],
    generated: Float[ArrayLike, "T d"],
    *,
    sigma: float = 20.0,
) -> float:
    """D_H in [0, 1]: the Hellinger distance between the smoothed power spectra of ``true``
    and ``generated`` (see :func:`smoothed_power_spectrum`), per coordinate, averaged over the
    d coordinates. 0 for equal spectra, 1 for spectra with disjoint support.

    ``true`` and ``generated`` must have the same shape (T, d) (same sampling interval too, as
    the frequency bins are compared one by one); the reference asserts this as well.

    Difference from the reference: a constant coordinate (z-scoring divides by 0, the
    reference gives NaN) is an error here for ``true``; for ``generated`` (a model collapsed
    onto a fixed point) that coordinate's distance is 1, the maximum.
    """
    t = as_series(true, "true", min_len=2)
    g = as_series(generated, "generated", min_len=2)
    same_shape(t, g, "true", "generated")
    p = smoothed_power_spectrum(t, sigma=sigma, name="true")
    const = g.std(axis=0, ddof=1) == 0
    if const.all():
        return 1.0
    q = np.zeros_like(p)
    q[:, ~const] = smoothed_power_spectrum(g[:, ~const], sigma=sigma, name="generated")
    h = hellinger_distance(p, q)
    h[const] = 1.0
    return float(np.mean(h))

