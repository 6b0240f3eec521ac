"""Train a closure by gradient descent: Optax Adam on the mean squared error of the standardised tendency.

Samples are coarse states ``x (n, K)`` and closure targets ``y (n, K)``. One epoch is a random permutation of
the samples and a ``lax.scan`` over its minibatches (the closure vmapped over each minibatch), followed by the
validation loss, all in one compiled function; Python only loops over epochs. The loss is
``mean((closure(x) - y)^2) / var(y_train)``, dimensionless (1 is the score of predicting the mean).
Normalisation constants inside the closure (every :class:`~sciml.closures.Affine`) are not trained.
Closures with ``fitted_by != "gradient"`` (null, poly) are returned unchanged with an empty history.

>>> model, history = train_closure(model, x_train, y_train, x_val, y_val, ClosureTrainConfig(epochs=50))
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from ._base import AbstractClosure, Affine

__all__ = ["ClosureTrainConfig", "ClosureTrainingDivergedError", "TrainHistory", "train_closure"]


@dataclasses.dataclass(frozen=True)
class ClosureTrainConfig:
    """Options of :func:`train_closure`.

    Attributes:
        epochs: passes over the training samples.
        batch_size: samples (whole rings) per Adam step.
        lr: peak learning rate.
        schedule: ``"cosine"`` (decay to ``final_fraction * lr``) or ``"constant"``.
        final_fraction: end of the cosine decay, as a fraction of ``lr``.
        seed: PRNG seed of the minibatch permutations (epoch ``e`` uses ``fold_in(PRNGKey(seed), e)``).
    """

    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    schedule: str = "cosine"
    final_fraction: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"ClosureTrainConfig.{name} must be a positive integer, got {v!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"ClosureTrainConfig.lr must be a positive number, got {self.lr!r}")
        if self.schedule not in ("cosine", "constant"):
            raise ValueError(f"ClosureTrainConfig.schedule must be 'cosine' or 'constant', got {self.schedule!r}")
        if not 0.0 <= self.final_fraction <= 1.0:
            raise ValueError(f"ClosureTrainConfig.final_fraction must be in [0, 1], got {self.final_fraction!r}")

    def optimizer(self, steps_per_epoch: int) -> optax.GradientTransformation:
        if self.schedule == "constant":
            return optax.adam(self.lr)
        return optax.adam(optax.cosine_decay_schedule(self.lr, self.epochs * steps_per_epoch, self.final_fraction))


@dataclasses.dataclass(frozen=True)
class TrainHistory:
    """Per-epoch losses (dimensionless, see the module doc) and wall seconds (compilation apart)."""

    train_loss: tuple[float, ...] = ()
    val_loss: tuple[float, ...] = ()
    seconds: tuple[float, ...] = ()
    compile_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


class ClosureTrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite; names the epoch. ``model`` is the last good one."""

    def __init__(self, message: str, model: Any, epoch: int):
        super().__init__(message)
        self.model, self.epoch = model, epoch


def _trainable(model: Any) -> Any:
    is_affine = lambda node: isinstance(node, Affine)  # noqa: E731
    return jax.tree.map(lambda node: False if is_affine(node) else eqx.is_inexact_array(node), model,
                        is_leaf=is_affine)


def _check(x: Array, y: Array, what: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"{what}: states and targets must both be (n_samples, K), got {x.shape} and {y.shape}")
    for arr, name in ((x, "states"), (y, "targets")):
        bad = ~np.isfinite(arr).all(axis=1)
        if bad.any():
            raise ValueError(f"{what} {name} hold NaN or infinity in sample {int(np.flatnonzero(bad)[0])} "
                             f"({int(bad.sum())} samples in all)")
    return x, y


def train_closure(
    model: AbstractClosure,
    x_train: Float[Array, "n K"],
    y_train: Float[Array, "n K"],
    x_val: Float[Array, "m K"],
    y_val: Float[Array, "m K"],
    cfg: ClosureTrainConfig,
    *,
    log_every: int = 0,
) -> tuple[AbstractClosure, TrainHistory]:
    """Fit ``model`` to ``y = model(x)`` per sample with Adam; returns the trained closure and its history.

    Raises:
        ValueError: bad shapes or non-finite data (naming the sample), or a batch larger than the training set.
        ClosureTrainingDivergedError: a non-finite loss (naming the epoch).
    """
    if model.fitted_by != "gradient":
        return model, TrainHistory()
    x_train, y_train = _check(x_train, y_train, "training set")
    x_val, y_val = _check(x_val, y_val, "validation set")
    model.check_size(x_train.shape[1])
    n = x_train.shape[0]
    steps = n // cfg.batch_size
    if steps == 0:
        raise ValueError(f"batch_size {cfg.batch_size} exceeds the {n} training samples")
    dtype = model.dtype
    var = float(np.var(y_train.astype(np.float64))) or 1.0
    xt, yt, xv, yv = (jnp.asarray(a, dtype) for a in (x_train, y_train, x_val, y_val))
    spec = _trainable(model)
    params, static = eqx.partition(model, spec)
    optimizer = cfg.optimizer(steps)
    opt_state = optimizer.init(params)

    def loss_fn(p, xb, yb):
        pred = jax.vmap(eqx.combine(p, static))(xb)
        return jnp.mean((pred - yb) ** 2) / var

    def epoch(p, state, key, xt, yt, xv, yv):
        order = jax.random.permutation(key, n)[: steps * cfg.batch_size].reshape(steps, cfg.batch_size)

        def step(carry, idx):
            p, state = carry
            value, grads = jax.value_and_grad(loss_fn)(p, xt[idx], yt[idx])
            updates, state = optimizer.update(grads, state, p)
            return (optax.apply_updates(p, updates), state), value

        (p, state), losses = jax.lax.scan(step, (p, state), order)
        val = jnp.mean(jax.lax.map(lambda s: loss_fn(p, s[0][None], s[1][None]), (xv, yv),
                                   batch_size=cfg.batch_size))
        return p, state, jnp.mean(losses), val

    key0 = jax.random.PRNGKey(cfg.seed)
    t0 = time.perf_counter()
    compiled = jax.jit(epoch).lower(params, opt_state, key0, xt, yt, xv, yv).compile()
    history = TrainHistory(compile_seconds=time.perf_counter() - t0)
    for e in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        new_params, new_state, train_loss, val_loss = compiled(params, opt_state, jax.random.fold_in(key0, e),
                                                               xt, yt, xv, yv)
        train_loss, val_loss = float(train_loss), float(val_loss)
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            raise ClosureTrainingDivergedError(
                f"closure training diverged in epoch {e}: non-finite loss; try a lower lr (now {cfg.lr})",
                eqx.combine(params, static), e - 1)
        params, opt_state = new_params, new_state
        history = dataclasses.replace(history, train_loss=history.train_loss + (train_loss,),
                                      val_loss=history.val_loss + (val_loss,),
                                      seconds=history.seconds + (time.perf_counter() - t0,))
        if log_every and e % log_every == 0:
            print(f"epoch {e}: train {train_loss:.4e} val {val_loss:.4e}", flush=True)
    return eqx.combine(params, static), history
