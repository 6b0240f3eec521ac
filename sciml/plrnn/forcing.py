"""Teacher forcing schemes and the forced forward pass of a shPLRNN on one training sequence.

Given observations ``x_0 .. x_T`` of one sequence, the latent state starts at
``z_0 = init_state(x_0)`` and each step predicts ``z_t = F(z~_{t-1})``, then forces

    z~_t = (1 - alpha_t) z_t + alpha_t z_data_t        (on the forced latent states)

with ``z_data_t = forcing_signal(x_t)``. The loss compares ``obs(z_t)`` with ``x_t`` for
``t = 1..T`` (the predictions before forcing, as in DurstewitzLab/GTF-shPLRNN). The forcing
signals carry no gradient. A scheme only chooses the weights ``alpha_t``:

* :class:`BPTT`: ``alpha_t = 0`` (free run from ``z_0``, plain back-propagation through time);
* :class:`GTF`: a fixed ``alpha`` at every step (generalized teacher forcing, Doya 1992 / Hess et al. 2023);
* :class:`AdaptiveGTF`: the same with ``alpha`` re-estimated during training from the Jacobians
  (see :mod:`sciml.plrnn.alpha`);
* :class:`STF`: ``alpha_t = 1`` every ``interval`` steps (t = interval, 2 interval, ...), else 0
  (sparse teacher forcing, Mikhaeil et al. 2022).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .alpha import ESTIMATORS
from .model import ShallowPLRNN
from .observation import AbstractObservationModel, build_observation

__all__ = ["BPTT", "GTF", "STF", "AdaptiveGTF", "Forcing", "PLRNNModel", "forced_rollout", "forcing_from_dict",
           "sequence_loss"]


@dataclass(frozen=True)
class BPTT:
    """No forcing: ``alpha = 0``."""

    def alphas(self, n: int, alpha: Any) -> Float[Array, " n"]:
        return jnp.zeros((n,))


@dataclass(frozen=True)
class GTF:
    """Generalized teacher forcing with a fixed ``alpha`` in [0, 1]."""

    alpha: float = 0.1

    def __post_init__(self):
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"GTF alpha must lie in [0, 1], got {self.alpha!r}")

    def alphas(self, n: int, alpha: Any) -> Float[Array, " n"]:
        return jnp.full((n,), alpha)


@dataclass(frozen=True)
class AdaptiveGTF:
    """Adaptive GTF (aGTF): ``alpha`` starts at ``alpha0``; every ``every`` optimiser steps an estimate
    ``alpha_est = max(0, 1 - 1/G)`` is computed from the current batch (``G`` from ``estimator``, see
    :mod:`sciml.plrnn.alpha`) and ``alpha <- alpha_est`` if larger, else
    ``alpha <- decay alpha + (1 - decay) alpha_est``."""

    alpha0: float = 1.0
    estimator: str = "product_upper_bound"
    decay: float = 0.999
    every: int = 5

    def __post_init__(self):
        if not 0.0 <= self.alpha0 <= 1.0:
            raise ValueError(f"AdaptiveGTF alpha0 must lie in [0, 1], got {self.alpha0!r}")
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"AdaptiveGTF estimator {self.estimator!r} is unknown; known: {', '.join(ESTIMATORS)}")
        if not 0.0 <= self.decay < 1.0:
            raise ValueError(f"AdaptiveGTF decay must lie in [0, 1), got {self.decay!r}")
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"AdaptiveGTF every must be a positive integer, got {self.every!r}")

    def alphas(self, n: int, alpha: Any) -> Float[Array, " n"]:
        return jnp.full((n,), alpha)


@dataclass(frozen=True)
class STF:
    """Sparse teacher forcing: replace the forced latent states by the data every ``interval`` steps."""

    interval: int = 16

    def __post_init__(self):
        if isinstance(self.interval, bool) or not isinstance(self.interval, int) or self.interval < 1:
            raise ValueError(f"STF interval must be a positive integer, got {self.interval!r}")

    def alphas(self, n: int, alpha: Any) -> Float[Array, " n"]:
        t = jnp.arange(1, n + 1)
        return (t % self.interval == 0).astype(jnp.float32)


Forcing = BPTT | GTF | AdaptiveGTF | STF
_KINDS = {"bptt": BPTT, "gtf": GTF, "agtf": AdaptiveGTF, "stf": STF}


def forcing_to_dict(forcing: Forcing) -> dict[str, Any]:
    kind = next(k for k, c in _KINDS.items() if isinstance(forcing, c))
    return {"kind": kind, **dataclasses.asdict(forcing)}


def forcing_from_dict(d: dict[str, Any]) -> Forcing:
    """The scheme ``{"kind": "agtf" | "gtf" | "stf" | "bptt", **fields}``."""
    d = dict(d)
    kind = d.pop("kind", None)
    if kind not in _KINDS:
        raise ValueError(f"unknown forcing kind {kind!r}; known: {', '.join(_KINDS)}")
    return _KINDS[kind](**d)


class PLRNNModel(eqx.Module):
    """A latent shPLRNN and its observation model: what training fits and evaluation generates from."""

    dynamics: ShallowPLRNN
    observation: AbstractObservationModel

    @classmethod
    def build(cls, n_obs: int, latent: int, hidden: int, *, clipped: bool = True, observation: str = "identity",
              use_bias: bool = False, dtype=jnp.float32, key: PRNGKeyArray) -> PLRNNModel:
        """A freshly initialised model for ``n_obs`` observed dimensions."""
        k_dyn, k_obs = jax.random.split(key)
        obs = build_observation(observation, n_obs, latent, use_bias=use_bias, dtype=dtype, key=k_obs)
        return cls(ShallowPLRNN(latent, hidden, clipped=clipped, dtype=dtype, key=k_dyn), obs)

    def hyperparameters(self) -> dict[str, Any]:
        obs = self.observation.hyperparameters()
        return {**self.dynamics.hyperparameters(), "n_obs": obs["n_obs"], "observation": obs["kind"],
                "use_bias": obs.get("use_bias", False)}

    @classmethod
    def from_hyperparameters(cls, hp: dict[str, Any], *, key: PRNGKeyArray) -> PLRNNModel:
        return cls.build(hp["n_obs"], hp["latent"], hp["hidden"], clipped=hp["clipped"],
                         observation=hp["observation"], use_bias=hp["use_bias"], dtype=jnp.dtype(hp["dtype"]),
                         key=key)

    def generate(self, x0: Float[Array, " N"], n: int) -> tuple[Float[Array, "n M"], Float[Array, "n N"]]:
        """Free run of ``n`` states from the first observation ``x0``: latent (n, M) and observed (n, N)."""
        zs = self.dynamics.generate(self.observation.init_state(x0), n)
        return zs, jax.vmap(self.observation)(zs)


def forced_rollout(model: PLRNNModel, x: Float[Array, "T1 N"], alphas: Float[Array, " T"]) -> Float[Array, "T M"]:
    """The predictions ``z_1 .. z_T`` of one sequence ``x_0 .. x_T`` under forcing weights ``alphas``."""
    obs = model.observation
    z_data = jax.lax.stop_gradient(jax.vmap(obs.forcing_signal)(x[1:]))
    mask = obs.forced_mask()
    z0 = obs.init_state(x[0])

    def step(z, inputs):
        zd, a = inputs
        z_pred = model.dynamics(z)
        a = a.astype(z_pred.dtype)
        z_forced = jnp.where(mask, (1 - a) * z_pred + a * zd, z_pred)
        return z_forced, z_pred

    _, zs = jax.lax.scan(step, z0, (z_data, alphas), unroll=8)
    return zs


def sequence_loss(model: PLRNNModel, x: Float[Array, "B T1 N"], alphas: Float[Array, " T"]) -> Float[Array, ""]:
    """Mean squared error of the predicted observations ``obs(z_t)`` against ``x_t`` (t = 1..T), over a batch
    of sequences (data units squared)."""
    zs = jax.vmap(forced_rollout, in_axes=(None, 0, None))(model, x, alphas)
    pred = jax.vmap(jax.vmap(model.observation))(zs)
    return jnp.mean((pred - x[:, 1:]) ** 2)
