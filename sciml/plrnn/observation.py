"""Observation models: latent states ``z`` (M,) to observations ``x`` (N,), and back for forcing.

Each model has three maps on one sample:

* ``model(z)``: the prediction ``x_hat`` of the observation (N,);
* ``model.init_state(x)``: the latent state a sequence starts from, given its first observation (M,);
* ``model.forcing_signal(x)``: the data-inferred latent state ``z_data`` used by teacher forcing (M,),
  with ``model.forced_mask()`` saying which latent states teacher forcing acts on.

:class:`Identity` reads the first ``N`` latent states out (``M >= N``) and forces only them
(the reference's "partial forcing"); when ``M > N`` the unobserved states start at ``L x``
with a learned ``L`` ((M - N, N), Glorot-uniform). :class:`Affine` is ``x = B z + c`` with
``B`` (N, M) Kaiming-normal (``c`` = 0 and not trained unless ``use_bias``); its forcing signal
and initial state are ``pinv(B) (x - c)`` and it forces all M states, as in
DurstewitzLab/GTF-shPLRNN.
"""

from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, PRNGKeyArray

__all__ = ["AbstractObservationModel", "Affine", "Identity", "build_observation"]


class AbstractObservationModel(eqx.Module):
    """An observation model (see the module docstring); one sample in, one out."""

    n_obs: eqx.AbstractVar[int]
    latent: eqx.AbstractVar[int]

    @abc.abstractmethod
    def __call__(self, z: Float[Array, " M"]) -> Float[Array, " N"]:
        """The predicted observation of latent state ``z``."""

    @abc.abstractmethod
    def init_state(self, x: Float[Array, " N"]) -> Float[Array, " M"]:
        """The latent state a sequence starts from, given its first observation."""

    @abc.abstractmethod
    def forcing_signal(self, x: Float[Array, " N"]) -> Float[Array, " M"]:
        """The data-inferred latent state ``z_data`` of observation ``x`` (teacher signal)."""

    @abc.abstractmethod
    def forced_mask(self) -> Bool[Array, " M"]:
        """Which latent states teacher forcing acts on."""

    @abc.abstractmethod
    def hyperparameters(self) -> dict[str, Any]:
        """Constructor arguments, JSON-ready, with ``kind``."""


def _check_dims(kind: str, n_obs: int, latent: int) -> None:
    for name, v in (("n_obs", n_obs), ("latent", latent)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{kind} observation model: {name} must be a positive integer, got {v!r}")


class Identity(AbstractObservationModel):
    """``x_hat = z[:N]``; teacher forcing acts on ``z[:N]`` only.

    Attributes:
        L: (M - N, N) map from the first observation to the unobserved initial states, or None if M == N.
    """

    L: Float[Array, "MminusN N"] | None
    n_obs: int = eqx.field(static=True)
    latent: int = eqx.field(static=True)

    def __init__(self, n_obs: int, latent: int, *, dtype=jnp.float32, key: PRNGKeyArray):
        _check_dims("identity", n_obs, latent)
        if latent < n_obs:
            raise ValueError(f"identity observation model needs latent >= n_obs, got latent={latent} < n_obs={n_obs}; "
                             "use the affine observation model for M < N")
        self.n_obs, self.latent = n_obs, latent
        if latent == n_obs:
            self.L = None
        else:
            bound = (6.0 / latent) ** 0.5  # Glorot uniform, fan_in + fan_out = (M - N) + N
            self.L = jax.random.uniform(key, (latent - n_obs, n_obs), dtype=dtype, minval=-bound, maxval=bound)

    def hyperparameters(self) -> dict[str, Any]:
        return {"kind": "identity", "n_obs": self.n_obs, "latent": self.latent}

    def __call__(self, z):
        return z[: self.n_obs]

    def init_state(self, x):
        return x if self.L is None else jnp.concatenate([x, self.L @ x])

    def forcing_signal(self, x):
        return jnp.concatenate([x, jnp.zeros((self.latent - self.n_obs,), x.dtype)])

    def forced_mask(self):
        return jnp.arange(self.latent) < self.n_obs


class Affine(AbstractObservationModel):
    """``x_hat = B z + c``; teacher forcing acts on all M states through ``pinv(B) (x - c)``.

    Attributes:
        B: (N, M) observation matrix.
        c: (N,) offset (zero and not trained unless ``use_bias``).
    """

    B: Float[Array, "N M"]
    c: Float[Array, " N"]
    n_obs: int = eqx.field(static=True)
    latent: int = eqx.field(static=True)
    use_bias: bool = eqx.field(static=True)

    def __init__(self, n_obs: int, latent: int, *, use_bias: bool = False, dtype=jnp.float32, key: PRNGKeyArray):
        _check_dims("affine", n_obs, latent)
        self.n_obs, self.latent, self.use_bias = n_obs, latent, bool(use_bias)
        self.B = jax.random.normal(key, (n_obs, latent), dtype=dtype) * (2.0 / latent) ** 0.5  # Kaiming normal
        self.c = jnp.zeros((n_obs,), dtype)

    def hyperparameters(self) -> dict[str, Any]:
        return {"kind": "affine", "n_obs": self.n_obs, "latent": self.latent, "use_bias": self.use_bias}

    def _offset(self):
        return self.c if self.use_bias else jax.lax.stop_gradient(self.c)

    def __call__(self, z):
        return self.B @ z + self._offset()

    def init_state(self, x):
        return jnp.linalg.pinv(self.B) @ (x - self._offset())

    def forcing_signal(self, x):
        return self.init_state(x)

    def forced_mask(self):
        return jnp.ones((self.latent,), bool)


def build_observation(kind: str, n_obs: int, latent: int, *, use_bias: bool = False, dtype=jnp.float32,
                      key: PRNGKeyArray) -> AbstractObservationModel:
    """The observation model ``kind`` ("identity" or "affine")."""
    if kind == "identity":
        return Identity(n_obs, latent, dtype=dtype, key=key)
    if kind == "affine":
        return Affine(n_obs, latent, use_bias=use_bias, dtype=dtype, key=key)
    raise ValueError(f"unknown observation model {kind!r}; known: identity, affine")
