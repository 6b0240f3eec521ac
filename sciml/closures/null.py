"""The null closure: no correction, so the coarse model is the one-level Lorenz 96 model."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ._base import AbstractClosure

__all__ = ["NullClosure"]


class NullClosure(AbstractClosure):
    """``X (K,) -> 0 (K,)``: the unresolved coupling is left out. Runs at any ``K >= 1``."""

    fitted_by: ClassVar[str] = "none"

    def __init__(self, *, key: Any = None):
        del key

    def __call__(self, x: Float[Array, " K"]) -> Float[Array, " K"]:
        self._check_input(x)
        return jnp.zeros_like(x)

    def hyperparameters(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_data(cls, x: Array, y: Array, *, key: Any = None) -> NullClosure:
        """The null closure ignores its data."""
        return cls()
