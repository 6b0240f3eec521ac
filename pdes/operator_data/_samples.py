"""What every generator shares: per-sample PRNG keys, the sample, grid and time coordinates,
and the check that a batch of solutions is finite."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Key


def sample_indices(n_samples: int, start: int) -> np.ndarray:
    """The global indices ``start, ..., start + n_samples - 1``."""
    if n_samples < 1 or start < 0:
        raise ValueError(f"need n_samples >= 1 and start >= 0, got n_samples={n_samples}, start={start}")
    if start + n_samples > 2**32:
        raise ValueError("sample indices must fit in 32 bits")
    return np.arange(start, start + n_samples)


def sample_keys(seed: int, indices) -> Key[Array, " n"]:
    """The key of each sample: ``fold_in(key(seed), i)`` for its global index ``i``, so a
    sample does not depend on which others are drawn with it."""
    base = jax.random.key(seed)
    return jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.asarray(indices, dtype=jnp.uint32))


def save_times(t_final: float, n_times: int, dt: float) -> tuple[np.ndarray, float, int]:
    """The saved times ``t_final * (1, ..., n_times) / n_times``, the step actually used
    (the largest ``<= dt`` that divides the saving interval) and the steps per interval."""
    if t_final <= 0 or n_times < 1 or dt <= 0:
        raise ValueError(f"need t_final > 0, n_times >= 1, dt > 0; got {t_final}, {n_times}, {dt}")
    interval = t_final / n_times
    steps = max(1, int(np.ceil(interval / dt - 1e-9)))
    return t_final * np.arange(1, n_times + 1) / n_times, interval / steps, steps


def coords(indices: np.ndarray, x: np.ndarray, t: np.ndarray, *, names=("x",)) -> dict:
    """The coordinates: ``sample`` (global index), each space axis in ``names`` (all
    equal to ``x``), and ``t``; all dimensionless."""
    out = {"sample": ("sample", indices, {"long_name": "sample index", "units": "1"})}
    for name in names:
        out[name] = (name, x, {"long_name": f"position {name}", "units": "1"})
    out["t"] = ("t", t, {"long_name": "time t", "units": "1"})
    return out


def check_finite(name: str, values: np.ndarray, indices: np.ndarray, hint: str) -> None:
    """Raise ``FloatingPointError`` naming the samples whose ``values`` (sample first) are
    not all finite."""
    bad = ~np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1)
    if bad.any():
        raise FloatingPointError(f"{name}: samples {indices[bad].tolist()[:10]} are not finite; {hint}")
