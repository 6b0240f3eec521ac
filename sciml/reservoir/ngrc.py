"""Next-generation reservoir computing (NG-RC, a nonlinear vector autoregression;
Gauthier, Bollt, Griffith, Barbosa, Nat. Commun. 12, 5564, 2021).

Feature vector at time t, for a D-dimensional series x:

    linear    O_lin = [x_t, x_{t-s}, ..., x_{t-(k-1)s}]                   (k D,)
    nonlinear O_nl  = every unique monomial of degree ``degree`` in O_lin    (C(kD + p - 1, p),)
    total     O     = [1, O_lin, O_nl]

(for k = 2, D = 3, p = 2: 1 + 6 + 21 = 28 features, as in the paper). The readout W_out
(28, D) is trained by ridge regression (float64 Cholesky; the constant penalised too, as in
the paper's code) to predict the increment x_{t+1} - x_t, and the forecast iterates
x_{t+1} = x_t + W_out^T O_t in closed loop under ``lax.scan``.
"""

from __future__ import annotations

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .ridge import ridge_solve

__all__ = ["NGRC", "fit", "forecast", "features"]


class NGRC(eqx.Module):
    """NG-RC with k delay taps spaced by s steps and monomials of one degree.

    Attributes:
        w_out: readout, shape (1 + kD + n_monomials, D); zero until :func:`fit`.
        n_inputs (D), k, skip (s), degree (p): static.
    """

    w_out: Float[Array, "F D"]
    n_inputs: int = eqx.field(static=True)
    k: int = eqx.field(static=True)
    skip: int = eqx.field(static=True)
    degree: int = eqx.field(static=True)

    def __init__(self, n_inputs: int, *, k: int = 2, skip: int = 1, degree: int = 2):
        for name, value in (("n_inputs", n_inputs), ("k", k), ("skip", skip), ("degree", degree)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"NG-RC {name} must be a positive integer, got {value!r}")
        self.n_inputs, self.k, self.skip, self.degree = int(n_inputs), int(k), int(skip), int(degree)
        self.w_out = jnp.zeros((self.n_features, self.n_inputs), jnp.float64)

    @property
    def n_linear(self) -> int:
        return self.k * self.n_inputs

    @property
    def monomials(self) -> np.ndarray:
        """Index tuples of the nonlinear monomials, shape (M, degree), in the paper's order."""
        return np.array(list(itertools.combinations_with_replacement(range(self.n_linear), self.degree)), dtype=np.int32)

    @property
    def n_features(self) -> int:
        return 1 + self.n_linear + len(self.monomials)

    @property
    def window(self) -> int:
        """Number of consecutive samples a feature vector reads: (k - 1) s + 1."""
        return (self.k - 1) * self.skip + 1

    def features(self, window: Float[Array, "W D"]) -> Float[Array, " F"]:
        """O_t from the last ``window`` samples (oldest first; the newest, x_t, is last)."""
        return features(self, window)

    def step(self, window: Float[Array, "W D"]) -> Float[Array, " D"]:
        """x_{t+1} = x_t + W_out^T O_t."""
        return window[-1] + self.features(window) @ self.w_out


def features(model: NGRC, window: Float[Array, "W D"]) -> Float[Array, " F"]:
    """See :meth:`NGRC.features`."""
    window = jnp.asarray(window, jnp.float64)
    taps = window[::-1][:: model.skip][: model.k]  # x_t, x_{t-s}, ...
    lin = taps.reshape(-1)
    idx = jnp.asarray(model.monomials)
    nonlin = jnp.prod(lin[idx], axis=1)
    return jnp.concatenate([jnp.ones(1, jnp.float64), lin, nonlin])


def _windows(model: NGRC, series: Array) -> Array:
    """All windows of ``model.window`` consecutive rows, shape (T - W + 1, W, D)."""
    w = model.window
    idx = np.arange(series.shape[0] - w + 1)[:, None] + np.arange(w)[None, :]
    return series[idx]


def fit(model: NGRC, series: Float[Array, "T D"], *, beta: float) -> NGRC:
    """Fit on every (window ending at t, x_{t+1} - x_t) pair in ``series``: T - window pairs
    (the first (k - 1) s samples only fill the delay taps)."""
    series = jnp.asarray(series, jnp.float64)
    if series.ndim != 2 or series.shape[1] != model.n_inputs:
        raise ValueError(f"series must have shape (T, {model.n_inputs}), got {tuple(series.shape)}")
    if series.shape[0] < model.window + 1:
        raise ValueError(f"NG-RC with k={model.k}, skip={model.skip} needs at least {model.window + 1} samples, "
                         f"got {series.shape[0]}")
    windows = _windows(model, series[:-1])
    feats = jax.vmap(model.features)(windows)
    targets = series[model.window:] - series[model.window - 1 : -1]
    w_out = ridge_solve(feats, targets, beta, unpenalized=0)
    return eqx.tree_at(lambda m: m.w_out, model, w_out)


def forecast(model: NGRC, context: Float[Array, "C D"], n_steps: int) -> Float[Array, "S D"]:
    """Closed loop from the last ``window`` rows of ``context``: the n_steps values after it."""
    context = jnp.asarray(context, jnp.float64)
    if context.ndim != 2 or context.shape[1] != model.n_inputs or context.shape[0] < model.window:
        raise ValueError(f"context must have shape (C >= {model.window}, {model.n_inputs}), got {tuple(context.shape)}")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")

    def body(window, _):
        nxt = model.step(window)
        return jnp.concatenate([window[1:], nxt[None]], axis=0), nxt

    _, ys = jax.lax.scan(body, context[-model.window :], None, length=n_steps)
    return ys
