"""Input checks shared by the metrics: one-line errors that name the bad value."""

from __future__ import annotations

import numpy as np


def as_array(x, name: str) -> np.ndarray:
    """``x`` (numpy or JAX array, or nested sequence) as a finite float64 numpy array."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}: {err}") from None
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}); a metric needs data")
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} has {int(bad.sum())} non-finite value(s) (first at index {first}: {a[first]}); "
            "metrics need finite data (did a trajectory diverge?)"
        )
    return a


def as_series(x, name: str, *, min_len: int = 2) -> np.ndarray:
    """A time series of shape (T, d), time first, T >= ``min_len``."""
    a = as_array(x, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (T, d) with time first, got shape {a.shape}")
    if a.shape[0] < min_len:
        raise ValueError(f"{name} has {a.shape[0]} time points, at least {min_len} are needed")
    return a


def same_dim(a: np.ndarray, b: np.ndarray, na: str, nb: str) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"{na} has d = {a.shape[-1]} dimensions but {nb} has d = {b.shape[-1]}; they must match")


def same_shape(a: np.ndarray, b: np.ndarray, na: str, nb: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{na} has shape {a.shape} but {nb} has shape {b.shape}; they must match")


def positive(value, name: str, *, allow_zero: bool = False) -> float:
    v = float(value)
    ok = v >= 0 if allow_zero else v > 0
    if not (np.isfinite(v) and ok):
        allowed = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {allowed}, got {value!r}")
    return v


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
