"""Unit-Gaussian normalisation fitted on training data, stored with the model as an ``eqx.Module``.

>>> x_norm = UnitGaussian.fit(x_train)                          # (n, C, *spatial): per-channel statistics
>>> y_norm = UnitGaussian.fit(y_train, scope=Scope.POINTWISE)   # FNO's UnitGaussianNormalizer
>>> model = Normalized(fno, x_norm, y_norm)                     # encode -> fno -> decode; train on raw data

Per-channel statistics (one mean and std per channel, over samples and points) apply at any
resolution. Pointwise statistics (per channel and grid point, over samples), as in the
original FNO code, tie the model to the training grid.

The statistics are constants: :class:`UnitGaussian` stops their gradients, and the trainer
leaves every :class:`UnitGaussian` out of the optimised parameters (no weight decay on them).
"""

from __future__ import annotations

import enum
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

__all__ = ["Normalized", "Scope", "UnitGaussian"]


class Scope(enum.Enum):
    """Over what the statistics are pooled."""

    CHANNEL = "channel"  # one mean/std per channel: over samples and points; resolution independent
    POINTWISE = "pointwise"  # one mean/std per channel and point: over samples only (FNO's normaliser)


class UnitGaussian(eqx.Module):
    """``encode(x) = (x - mean) / (std + eps)``, ``decode`` its inverse, on one sample ``(C, *spatial)``.

    Attributes:
        mean, std: shape ``(C, 1, ..., 1)`` (channel scope) or ``(C, *spatial)`` (pointwise scope),
            in the data's units.
        eps: added to ``std`` (data units), so a constant channel does not divide by zero.
    """

    mean: Float[Array, "C *spatial"]
    std: Float[Array, "C *spatial"]
    scope: Scope = eqx.field(static=True)
    eps: float = eqx.field(static=True)

    def __init__(self, mean: Array, std: Array, scope: Scope | str = Scope.CHANNEL, eps: float = 1e-5):
        scope = Scope(scope)
        mean, std = jnp.asarray(mean), jnp.asarray(std)
        if mean.shape != std.shape:
            raise ValueError(f"mean shape {mean.shape} differs from std shape {std.shape}")
        self.mean, self.std, self.scope, self.eps = mean, std, scope, float(eps)

    @classmethod
    def fit(
        cls, data: Float[Array, "n C *spatial"], scope: Scope | str = Scope.CHANNEL, eps: float = 1e-5, dtype=None
    ) -> UnitGaussian:
        """Statistics of ``data`` (samples first, then channels), computed in float64 and stored in ``dtype``
        (default: the data's dtype)."""
        scope = Scope(scope)
        arr = np.asarray(data)
        if arr.ndim < 2:
            raise ValueError(f"data must be (n_samples, channels, *spatial), got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            bad = np.flatnonzero(~np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1))
            raise ValueError(f"cannot fit a normaliser: non-finite values in samples {bad[:10].tolist()}")
        axes = (0,) if scope is Scope.POINTWISE else (0, *range(2, arr.ndim))
        mean = arr.astype(np.float64).mean(axis=axes, keepdims=True)[0]
        std = arr.astype(np.float64).std(axis=axes, keepdims=True)[0]
        dtype = arr.dtype if dtype is None else dtype
        return cls(jnp.asarray(mean, dtype), jnp.asarray(std, dtype), scope, eps)

    def _stats(self, x: Array) -> tuple[Array, Array]:
        if x.ndim != self.mean.ndim or (self.scope is Scope.POINTWISE and x.shape != self.mean.shape) or (
            x.shape[0] != self.mean.shape[0]
        ):
            raise ValueError(
                f"normaliser ({self.scope.value}) fitted for samples like {self.mean.shape} cannot apply to {x.shape}"
            )
        return jax.lax.stop_gradient(self.mean), jax.lax.stop_gradient(self.std) + self.eps

    def encode(self, x: Float[Array, "C *spatial"]) -> Float[Array, "C *spatial"]:
        """Data units -> unit Gaussian (dimensionless)."""
        mean, scale = self._stats(x)
        return ((x - mean) / scale).astype(x.dtype)

    def decode(self, x: Float[Array, "C *spatial"]) -> Float[Array, "C *spatial"]:
        """Unit Gaussian -> data units."""
        mean, scale = self._stats(x)
        return (x * scale + mean).astype(x.dtype)

    def hyperparameters(self) -> dict[str, Any]:
        """What rebuilds the skeleton: shape, scope, eps and dtype (the statistics are leaves)."""
        return {"shape": list(self.mean.shape), "scope": self.scope.value, "eps": self.eps,
                "dtype": jnp.dtype(self.mean.dtype).name}

    @classmethod
    def from_hyperparameters(cls, hp: dict[str, Any], *, key=None) -> UnitGaussian:
        """A placeholder (zeros/ones) of the shape in ``hp``, to load stored statistics into."""
        shape, dtype = tuple(hp["shape"]), jnp.dtype(hp["dtype"])
        return cls(jnp.zeros(shape, dtype), jnp.ones(shape, dtype), hp["scope"], hp["eps"])


class Normalized(eqx.Module):
    """``x -> y_norm.decode(model(x_norm.encode(x)))``: a model that takes and returns data in physical units.

    Either normaliser may be None (identity). Train it on raw data: the loss is then in
    physical units, as in the original FNO training scripts.
    """

    model: eqx.Module
    x_norm: UnitGaussian | None
    y_norm: UnitGaussian | None

    def __init__(self, model: eqx.Module, x_norm: UnitGaussian | None = None, y_norm: UnitGaussian | None = None):
        self.model, self.x_norm, self.y_norm = model, x_norm, y_norm

    def __call__(self, x: Float[Array, "cin *spatial"], *args) -> Float[Array, "cout *spatial"]:
        if self.x_norm is not None:
            x = self.x_norm.encode(x)
        y = self.model(x, *args)
        return y if self.y_norm is None else self.y_norm.decode(y)

    def hyperparameters(self) -> dict[str, Any]:
        """The inner model's registered name and hyperparameters, and the normalisers' shapes."""
        from . import name_of  # the registry imports this module

        return {
            "model": name_of(self.model),
            "kwargs": self.model.hyperparameters(),
            "x_norm": None if self.x_norm is None else self.x_norm.hyperparameters(),
            "y_norm": None if self.y_norm is None else self.y_norm.hyperparameters(),
        }

    @classmethod
    def from_hyperparameters(cls, hp: dict[str, Any], *, key) -> Normalized:
        """A skeleton to load weights into: the inner model rebuilt from the registry, placeholder normalisers."""
        from . import build

        norm = lambda h: None if h is None else UnitGaussian.from_hyperparameters(h)  # noqa: E731
        return cls(build(hp["model"], hp["kwargs"], key=key), norm(hp["x_norm"]), norm(hp["y_norm"]))
