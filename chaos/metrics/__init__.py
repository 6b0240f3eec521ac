"""Metrics for dynamical-systems reconstruction and chaotic forecasting.

Long-term (attractor) agreement, after Hess et al. 2023 / Brenner et al. 2022
(reference code DurstewitzLab/GTF-shPLRNN, ``src/measures``):

- :func:`state_space_divergence` D_stsp, KL divergence of state-space visitation;
- :func:`power_spectrum_distance` D_H, Hellinger distance of smoothed power spectra;
- :func:`score_trajectory` both at once.

Short-term (forecast) accuracy: :func:`prediction_error` PE(n), :func:`valid_prediction_time`
(Pathak et al. 2018 / Vlachas et al. 2020), :func:`smape` (dysts), :func:`nrmse` (NG-RC).

Lyapunov exponents of learned discrete maps (PLRNN, reservoir in closed loop):
:func:`largest_lyapunov_map`, :func:`lyapunov_spectrum_map`.

Inputs are numpy or JAX arrays, time first, shape (T, d); outputs are Python floats or numpy
arrays. Importing ``chaos`` turns on JAX's 64-bit mode; the metrics compute in float64.
"""

from ._forecast import (
    NORMALISATIONS as NORMALISATIONS,
    normalised_error as normalised_error,
    nrmse as nrmse,
    prediction_error as prediction_error,
    smape as smape,
    valid_prediction_time as valid_prediction_time,
)
from ._lyapunov_map import (
    largest_lyapunov_map as largest_lyapunov_map,
    lyapunov_spectrum_map as lyapunov_spectrum_map,
)
from ._score import score_trajectory as score_trajectory
from ._spectrum import (
    hellinger_distance as hellinger_distance,
    power_spectrum_distance as power_spectrum_distance,
    smoothed_power_spectrum as smoothed_power_spectrum,
)
from ._stsp import (
    state_space_divergence as state_space_divergence,
    state_space_divergence_binned as state_space_divergence_binned,
    state_space_divergence_gmm as state_space_divergence_gmm,
)

__all__ = [
    "NORMALISATIONS",
    "hellinger_distance",
    "largest_lyapunov_map",
    "lyapunov_spectrum_map",
    "normalised_error",
    "nrmse",
    "power_spectrum_distance",
    "prediction_error",
    "score_trajectory",
    "smape",
    "smoothed_power_spectrum",
    "state_space_divergence",
    "state_space_divergence_binned",
    "state_space_divergence_gmm",
    "valid_prediction_time",
]
