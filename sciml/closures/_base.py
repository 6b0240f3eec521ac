"""What every closure is: an ``eqx.Module`` mapping one coarse state ``X (K,)`` to a tendency correction ``(K,)``.

A closure stands in for the unresolved coupling of the two-level Lorenz 96 model: the coarse model
steps ``dX/dt = one_level_tendency(X, F) + closure(X)``. Every closure

* handles one state (callers ``vmap`` over samples),
* applies at any ring size ``K`` it supports, and says so with :meth:`AbstractClosure.check_size`
  (a clear ``ValueError`` naming ``K`` and what is allowed) before any computation,
* keeps its normalisation inside (an :class:`Affine` constant, never trained),
* returns its constructor arguments from ``hyperparameters()`` so a checkpoint rebuilds it,
* is built from training data by ``from_data(x, y, *, key, **hyperparameters)``: normalisation fitted, and for a
  closure with a closed-form fit (``fitted_by == "least_squares"``) the coefficients too; ``"gradient"``
  closures are then trained by :func:`sciml.closures.train.train_closure`; ``"none"`` needs no training.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

__all__ = ["FITTED_BY", "AbstractClosure", "Affine"]

FITTED_BY = ("none", "least_squares", "gradient")


class Affine(eqx.Module):
    """A fixed normalisation ``encode(v) = (v - mean) / scale``, ``decode`` its inverse; scalars, in data units.

    Its leaves are constants fitted on data: gradients are stopped here and the trainer leaves every
    :class:`Affine` out of the optimised parameters.
    """

    mean: Float[Array, ""]
    scale: Float[Array, ""]

    def __init__(self, mean: float | Array = 0.0, scale: float | Array = 1.0, *, dtype=jnp.float32):
        self.mean = jnp.asarray(mean, dtype)
        self.scale = jnp.asarray(scale, dtype)

    @classmethod
    def fit(cls, data: Array, *, dtype=jnp.float32) -> Affine:
        """Mean and standard deviation of all of ``data`` (computed in float64; a constant gets scale 1)."""
        arr = np.asarray(data, np.float64)
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"cannot fit a normalisation on {arr.size} values with non-finite entries or none")
        std = float(arr.std())
        return cls(float(arr.mean()), std if std > 0 else 1.0, dtype=dtype)

    def encode(self, v: Array) -> Array:
        mean, scale = jax.lax.stop_gradient((self.mean, self.scale))
        return (v - mean.astype(v.dtype)) / scale.astype(v.dtype)

    def decode(self, v: Array) -> Array:
        mean, scale = jax.lax.stop_gradient((self.mean, self.scale))
        return v * scale.astype(v.dtype) + mean.astype(v.dtype)


class AbstractClosure(eqx.Module):
    """A learned or fixed tendency correction ``X (K,) -> (K,)`` in the units of ``dX/dt``.

    Subclasses set ``fitted_by`` (one of :data:`FITTED_BY`) and implement ``__call__``,
    ``hyperparameters`` and ``from_data``; ``min_size`` (classmethod-like, per instance) gives the smallest
    ring the closure can run on.
    """

    fitted_by: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, x: Float[Array, " K"]) -> Float[Array, " K"]:
        """The tendency correction for one coarse state on a ring of ``K`` points."""

    @abc.abstractmethod
    def hyperparameters(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-serialisable, no key) that rebuild this closure's skeleton."""

    def min_size(self) -> int:
        """The smallest ring size ``K`` this closure runs on."""
        return 1

    def check_size(self, size: int) -> None:
        """Raise a one-line ``ValueError`` if this closure cannot run on a ring of ``size`` points."""
        low = self.min_size()
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < low:
            raise ValueError(f"{type(self).__name__} cannot run at K={size!r}: it needs a ring of K >= {low} points "
                             f"({self._size_reason()})")

    def _size_reason(self) -> str:
        return "any K >= 1"

    def _check_input(self, x: Array) -> None:
        if x.ndim != 1:
            raise ValueError(f"{type(self).__name__} takes one state of shape (K,), got shape {x.shape}; vmap over "
                             "samples")
        if isinstance(x.shape[0], int):  # a symbolic K (jax.export, ONNX) is checked where the size is known
            self.check_size(int(x.shape[0]))

    @property
    def dtype(self) -> jnp.dtype:
        """The dtype of the closure's arrays (float32 unless built otherwise)."""
        leaves = [leaf for leaf in jax.tree_util.tree_leaves(self) if eqx.is_inexact_array(leaf)]
        return leaves[0].dtype if leaves else jnp.dtype(jnp.float32)
