"""The generic trainer: any model, arrays in, Adam(W), one jitted function per epoch.

>>> cfg = TrainConfig(epochs=500, batch_size=20, lr=1e-3, weight_decay=1e-4, schedule=StepDecay(every=100))
>>> model, history = train(model, x_train, y_train, x_test, y_test, cfg, checkpoint_dir="runs/fno")

One epoch is a random permutation of the training samples and a ``lax.scan`` over its
minibatches, followed by the test loss, all inside one compiled function: no Python loop
over batches and no host round trip within an epoch. The function is compiled ahead of
time, so ``History.compile_seconds`` is apart from the per-epoch ``seconds``.

Samples are the leading axis of every array (``x`` may be a tuple of arrays, e.g.
``(u_sensors, coords)`` for a DeepONet: the default prediction is ``vmap(model)(*x)``).
Floating data is cast to the model's parameter dtype. Each epoch uses
``fold_in(PRNGKey(seed), epoch)`` for its permutation, so a run resumed from a checkpoint
is identical to an uninterrupted one. The last ``n_train % batch_size`` samples of each
permutation are left out of that epoch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import checkpoint as ckpt
from .losses import rel_l2, rel_l2_per_sample
from .normalize import UnitGaussian

__all__ = [
    "CHECKPOINT_NAME",
    "Constant",
    "Cosine",
    "History",
    "NonFiniteDataError",
    "Plateau",
    "StepDecay",
    "TrainConfig",
    "TrainingDivergedError",
    "lr_scale",
    "make_optimizer",
    "train",
]

log = logging.getLogger(__name__)
CHECKPOINT_NAME = "checkpoint.eqx"


@dataclasses.dataclass(frozen=True)
class StepDecay:
    """Multiply the learning rate by ``gamma`` every ``every`` epochs (the FNO papers: 0.5 every 100)."""

    every: int = 100
    gamma: float = 0.5

    def schedule(self, lr: float, steps_per_epoch: int, epochs: int) -> optax.Schedule:
        return optax.exponential_decay(lr, self.every * steps_per_epoch, self.gamma, staircase=True)


@dataclasses.dataclass(frozen=True)
class Cosine:
    """Cosine decay from ``lr`` to ``final_fraction * lr`` over all epochs."""

    final_fraction: float = 0.0

    def schedule(self, lr: float, steps_per_epoch: int, epochs: int) -> optax.Schedule:
        return optax.cosine_decay_schedule(lr, max(1, epochs * steps_per_epoch), self.final_fraction)


@dataclasses.dataclass(frozen=True)
class Constant:
    """A constant learning rate."""

    def schedule(self, lr: float, steps_per_epoch: int, epochs: int) -> optax.Schedule:
        return optax.constant_schedule(lr)


@dataclasses.dataclass(frozen=True)
class Plateau:
    """Multiply the learning rate by ``factor`` once the epoch's mean training loss has gone more
    than ``patience`` epochs without a relative improvement of ``rtol`` on its best: torch's
    ``ReduceLROnPlateau(mode="min", threshold_mode="rel")`` stepped once per epoch on the
    training loss, as the NUNO code trains its heat sink (torch's defaults, ``patience = epochs // 20``).

    Built on ``optax.contrib.reduce_on_plateau`` (its ``patience`` counts differently: ours + 1),
    which averages the minibatch losses of one epoch and scales the updates from the epoch's last
    step on (torch: from the next epoch's first step; one step of difference per reduction)."""

    patience: int = 10
    factor: float = 0.1
    rtol: float = 1e-4

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 0:
            raise ValueError(f"Plateau.patience must be an integer >= 0, got {self.patience!r}")
        if not 0 < self.factor < 1:
            raise ValueError(f"Plateau.factor must be in (0, 1), got {self.factor!r}")
        if not 0 < self.rtol <= 1:
            raise ValueError(f"Plateau.rtol must be in (0, 1], got {self.rtol!r}")

    def schedule(self, lr: float, steps_per_epoch: int, epochs: int) -> optax.Schedule:
        return optax.constant_schedule(lr)

    def scaler(self, steps_per_epoch: int) -> optax.GradientTransformationExtraArgs:
        """The update scaling; its ``update`` takes ``value=`` the minibatch loss."""
        return optax.contrib.reduce_on_plateau(self.factor, self.patience + 1, self.rtol, 0.0,
                                               accumulation_size=steps_per_epoch)


_SCHEDULES = {"step_decay": StepDecay, "cosine": Cosine, "constant": Constant, "plateau": Plateau}
_DECAYS = ("decoupled", "coupled")


def make_optimizer(cfg: TrainConfig, steps_per_epoch: int) -> optax.GradientTransformation:
    """Adam with ``cfg``'s schedule and weight decay (decoupled as AdamW, or coupled as torch Adam's L2)."""
    schedule = cfg.schedule.schedule(cfg.lr, steps_per_epoch, cfg.epochs)
    if cfg.weight_decay_mode == "decoupled":
        adam = optax.adamw(schedule, weight_decay=cfg.weight_decay)
    else:
        adam = optax.chain(optax.add_decayed_weights(cfg.weight_decay), optax.adam(schedule))
    if isinstance(cfg.schedule, Plateau):  # scales the whole step, AdamW's decay too (as torch's lr)
        return optax.chain(adam, cfg.schedule.scaler(steps_per_epoch))
    return adam


def lr_scale(opt_state: Any) -> float:
    """The factor a :class:`Plateau` schedule has reduced the learning rate by so far (1.0 for others)."""
    is_plateau = lambda node: isinstance(node, optax.contrib.ReduceLROnPlateauState)  # noqa: E731
    found = [s for s in jax.tree.leaves(opt_state, is_leaf=is_plateau) if is_plateau(s)]
    return float(found[0].scale) if found else 1.0


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Training options.

    Attributes:
        epochs: passes over the training set.
        batch_size: samples per optimiser step.
        lr: peak learning rate of Adam.
        weight_decay: the weight decay coefficient, applied as ``weight_decay_mode`` says.
        weight_decay_mode: ``"decoupled"``: AdamW's, ``p -= lr * weight_decay * p`` beside the Adam step;
            ``"coupled"``: torch ``Adam(weight_decay=...)``'s L2 term, ``weight_decay * p`` added to
            the gradient before Adam's moments (what the FNO and NUNO reference scripts train with).
        schedule: :class:`StepDecay`, :class:`Cosine`, :class:`Constant` or :class:`Plateau`.
        seed: PRNG seed of the minibatch permutations.
        log_every: log a line every this many epochs (0: never).
        checkpoint_every: with a checkpoint directory, write a checkpoint every this many epochs
            (and after the last).
    """

    epochs: int = 500
    batch_size: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-4
    weight_decay_mode: str = "decoupled"
    schedule: StepDecay | Cosine | Constant | Plateau = StepDecay()
    seed: int = 0
    log_every: int = 0
    checkpoint_every: int = 10

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "checkpoint_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive integer, got {v!r}")
        if self.log_every < 0:
            raise ValueError(f"TrainConfig.log_every must be >= 0, got {self.log_every!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"TrainConfig.lr must be a positive number, got {self.lr!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"TrainConfig.weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.weight_decay_mode not in _DECAYS:
            raise ValueError(f"TrainConfig.weight_decay_mode must be one of {', '.join(_DECAYS)}, "
                             f"got {self.weight_decay_mode!r}")
        if not isinstance(self.schedule, tuple(_SCHEDULES.values())):
            raise ValueError(f"TrainConfig.schedule must be one of {', '.join(c.__name__ for c in _SCHEDULES.values())}"
                             f", got {self.schedule!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the schedule as ``{"kind": ..., **fields}``."""
        out = dataclasses.asdict(self)
        kind = next(k for k, c in _SCHEDULES.items() if isinstance(self.schedule, c))
        out["schedule"] = {"kind": kind, **dataclasses.asdict(self.schedule)}
        return out


@dataclasses.dataclass(frozen=True)
class History:
    """Per-epoch record of a run (epochs count from 1).

    Attributes:
        epoch, train_loss, test_loss: the loss (dimensionless for ``rel_l2``) averaged over the epoch's
            minibatches, and over the test samples after the epoch.
        seconds: wall time of each epoch, compilation excluded (s).
        compile_seconds: ahead-of-time compilation of the epoch function in this call (s).
    """

    epoch: tuple[int, ...] = ()
    train_loss: tuple[float, ...] = ()
    test_loss: tuple[float, ...] = ()
    seconds: tuple[float, ...] = ()
    compile_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(*(tuple(d[k]) for k in ("epoch", "train_loss", "test_loss", "seconds")), d["compile_seconds"])

    def append(self, epoch: int, train_loss: float, test_loss: float, seconds: float) -> History:
        return dataclasses.replace(self, epoch=self.epoch + (epoch,), train_loss=self.train_loss + (train_loss,),
                                   test_loss=self.test_loss + (test_loss,), seconds=self.seconds + (seconds,))

    def to_dataset(self):
        """The history as an ``xr.Dataset`` over ``epoch``, with units and long names (the data contract)."""
        import xarray as xr

        coords = {"epoch": ("epoch", np.asarray(self.epoch, int), {"units": "1", "long_name": "epoch"})}
        data = {
            "train_loss": ("epoch", np.asarray(self.train_loss), {"units": "1", "long_name": "training loss"}),
            "test_loss": ("epoch", np.asarray(self.test_loss), {"units": "1", "long_name": "test loss"}),
            "seconds": ("epoch", np.asarray(self.seconds), {"units": "s", "long_name": "wall time per epoch"}),
        }
        return xr.Dataset(data, coords, attrs={"compile_seconds": self.compile_seconds})


class NonFiniteDataError(ValueError):
    """Training or test data hold NaN or infinity; the message names the array and the sample indices."""


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite. ``model`` is the model after the last good epoch, ``epoch`` that epoch;
    a checkpoint on disk is left at the last good one."""

    def __init__(self, message: str, model: Any, epoch: int):
        super().__init__(message)
        self.model, self.epoch = model, epoch


def _n_samples(tree: Any, what: str) -> int:
    sizes = {leaf.shape[0] if np.ndim(leaf) else None for leaf in jax.tree.leaves(tree)}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"{what}: every array needs the same leading (sample) axis, "
                         f"got sizes {sorted(map(str, sizes))}")
    return sizes.pop()


def _check_finite(tree: Any, what: str) -> None:
    for i, leaf in enumerate(jax.tree.leaves(tree)):
        arr = np.asarray(leaf)
        if not np.issubdtype(arr.dtype, np.inexact):
            continue
        ok = np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            part = f" (array {i} of the tuple)" if len(jax.tree.leaves(tree)) > 1 else ""
            raise NonFiniteDataError(
                f"{what}{part} has NaN or infinite values in sample {int(bad[0])}"
                + (f" and {len(bad) - 1} more (samples {bad[:10].tolist()}...)" if len(bad) > 1 else "")
            )


def _cast(tree: Any, dtype) -> Any:
    def cast(leaf):
        arr = jnp.asarray(leaf)
        return arr.astype(dtype) if jnp.issubdtype(arr.dtype, jnp.floating) else arr

    return jax.tree.map(cast, tree)


def _trainable(model: Any) -> Any:
    """Filter spec: inexact arrays, except inside normalisers (constants fitted on data)."""
    is_norm = lambda node: isinstance(node, UnitGaussian)  # noqa: E731
    return jax.tree.map(lambda node: False if is_norm(node) else eqx.is_inexact_array(node), model, is_leaf=is_norm)


def default_predict(model: Any, x: Any, key: jax.Array | None = None) -> Any:
    """``vmap(model)(*x)`` for a tuple ``x``, else ``vmap(model)(x)``: the model sees one sample.
    With ``key`` (training a model with dropout) each sample gets its own ``key=`` from it."""
    x = x if isinstance(x, tuple) else (x,)
    if key is None:
        return jax.vmap(model)(*x)
    keys = jax.random.split(key, jax.tree.leaves(x)[0].shape[0])
    return jax.vmap(lambda k, *xs: model(*xs, key=k))(keys, *x)


def _resume_mismatch(stored: dict[str, Any], cfg: TrainConfig) -> list[str]:
    """The settings of ``cfg`` that the checkpoint's stored config had otherwise. A setting added
    after the checkpoint was written counts at its default, which is what that run had in effect."""
    current = json.loads(json.dumps(cfg.to_dict()))
    stored = {**json.loads(json.dumps(TrainConfig().to_dict())), **stored}
    free = {"epochs", "log_every", "checkpoint_every"}
    if isinstance(cfg.schedule, Cosine):
        free.discard("epochs")  # the cosine schedule depends on the total
    return [k for k in current if k not in free and stored.get(k) != current[k]]


def train(
    model: Any,
    x_train: Any,
    y_train: Any,
    x_test: Any,
    y_test: Any,
    cfg: TrainConfig,
    *,
    mask: Any = None,
    test_mask: Any = None,
    loss: Callable[[Any, Any, Any], jax.Array] = rel_l2,
    predict: Callable[[Any, Any], Any] = default_predict,
    checkpoint_dir: str | Path | None = None,
    resume: bool = True,
    stochastic: bool = False,
) -> tuple[Any, History]:
    """Fit ``model`` to ``y = model(x)`` with AdamW; returns the trained model and its :class:`History`.

    Args:
        model: an ``eqx.Module``; its inexact arrays are trained (normalisers excepted).
        x_train, y_train: inputs and targets, samples on the leading axis (``x`` may be a tuple of arrays).
        x_test, y_test: evaluated after every epoch with ``rel_l2`` averaged over samples (the FNO metric).
        cfg: the :class:`TrainConfig`.
        mask, test_mask: optional 0/1 arrays broadcastable to the targets (padded points = 0).
        loss: ``loss(pred, target, mask) -> scalar`` on a batch (default: relative L2).
        predict: ``predict(model, x_batch) -> pred_batch`` (default: ``vmap(model)``).
        checkpoint_dir: where ``checkpoint.eqx`` is written every ``cfg.checkpoint_every`` epochs; with
            ``resume``, an existing checkpoint there is continued from.
        stochastic: the model has dropout: training predictions are made as ``predict(model, x, key=k)``
            with a fresh key every step (drawn from the epoch's key, so a resumed run repeats an
            uninterrupted one), test predictions without one (no dropout).

    Raises:
        NonFiniteDataError: NaN or infinity in the data (names the array and sample).
        TrainingDivergedError: the loss became non-finite (names the epoch and step); the checkpoint on disk
            stays at the last good epoch.
    """
    for tree, what in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test"),
                       (mask, "mask"), (test_mask, "test_mask")):
        if tree is not None:
            _check_finite(tree, what)
    n_train = _n_samples((x_train, y_train), "x_train, y_train")
    n_test = _n_samples((x_test, y_test), "x_test, y_test")
    if mask is not None and _n_samples(mask, "mask") != n_train:
        raise ValueError(f"mask has {_n_samples(mask, 'mask')} samples, the training set {n_train}")
    if test_mask is not None and _n_samples(test_mask, "test_mask") != n_test:
        raise ValueError(f"test_mask has {_n_samples(test_mask, 'test_mask')} samples, the test set {n_test}")
    steps = n_train // cfg.batch_size
    if steps == 0:
        raise ValueError(f"batch_size {cfg.batch_size} exceeds the {n_train} training samples")

    spec = _trainable(model)
    float_leaves = [leaf for leaf in jax.tree.leaves(eqx.filter(model, spec))]
    if not float_leaves:
        raise ValueError(f"model {type(model).__name__} has no trainable floating-point arrays")
    dtype = float_leaves[0].dtype
    data = _cast((x_train, y_train, mask, x_test, y_test, test_mask), dtype)

    optimizer = make_optimizer(cfg, steps)
    params, frozen = eqx.partition(model, spec)
    frozen_arrays, static = eqx.partition(frozen, eqx.is_array)
    opt_state = optimizer.init(params)
    history, start = History(), 0

    path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME
    if path is not None and resume and path.is_file():
        header = ckpt.read_header(path)
        stored_cfg = header["meta"].get("config", {})
        if bad := _resume_mismatch(stored_cfg, cfg):
            raise ValueError(f"cannot resume from {path}: TrainConfig differs in {', '.join(bad)} "
                             f"(stored {[stored_cfg.get(k) for k in bad]}); use resume=False or another directory")
        loaded = ckpt.load(path, like=model, opt_state_like=opt_state)
        params, frozen = eqx.partition(loaded.model, spec)
        frozen_arrays = eqx.filter(frozen, eqx.is_array)
        opt_state, start = loaded.opt_state, loaded.epoch
        history = History.from_dict(header["meta"]["history"])
        log.info("resumed from %s at epoch %d", path, start)

    def combine(p, fa):
        return eqx.combine(p, fa, static)

    def batch_loss(p, fa, xb, yb, mb, kb):
        pred = predict(combine(p, fa), xb, key=kb) if stochastic else predict(combine(p, fa), xb)
        return loss(pred, yb, mb)

    def per_sample_test(p, fa, sample):
        x, y, m = jax.tree.map(lambda a: a[None], sample)
        return rel_l2_per_sample(predict(combine(p, fa), x), y, m)[0]

    def epoch_fn(p, state, fa, key, x_tr, y_tr, m_tr, x_te, y_te, m_te):
        order = jax.random.permutation(key, n_train)[: steps * cfg.batch_size].reshape(steps, cfg.batch_size)
        # dropout keys apart from the permutation's, which stays what it is without dropout
        step_keys = jax.random.split(jax.random.fold_in(key, 1), steps)

        def step(carry, idx_key):
            p, state = carry
            idx, kb = idx_key
            xb, yb, mb = jax.tree.map(lambda a: a[idx], (x_tr, y_tr, m_tr))
            value, grads = jax.value_and_grad(batch_loss)(p, fa, xb, yb, mb, kb)
            updates, state = optimizer.update(grads, state, p, value=value)  # value: Plateau's
            return (optax.apply_updates(p, updates), state), value

        (p, state), losses = jax.lax.scan(step, (p, state), (order, step_keys))
        test = jax.lax.map(lambda s: per_sample_test(p, fa, s), (x_te, y_te, m_te), batch_size=cfg.batch_size)
        return p, state, losses, jnp.mean(test)

    key0 = jax.random.PRNGKey(cfg.seed)
    args = (params, opt_state, frozen_arrays, key0, *data[:3], *data[3:])
    t0 = time.perf_counter()
    compiled = jax.jit(epoch_fn).lower(*args).compile()
    history = dataclasses.replace(history, compile_seconds=time.perf_counter() - t0)

    def save(epoch):
        meta = {"config": cfg.to_dict(), "history": history.to_dict()}
        ckpt.save(path, combine(params, frozen_arrays), opt_state=opt_state, epoch=epoch, meta=meta)

    last_saved = start if path is not None and path.is_file() else None
    scale_before = lr_scale(opt_state)
    for epoch in range(start + 1, cfg.epochs + 1):
        t0 = time.perf_counter()
        new_params, new_state, losses, test = compiled(
            params, opt_state, frozen_arrays, jax.random.fold_in(key0, epoch), *data[:3], *data[3:]
        )
        losses, test = np.asarray(losses), float(test)
        seconds = time.perf_counter() - t0
        if not (np.all(np.isfinite(losses)) and math.isfinite(test)):
            bad = np.flatnonzero(~np.isfinite(losses))
            where = f"first at step {int(bad[0])} of {steps}" if bad.size else "in the test loss"
            kept = (f"the checkpoint at epoch {last_saved} is kept at {path}" if last_saved is not None
                    else "no checkpoint was written")
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch}: non-finite loss ({where}); {kept}. "
                f"Try a lower lr (now {cfg.lr}) or normalising the data.",
                combine(params, frozen_arrays), epoch - 1,
            )
        params, opt_state = new_params, new_state
        history = history.append(epoch, float(losses.mean()), test, seconds)
        if isinstance(cfg.schedule, Plateau) and (scale := lr_scale(opt_state)) != scale_before:
            log.info("epoch %d: training loss on a plateau, lr now %.3g", epoch, cfg.lr * scale)
            scale_before = scale
        if cfg.log_every and epoch % cfg.log_every == 0:
            log.info("epoch %d: train %.4e test %.4e (%.2f s)", epoch, history.train_loss[-1], test, seconds)
        if path is not None and (epoch % cfg.checkpoint_every == 0 or epoch == cfg.epochs):
            save(epoch)
            last_saved = epoch
    return combine(params, frozen_arrays), history
