"""Forecast errors: prediction error curve, valid prediction time, sMAPE and NRMSE."""

from __future__ import annotations

import numpy as np
from jaxtyping import ArrayLike, Float

from ._validate import as_array, as_series, positive, same_dim, same_shape

NORMALISATIONS = ("std", "std_per_dim", "none")


def prediction_error(
    true: Float[ArrayLike, "*ics N d"],
    predicted: Float[ArrayLike, "*ics N d"],
) -> np.ndarray:
    """PE(n) for n = 1..N, shape (N,): the mean squared error at lead n, averaged over the d
    coordinates and the initial conditions.

    ``true`` and ``predicted`` have shape (N, d) or (n_ics, N, d): ``predicted[i, n - 1]`` is
    the n-step-ahead prediction from initial condition i and ``true[i, n - 1]`` the observed
    state n steps after it. Units: data units squared.

    The reference (GTF-shPLRNN ``prediction_error(model, O, X, n)``) returns one number,
    PE(n) = Flux.mse over all start points of a series; that number is ``prediction_error(...)[n - 1]``
    when the start points are passed as the initial conditions.
    """
    t = as_array(true, "true")
    p = as_array(predicted, "predicted")
    same_shape(t, p, "true", "predicted")
    if t.ndim not in (2, 3):
        raise ValueError(f"true must have shape (N, d) or (n_ics, N, d), got shape {t.shape}")
    sq = (p - t) ** 2
    return sq.mean(axis=-1) if sq.ndim == 2 else sq.mean(axis=(0, 2))


def normalised_error(
    true: Float[ArrayLike, "N d"],
    predicted: Float[ArrayLike, "N d"],
    *,
    reference: Float[ArrayLike, "T d"] | None = None,
) -> np.ndarray:
    """e(t_i) = ||predicted_i - true_i|| / sqrt(mean_s ||u_s - mean(u)||^2), shape (N,), dimensionless.

    u is ``reference`` (T, d) if given, else ``true``; the denominator is the RMS distance of
    the states from their time mean, i.e. sqrt of the total variance sum_j var_j (ddof = 0).
    """
    t = as_series(true, "true", min_len=1)
    p = as_series(predicted, "predicted", min_len=1)
    same_shape(t, p, "true", "predicted")
    u = t if reference is None else as_series(reference, "reference")
    same_dim(t, u, "true", "reference")
    scale = np.sqrt(np.mean(np.sum((u - u.mean(axis=0)) ** 2, axis=1)))
    if scale == 0:
        raise ValueError("the normalising series (reference, or true) is constant; the normalised error is undefined")
    return np.linalg.norm(p - t, axis=1) / scale


def valid_prediction_time(
    true: Float[ArrayLike, "N d"],
    predicted: Float[ArrayLike, "N d"],
    *,
    dt: float,
    lyapunov_exponent: float,
    threshold: float = 0.4,
    reference: Float[ArrayLike, "T d"] | None = None,
) -> float:
    """Valid prediction time in Lyapunov times (t * lambda_max, dimensionless).

    ``predicted[i]`` is the forecast at time t_i = (i + 1) * ``dt`` after the initial
    condition and ``true[i]`` the truth then, shape (N, d). The normalised error is

        e(t) = ||predicted(t) - true(t)||_2 / sqrt( < ||u - <u>||_2^2 > ),

    with <.> the time mean over ``reference`` (default: ``true`` itself): Pathak et al.,
    PRL 120, 024102 (2018), with the mean removed so that coordinates with a non-zero mean
    (Lorenz' z) do not inflate the denominator. The valid time is the largest t_f such that
    e(t_i) <= ``threshold`` for every t_i <= t_f (Vlachas et al., Neural Networks 126, 191
    (2020)): with k leading steps within the threshold, VPT = k * dt * ``lyapunov_exponent``;
    0 if the first step already fails, N * dt * lambda (the full horizon) if none does. As
    dt -> 0 this is the first time e exceeds the threshold. Pathak et al. use threshold 0.4,
    Vlachas et al. 0.5 with a per-coordinate normalisation (equal to this one when all
    coordinates have the same variance, e.g. standardised data).
    """
    dt = positive(dt, "dt")
    lam = positive(lyapunov_exponent, "lyapunov_exponent")
    threshold = positive(threshold, "threshold")
    e = normalised_error(true, predicted, reference=reference)
    bad = np.flatnonzero(e > threshold)
    k = e.size if bad.size == 0 else int(bad[0])
    return float(k * dt * lam)


def smape(
    true: Float[ArrayLike, "..."],
    predicted: Float[ArrayLike, "..."],
    *,
    eps: float = 1e-10,
) -> float:
    """Symmetric mean absolute percentage error on the 0-200 scale:

        sMAPE = 200 * mean( |true - predicted| / (|true| + |predicted| + eps) ),

    the mean over every element (any shape, both the same). This is the definition of
    dysts (Gilpin 2021), ``dysts.metrics.smape(true, predicted, eps=1e-10, scaled=False)``;
    dysts' default ``scaled=True`` halves it (0-100 scale). 0 for a perfect forecast; 200 when
    every prediction has the wrong sign or one of the pair is 0.
    """
    t = as_array(true, "true")
    p = as_array(predicted, "predicted")
    same_shape(t, p, "true", "predicted")
    eps = positive(eps, "eps", allow_zero=True)
    return float(200.0 * np.mean(np.abs(t - p) / (np.abs(t) + np.abs(p) + eps)))


def nrmse(
    true: Float[ArrayLike, "... d"],
    predicted: Float[ArrayLike, "... d"],
    *,
    normalisation: str = "std",
    reference: Float[ArrayLike, "T d"] | None = None,
) -> float:
    """Normalised root-mean-square error, dimensionless; last axis = coordinates.

    With u = ``reference`` (T, d) if given, else ``true`` (all leading axes flattened):

    - ``"std"`` (default): sqrt(mean((predicted - true)^2)) / std(u), the mean over every
      element and std over all entries of u pooled (ddof = 0, one grand mean). This is
      Gauthier et al., Nat. Commun. 12, 5564 (2021) (NG-RC): their code divides the mean
      squared error by ``np.var`` of the whole (d, T) solution array; pass the long true
      series as ``reference`` to reproduce it (they use the full run, not the test window).
    - ``"std_per_dim"``: sqrt(mean((predicted - true)^2 / var_j(u))), each coordinate by its own
      variance (Vlachas et al. 2020).
    - ``"none"``: the plain RMSE, in data units.
    """
    t = as_array(true, "true")
    p = as_array(predicted, "predicted")
    same_shape(t, p, "true", "predicted")
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    sq = (p - t) ** 2
    if normalisation == "none":
        return float(np.sqrt(sq.mean()))
    u = t.reshape(-1, t.shape[-1]) if reference is None else as_series(reference, "reference")
    same_dim(t, u, "true", "reference")
    if normalisation == "std":
        var = u.var()
        if var == 0:
            raise ValueError("the normalising series (reference, or true) is constant; std normalisation is undefined")
        return float(np.sqrt(sq.mean() / var))
    var_j = u.var(axis=0)
    if np.any(var_j == 0):
        j = int(np.flatnonzero(var_j == 0)[0])
        raise ValueError(f"coordinate {j} of the normalising series is constant; use normalisation='std'")
    return float(np.sqrt(np.mean(sq / var_j)))
