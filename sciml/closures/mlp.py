"""A local neural closure: the same small MLP at every point, fed the stencil ``X_{k-s} .. X_{k+s}``.

Like the parametrisations of Rasp (2020) and Gagne et al. (2020) for Lorenz 96: the correction at ``k`` depends on
the resolved values in a window of ``2 s + 1`` points around it (periodic), so the closure is translation
equivariant and runs on any ring with at least ``2 s + 1`` points. Inputs and outputs are standardised inside.

>>> closure = LocalMLP.from_data(x_train, y_train, stencil=2, width=32, depth=2, key=key)
>>> closure(x)                                              # (K,) -> (K,)
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from sciml.operators.fno import activation_name, resolve_activation

from ._base import AbstractClosure, Affine

__all__ = ["LocalMLP", "stencil"]


def stencil(x: Float[Array, " K"], half_width: int) -> Float[Array, "K w"]:
    """Row ``k`` holds ``X_{k-s}, ..., X_{k+s}`` (periodic), ``w = 2 s + 1``."""
    return jnp.stack([jnp.roll(x, -offset) for offset in range(-half_width, half_width + 1)], axis=-1)


class LocalMLP(AbstractClosure):
    """``U_k = MLP(X_{k-s} .. X_{k+s})``, one MLP shared by every point.

    Attributes:
        mlp: ``2 s + 1`` standardised inputs -> ``depth`` hidden layers of ``width`` -> one standardised output.
        x_norm, y_norm: the standardisations of ``X`` and of the target (fitted on training data, not trained).
    """

    mlp: eqx.nn.MLP
    x_norm: Affine
    y_norm: Affine
    half_width: int = eqx.field(static=True)
    width: int = eqx.field(static=True)
    depth: int = eqx.field(static=True)
    activation: Any = eqx.field(static=True)
    fitted_by: ClassVar[str] = "gradient"

    def __init__(self, stencil: int = 2, width: int = 32, depth: int = 2, *, activation: str = "tanh",
                 x_norm: Affine | None = None, y_norm: Affine | None = None, dtype=jnp.float32,
                 key: PRNGKeyArray):
        for name, value, low in (("stencil", stencil, 0), ("width", width, 1), ("depth", depth, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"LocalMLP {name} must be an integer >= {low}, got {value!r}")
        self.half_width, self.width, self.depth = stencil, width, depth
        self.activation = resolve_activation(activation)
        self.mlp = eqx.nn.MLP(2 * stencil + 1, "scalar", width, depth, activation=self.activation, dtype=dtype,
                              key=key)
        self.x_norm = Affine(dtype=dtype) if x_norm is None else x_norm
        self.y_norm = Affine(dtype=dtype) if y_norm is None else y_norm

    def __call__(self, x: Float[Array, " K"]) -> Float[Array, " K"]:
        self._check_input(x)
        dtype = self.mlp.layers[0].weight.dtype
        z = stencil(self.x_norm.encode(x.astype(dtype)), self.half_width)
        return self.y_norm.decode(jax.vmap(self.mlp)(z)).astype(x.dtype)

    def min_size(self) -> int:
        return 2 * self.half_width + 1

    def _size_reason(self) -> str:
        return f"a stencil of +-{self.half_width} points must not wrap onto itself"

    def hyperparameters(self) -> dict[str, Any]:
        return {"stencil": self.half_width, "width": self.width, "depth": self.depth,
                "activation": activation_name(self.activation),
                "dtype": jnp.dtype(self.mlp.layers[0].weight.dtype).name}

    @classmethod
    def from_data(cls, x: Float[Array, "n K"], y: Float[Array, "n K"], *, key: PRNGKeyArray, **hyperparameters
                  ) -> LocalMLP:
        """An untrained MLP with the standardisations of ``x`` and ``y`` fitted (train it with ``train_closure``)."""
        dtype = hyperparameters.get("dtype", jnp.float32)
        return cls(**hyperparameters, x_norm=Affine.fit(x, dtype=dtype), y_norm=Affine.fit(y, dtype=dtype), key=key)
