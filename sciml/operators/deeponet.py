"""DeepONet (Lu et al., 2021): an operator as a sum of learned basis functions of the query point.

    G(u)(y) ~ sum_j b_j(u) t_j(y) + bias

The branch MLP sees the input function ``u`` at fixed sensor points (flattened); the trunk
MLP sees one query coordinate ``y``. With several output channels the branch gives
``n_basis`` coefficients per channel and the trunk's basis is shared between channels.

>>> model = DeepONet(n_sensors=100, coord_dim=1, out_channels=1, width=64, depth=3, n_basis=64, key=key)
>>> g = model(u_at_sensors, y)          # (100,), (n_points, 1) -> (1, n_points)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .fno import activation_name, gelu, resolve_activation

__all__ = ["MLP", "DeepONet"]


class MLP(eqx.Module):
    """``in -> width -> ... -> out`` (``depth`` hidden layers), activation between layers and optionally after the last.

    Unlike ``eqx.nn.MLP``, the activations are static fields, so the module has array leaves only.
    """

    layers: tuple[eqx.nn.Linear, ...]
    activation: Callable[[Array], Array] = eqx.field(static=True)
    final_activation: bool = eqx.field(static=True)

    def __init__(self, in_size: int, out_size: int, width: int, depth: int, *, activation=gelu,
                 final_activation: bool = False, dtype=jnp.float32, key: PRNGKeyArray):
        sizes = [in_size] + [width] * depth + [out_size]
        keys = jax.random.split(key, len(sizes) - 1)
        self.layers = tuple(eqx.nn.Linear(a, b, dtype=dtype, key=k) for a, b, k in zip(sizes[:-1], sizes[1:], keys))
        self.activation = resolve_activation(activation)
        self.final_activation = final_activation

    def __call__(self, x: Float[Array, " in"]) -> Float[Array, " out"]:
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        x = self.layers[-1](x)
        return self.activation(x) if self.final_activation else x


class DeepONet(eqx.Module):
    """Unstacked DeepONet ``(u at n_sensors points, coords (n_points, coord_dim)) -> (out_channels, n_points)``.

    Attributes:
        branch: MLP ``n_sensors -> out_channels * n_basis`` on the flattened input function.
        trunk: MLP ``coord_dim -> n_basis``, activated at its output too (as in DeepXDE).
        bias: one scalar per output channel, in the output's units.
    """

    branch: MLP
    trunk: MLP
    bias: Float[Array, " out_channels"]
    n_sensors: int = eqx.field(static=True)
    coord_dim: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)
    width: int = eqx.field(static=True)
    depth: int = eqx.field(static=True)
    n_basis: int = eqx.field(static=True)

    def __init__(self, n_sensors: int, coord_dim: int, out_channels: int, width: int, depth: int, n_basis: int, *,
                 activation: str | Callable[[Array], Array] = gelu, dtype=jnp.float32, key: PRNGKeyArray):
        """
        Args:
            n_sensors: size of the input function at the sensors (all channels, flattened).
            coord_dim: dimension of a query point.
            out_channels: channels of the output function.
            width, depth: hidden width and number of hidden layers of both MLPs.
            n_basis: basis functions per output channel.
            activation: a callable or a name in :data:`sciml.operators.fno.ACTIVATIONS`.
        """
        for name, v in {"n_sensors": n_sensors, "coord_dim": coord_dim, "out_channels": out_channels,
                        "width": width, "depth": depth, "n_basis": n_basis}.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "depth" else 1):
                raise ValueError(f"DeepONet {name} must be a positive integer, got {v!r}")
        dtype = jnp.dtype(dtype)
        bkey, tkey = jax.random.split(key)
        self.branch = MLP(n_sensors, out_channels * n_basis, width, depth, activation=activation, dtype=dtype, key=bkey)
        self.trunk = MLP(coord_dim, n_basis, width, depth, activation=activation, final_activation=True,
                         dtype=dtype, key=tkey)
        self.bias = jnp.zeros((out_channels,), dtype)
        self.n_sensors, self.coord_dim, self.out_channels = n_sensors, coord_dim, out_channels
        self.width, self.depth, self.n_basis = width, depth, n_basis

    def __call__(self, u_sensors: Float[Array, "..."], coords: Float[Array, "n_points coord_dim"]
                 ) -> Float[Array, "out_channels n_points"]:
        """One input function (any shape of ``n_sensors`` values) evaluated at ``n_points`` query points."""
        if u_sensors.size != self.n_sensors:
            raise ValueError(f"DeepONet expects {self.n_sensors} sensor values, got shape {u_sensors.shape}")
        if coords.ndim != 2 or coords.shape[1] != self.coord_dim:
            raise ValueError(f"DeepONet expects coords (n_points, {self.coord_dim}), got shape {coords.shape}")
        coeffs = self.branch(u_sensors.reshape(-1)).reshape(self.out_channels, self.n_basis)
        basis = jax.vmap(self.trunk)(coords.astype(coeffs.dtype))  # (n_points, n_basis)
        return coeffs @ basis.T + self.bias[:, None]

    def hyperparameters(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-serialisable, no key) that rebuild this model's skeleton."""
        return {"n_sensors": self.n_sensors, "coord_dim": self.coord_dim, "out_channels": self.out_channels,
                "width": self.width, "depth": self.depth, "n_basis": self.n_basis,
                "activation": activation_name(self.branch.activation), "dtype": jnp.dtype(self.bias.dtype).name}
