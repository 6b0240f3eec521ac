"""Both long-term (attractor) scores of a generated trajectory at once."""

from __future__ import annotations

import jax
from jaxtyping import ArrayLike, Float

from ._spectrum import power_spectrum_distance
from ._stsp import state_space_divergence
from ._validate import as_series, same_dim


def score_trajectory(
    true: Float[ArrayLike, "T d"],
    generated: Float[ArrayLike, "T2 d"],
    *,
    n_bins: int = 30,
    sigma2: float = 1.0,
    sigma: float = 20.0,
    key: jax.Array | None = None,
) -> dict[str, float]:
    """{"d_stsp": D_stsp, "d_h": D_H} of ``generated`` against ``true`` (time first, same d).

    D_stsp (:func:`state_space_divergence`, bins below 6 dimensions, GMM with ``sigma2`` and
    ``key`` from 6 on) uses all points of both; D_H (:func:`power_spectrum_distance`, smoothing
    ``sigma`` bins) compares equal lengths, so it uses the first min(T, T2) points of each.
    """
    t = as_series(true, "true")
    g = as_series(generated, "generated")
    same_dim(t, g, "true", "generated")
    n = min(t.shape[0], g.shape[0])
    return {
        "d_stsp": state_space_divergence(t, g, n_bins=n_bins, sigma2=sigma2, key=key),
        "d_h": power_spectrum_distance(t[:n], g[:n], sigma=sigma),
    }
