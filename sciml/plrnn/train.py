"""Training a shPLRNN on one observed time series: random sequences, teacher forcing, RAdam.

>>> cfg = FitConfig(forcing=AdaptiveGTF(), epochs=5000)
>>> model, history = fit(series, cfg, jax.random.key(0), checkpoint_dir="runs/dsr/seed0")

Each optimiser step samples ``batch_size`` windows of ``seq_len + 1`` consecutive points (start
indices uniform, with replacement) from the series (T, N), optionally adds Gaussian noise of
``noise`` (data units) to them, updates ``alpha`` (adaptive GTF), and takes one RAdam step on
the MSE of the forced predictions (see :mod:`sciml.plrnn.forcing`) plus the reference's L2
regularisation ``latent_reg (||1 - A||^2 + ||W1||^2 + ||W2||^2 + ||h1||^2 + ||h2||^2)``.
The learning rate decays exponentially, once per epoch, from ``lr`` to ``lr_end`` over
``epochs`` epochs of ``batches_per_epoch`` steps. Defaults are DurstewitzLab/GTF-shPLRNN's
for Lorenz-63 (settings/defaults.json): clipped shPLRNN, M = 3, L = 100, identity observation
model, batch 16, sequences of 200 steps, 5000 x 50 steps, lr 1e-3 -> 1e-6, aGTF with
``alpha0 = 1``, product upper bound, decay 0.999 every 5 steps, no gradient clipping.

One epoch (``batches_per_epoch`` steps) is a single jitted ``lax.scan``; the step keys are
``fold_in(key, step)``, so a run resumed from a checkpoint equals an uninterrupted one. After
each epoch the losses and parameters are checked: a non-finite value raises
:class:`TrainingDivergedError` carrying the model of the last good epoch.
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
from jaxtyping import Array, Float, PRNGKeyArray

from sciml.operators import checkpoint as ckpt

from .alpha import estimate_alpha, update_alpha
from .forcing import AdaptiveGTF, Forcing, PLRNNModel, forcing_from_dict, forcing_to_dict, sequence_loss

__all__ = ["CHECKPOINT_NAME", "FitConfig", "History", "NonFiniteDataError", "SeriesTooShortError",
           "TrainingDivergedError", "fit", "fit_ensemble", "init_model", "load"]

log = logging.getLogger(__name__)
CHECKPOINT_NAME = "checkpoint.eqx"
_FORCING_TYPES = Forcing.__args__


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Model and training options (defaults: the reference's Lorenz-63 settings).

    Attributes:
        latent: ``M``, latent states. hidden: ``L``, hidden units. clipped: the clipped shPLRNN.
        observation: "identity" (first N latent states observed, M >= N) or "affine" (``B z + c``).
        use_bias: train the offset ``c`` of the affine observation model.
        forcing: :class:`AdaptiveGTF`, :class:`GTF`, :class:`STF` or :class:`BPTT`.
        seq_len: predicted steps per training sequence (a window holds ``seq_len + 1`` points).
        batch_size: sequences per optimiser step.
        epochs, batches_per_epoch: training length is ``epochs * batches_per_epoch`` steps.
        lr, lr_end: RAdam learning rate at the start and (exponential decay) at the end.
        grad_clip: clip the global gradient norm to this (0: no clipping, the reference's default).
        latent_reg: L2 regularisation of the latent model (see the module docstring).
        obs_reg: L2 regularisation of the observation model's trained matrix (``L`` or ``B``).
        noise: standard deviation of Gaussian noise added to each training batch (data units).
        checkpoint_every: with a checkpoint directory, write every this many epochs and after the last.
        log_every: log a line every this many epochs (0: never).
    """

    latent: int = 3
    hidden: int = 100
    clipped: bool = True
    observation: str = "identity"
    use_bias: bool = False
    forcing: Forcing = AdaptiveGTF()
    seq_len: int = 200
    batch_size: int = 16
    epochs: int = 5000
    batches_per_epoch: int = 50
    lr: float = 1e-3
    lr_end: float = 1e-6
    grad_clip: float = 0.0
    latent_reg: float = 1e-5
    obs_reg: float = 0.0
    noise: float = 0.0
    checkpoint_every: int = 25
    log_every: int = 0

    def __post_init__(self) -> None:
        for name in ("latent", "hidden", "seq_len", "batch_size", "epochs", "batches_per_epoch", "checkpoint_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"FitConfig.{name} must be a positive integer, got {v!r}")
        if self.observation not in ("identity", "affine"):
            raise ValueError(f"FitConfig.observation must be 'identity' or 'affine', got {self.observation!r}")
        if not isinstance(self.forcing, _FORCING_TYPES):
            raise ValueError(f"FitConfig.forcing must be one of AdaptiveGTF, GTF, STF, BPTT, got {self.forcing!r}")
        for name in ("lr", "lr_end"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
                raise ValueError(f"FitConfig.{name} must be a positive number, got {v!r}")
        if self.lr_end > self.lr:
            raise ValueError(f"FitConfig.lr_end ({self.lr_end}) must not exceed lr ({self.lr})")
        for name in ("grad_clip", "latent_reg", "obs_reg", "noise"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
                raise ValueError(f"FitConfig.{name} must be a number >= 0, got {v!r}")
        if isinstance(self.log_every, bool) or not isinstance(self.log_every, int) or self.log_every < 0:
            raise ValueError(f"FitConfig.log_every must be an integer >= 0, got {self.log_every!r}")

    @property
    def steps(self) -> int:
        return self.epochs * self.batches_per_epoch

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the forcing as ``{"kind": ..., **fields}``."""
        return {**dataclasses.asdict(self), "forcing": forcing_to_dict(self.forcing)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FitConfig:
        return cls(**{**d, "forcing": forcing_from_dict(d["forcing"])})


@dataclasses.dataclass(frozen=True)
class History:
    """Per-epoch record of a run (epochs count from 1).

    Attributes:
        epoch: epoch number.
        loss: mean training loss over the epoch's steps: MSE of the forced predictions (data units squared) plus
            the regularisation.
        alpha: the forcing strength at the end of the epoch (GTF/aGTF; 0 for BPTT and STF).
        grad_norm: largest global gradient norm in the epoch (before clipping).
        seconds: wall time of the epoch, compilation excluded (s).
        compile_seconds: ahead-of-time compilation of the epoch function in this call (s).
        steps_per_epoch: optimiser steps per epoch.
    """

    epoch: tuple[int, ...] = ()
    loss: tuple[float, ...] = ()
    alpha: tuple[float, ...] = ()
    grad_norm: tuple[float, ...] = ()
    seconds: tuple[float, ...] = ()
    compile_seconds: float = 0.0
    steps_per_epoch: int = 1

    @property
    def steps_per_second(self) -> float:
        """Optimiser steps per second of wall time, compilation excluded (nan before any epoch)."""
        total = sum(self.seconds)
        return len(self.seconds) * self.steps_per_epoch / total if total > 0 else float("nan")

    def append(self, epoch: int, loss: float, alpha: float, grad_norm: float, seconds: float) -> History:
        return dataclasses.replace(self, epoch=self.epoch + (epoch,), loss=self.loss + (loss,),
                                   alpha=self.alpha + (alpha,), grad_norm=self.grad_norm + (grad_norm,),
                                   seconds=self.seconds + (seconds,))

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def to_dataset(self):
        """The history as an ``xr.Dataset`` over ``epoch`` with units and long names (the data contract)."""
        import xarray as xr

        coords = {"epoch": ("epoch", np.asarray(self.epoch, int), {"units": "1", "long_name": "epoch"})}
        data = {
            "loss": ("epoch", np.asarray(self.loss, float),
                     {"units": "1", "long_name": "training MSE of forced predictions (standardised data)"}),
            "alpha": ("epoch", np.asarray(self.alpha, float), {"units": "1", "long_name": "GTF forcing strength"}),
            "grad_norm": ("epoch", np.asarray(self.grad_norm, float),
                          {"units": "1", "long_name": "largest gradient norm in the epoch"}),
            "seconds": ("epoch", np.asarray(self.seconds, float), {"units": "s", "long_name": "wall time per epoch"}),
        }
        return xr.Dataset(data, coords, attrs={"compile_seconds": self.compile_seconds,
                                               "steps_per_epoch": self.steps_per_epoch,
                                               "steps_per_second": self.steps_per_second})


class NonFiniteDataError(ValueError):
    """The series holds NaN or infinity; the message names the first bad time index."""


class SeriesTooShortError(ValueError):
    """The series has fewer points than one training sequence needs."""


class TrainingDivergedError(RuntimeError):
    """The loss, a gradient or a parameter became non-finite. ``model`` is the model after the last good epoch,
    ``epoch`` that epoch, ``step`` the first bad optimiser step (global, from 0) when known."""

    def __init__(self, message: str, model: PLRNNModel, epoch: int, step: int | None):
        super().__init__(message)
        self.model, self.epoch, self.step = model, epoch, step


def check_series(data: Any, seq_len: int) -> np.ndarray:
    """``data`` as a float32 (T, N) array; one-line errors for a wrong rank, non-finite values or too few points."""
    x = np.asarray(data)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"the series must have shape (T, N), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"the series must be numeric, got dtype {x.dtype}")
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise NonFiniteDataError(f"the series has NaN or infinite values at time index {int(np.flatnonzero(bad)[0])}"
                                 f" ({int(bad.sum())} bad time points in all)")
    if x.shape[0] < seq_len + 1:
        raise SeriesTooShortError(f"the series has {x.shape[0]} time points, too few for sequences of seq_len="
                                  f"{seq_len} (needs at least {seq_len + 1}); lower seq_len or use a longer series")
    return x.astype(np.float32)


def _regularisation(model: PLRNNModel, cfg: FitConfig) -> Float[Array, ""]:
    out = jnp.zeros((), model.dynamics.A.dtype)
    if cfg.latent_reg > 0:
        d = model.dynamics
        out = out + cfg.latent_reg * (jnp.sum((1 - d.A) ** 2) + jnp.sum(d.W1**2) + jnp.sum(d.W2**2)
                                      + jnp.sum(d.h1**2) + jnp.sum(d.h2**2))
    if cfg.obs_reg > 0:
        obs = model.observation
        mat = getattr(obs, "L", None) if cfg.observation == "identity" else obs.B
        if mat is not None:
            out = out + cfg.obs_reg * jnp.sum(mat**2)
    return out


def _optimizer(cfg: FitConfig) -> optax.GradientTransformation:
    rate = (cfg.lr_end / cfg.lr) ** (1.0 / cfg.epochs)
    schedule = optax.exponential_decay(cfg.lr, cfg.batches_per_epoch, rate, staircase=True, end_value=cfg.lr_end)
    parts = [optax.clip_by_global_norm(cfg.grad_clip)] if cfg.grad_clip > 0 else []
    return optax.chain(*parts, optax.radam(schedule))


def _key_data(key: PRNGKeyArray) -> list[int]:
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.asarray(key).ravel().tolist()


def make_epoch_fn(cfg: FitConfig, static: Any, n_points: int) -> Callable:
    """``epoch_fn(params, opt_state, alpha, key, epoch_index, series) -> (params, opt_state, alpha, losses,
    alphas, grad_norms)``: one epoch of ``cfg.batches_per_epoch`` optimiser steps as a ``lax.scan``."""
    optimizer = _optimizer(cfg)
    forcing = cfg.forcing
    n_windows = n_points - cfg.seq_len  # start indices 0 .. T - seq_len - 1

    def total_loss(params, x, alphas):
        model = eqx.combine(params, static)
        return sequence_loss(model, x, alphas) + _regularisation(model, cfg), None

    def step(carry, i, key, series):
        params, opt_state, alpha = carry
        k_start, k_noise = jax.random.split(jax.random.fold_in(key, i))
        starts = jax.random.randint(k_start, (cfg.batch_size,), 0, n_windows)
        x = jax.vmap(lambda s: jax.lax.dynamic_slice_in_dim(series, s, cfg.seq_len + 1, axis=0))(starts)
        if cfg.noise > 0:
            x = x + cfg.noise * jax.random.normal(k_noise, x.shape, x.dtype)
        if isinstance(forcing, AdaptiveGTF):
            def estimate(a):
                model = eqx.combine(params, static)
                z_data = jax.vmap(jax.vmap(model.observation.forcing_signal))(x[:, 1:])
                est = estimate_alpha(model.dynamics, z_data, forcing.estimator).astype(a.dtype)
                return update_alpha(a, est, forcing.decay).astype(a.dtype)

            alpha = jax.lax.cond((i + 1) % forcing.every == 0, estimate, lambda a: a, alpha)
        alphas = forcing.alphas(cfg.seq_len, alpha)
        (loss, _), grads = jax.value_and_grad(total_loss, has_aux=True)(params, x, alphas)
        gnorm = optax.tree.norm(grads)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return (params, opt_state, alpha), (loss, alpha, gnorm)

    def epoch_fn(params, opt_state, alpha, key, epoch_index, series):
        idx = epoch_index * cfg.batches_per_epoch + jnp.arange(cfg.batches_per_epoch)
        (params, opt_state, alpha), (losses, alphas, gnorms) = jax.lax.scan(
            lambda c, i: step(c, i, key, series), (params, opt_state, alpha), idx)
        return params, opt_state, alpha, losses, alphas, gnorms

    return epoch_fn


def init_model(cfg: FitConfig, n_obs: int, key: PRNGKeyArray) -> PLRNNModel:
    """The untrained model of ``cfg`` for ``n_obs`` observed dimensions (float32); :func:`fit` starts from
    ``init_model(cfg, n_obs, jax.random.split(key)[0])``."""
    return PLRNNModel.build(n_obs, cfg.latent, cfg.hidden, clipped=cfg.clipped, observation=cfg.observation,
                            use_bias=cfg.use_bias, dtype=jnp.float32, key=key)


def _all_finite(tree: Any) -> bool:
    return all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(eqx.filter(tree, eqx.is_inexact_array)))


def fit(
    data: Float[Array, "T N"] | np.ndarray,
    cfg: FitConfig,
    key: PRNGKeyArray,
    *,
    checkpoint_dir: str | Path | None = None,
    resume: bool = True,
    log_fn: Callable[[str], None] | None = None,
    callback: Callable[[int, PLRNNModel, History], None] | None = None,
) -> tuple[PLRNNModel, History]:
    """Fit a shPLRNN to the series ``data`` (T, N), e.g. standardised observations; returns the model and its
    :class:`History`.

    Args:
        data: one observed trajectory, time on the first axis (cast to float32).
        cfg: the :class:`FitConfig`.
        key: PRNG key; split into the initialisation key and the key of the batches.
        checkpoint_dir: ``checkpoint.eqx`` is written there every ``cfg.checkpoint_every`` epochs; with
            ``resume``, an existing checkpoint of the same config and key is continued from.
        log_fn: called with a progress line every ``cfg.log_every`` epochs (default: the module logger).
        callback: called as ``callback(epoch, model, history)`` every ``cfg.log_every`` epochs (e.g. to evaluate).

    Raises:
        ValueError (NonFiniteDataError, SeriesTooShortError): bad data, before anything compiles.
        TrainingDivergedError: a non-finite loss, gradient or parameter; carries the last good model, and
            the checkpoint on disk stays at the last good epoch.
    """
    series = jnp.asarray(check_series(data, cfg.seq_len))
    n_points, n_obs = series.shape
    if cfg.observation == "identity" and cfg.latent < n_obs:
        raise ValueError(f"identity observation model needs latent >= {n_obs} (the observed dimensions), got "
                         f"latent={cfg.latent}; raise latent or use observation='affine'")
    k_init, k_data = jax.random.split(key)
    model = init_model(cfg, n_obs, k_init)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    opt_state = _optimizer(cfg).init(params)
    alpha0 = cfg.forcing.alpha0 if isinstance(cfg.forcing, AdaptiveGTF) else getattr(cfg.forcing, "alpha", 0.0)
    alpha = jnp.asarray(alpha0, jnp.float32)
    history, start = History(steps_per_epoch=cfg.batches_per_epoch), 0
    emit = log_fn or log.info

    path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME
    if path is not None and resume and path.is_file():
        header = ckpt.read_header(path)
        meta = header["meta"]
        stored, current = meta.get("config", {}), json.loads(json.dumps(cfg.to_dict()))
        bad = [k for k in current if k not in ("checkpoint_every", "log_every") and stored.get(k) != current[k]]
        if bad or meta.get("key") != _key_data(key) or meta.get("n_points") != n_points:
            what = ", ".join(bad) if bad else ("the PRNG key" if meta.get("key") != _key_data(key) else "the data")
            raise ValueError(f"cannot resume from {path}: it was trained with another {what}; "
                             "use resume=False or another directory")
        loaded = ckpt.load(path, like=model, opt_state_like=opt_state)
        params = eqx.filter(loaded.model, eqx.is_inexact_array)
        opt_state, start, alpha = loaded.opt_state, loaded.epoch, jnp.asarray(meta["alpha"], jnp.float32)
        history = History.from_dict(meta["history"])
        log.info("resumed from %s at epoch %d", path, start)

    epoch_fn = make_epoch_fn(cfg, static, n_points)
    t0 = time.perf_counter()
    compiled = jax.jit(epoch_fn).lower(params, opt_state, alpha, k_data, jnp.asarray(0, jnp.int32), series).compile()
    history = dataclasses.replace(history, compile_seconds=time.perf_counter() - t0)

    def save(epoch):
        meta = {"config": cfg.to_dict(), "key": _key_data(key), "n_points": n_points, "alpha": float(alpha),
                "history": history.to_dict(), "model": model.hyperparameters()}
        ckpt.save(path, eqx.combine(params, static), opt_state=opt_state, epoch=epoch, meta=meta)

    last_saved = start if path is not None and path.is_file() else None
    for epoch in range(start + 1, cfg.epochs + 1):
        t0 = time.perf_counter()
        out = compiled(params, opt_state, alpha, k_data, jnp.asarray(epoch - 1, jnp.int32), series)
        new_params, new_state, new_alpha, losses, alphas, gnorms = out
        losses, gnorms = np.asarray(losses), np.asarray(gnorms)
        seconds = time.perf_counter() - t0
        finite = np.isfinite(losses) & np.isfinite(gnorms)
        if not (finite.all() and _all_finite(new_params) and math.isfinite(float(new_alpha))):
            bad = np.flatnonzero(~finite)
            k = int(bad[0]) if bad.size else cfg.batches_per_epoch - 1
            step = (epoch - 1) * cfg.batches_per_epoch + k
            what = "loss/gradient" if bad.size else "parameters"
            kept = (f"the checkpoint of epoch {last_saved} is kept at {path}" if last_saved is not None
                    else "no checkpoint was written")
            largest = float(np.nanmax(np.where(np.isfinite(gnorms), gnorms, np.nan), initial=0.0))
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch} (step {step}): non-finite {what}, largest finite gradient norm "
                f"{largest:.3g}; returning the model of epoch {epoch - 1}; {kept}. Try GTF/aGTF, a lower lr "
                f"(now {cfg.lr}) or grad_clip > 0.",
                eqx.combine(params, static), epoch - 1, step)
        params, opt_state, alpha = new_params, new_state, new_alpha
        history = history.append(epoch, float(losses.mean()), float(alpha), float(gnorms.max()), seconds)
        if path is not None and (epoch % cfg.checkpoint_every == 0 or epoch == cfg.epochs):
            save(epoch)
            last_saved = epoch
        if cfg.log_every and epoch % cfg.log_every == 0:
            emit(f"epoch {epoch}/{cfg.epochs}: loss {history.loss[-1]:.4e} alpha {float(alpha):.3f} "
                 f"|grad| {history.grad_norm[-1]:.3g} ({history.steps_per_second:.0f} steps/s)")
            if callback is not None:
                callback(epoch, eqx.combine(params, static), history)
    return eqx.combine(params, static), history


def load(path: str | Path) -> tuple[PLRNNModel, dict[str, Any]]:
    """A model saved by :func:`fit` (rebuilt from the stored hyperparameters) and the checkpoint's metadata
    (``config``, ``history``, ``alpha``, ...)."""
    header = ckpt.read_header(path)
    hp = header["meta"].get("model")
    if hp is None:
        raise ckpt.CheckpointError(f"{path} was not written by sciml.plrnn.fit (no model hyperparameters)")
    like = eqx.filter_eval_shape(lambda: PLRNNModel.from_hyperparameters(hp, key=jax.random.key(0)))
    return ckpt.load(path, like=like).model, header["meta"]


def fit_ensemble(
    data: Float[Array, "T N"] | np.ndarray,
    cfg: FitConfig,
    keys: PRNGKeyArray,
    *,
    log_fn: Callable[[str], None] | None = None,
) -> tuple[list[PLRNNModel | None], dict[str, Any]]:
    """Fit one shPLRNN per key in one vmapped run: the seeds (or, with one series per key, the
    systems) train side by side in each scan step.

    Seed ``s`` follows exactly the run ``fit(data, cfg, keys[s])`` would make (same initialisation,
    batches and updates), up to floating-point reassociation. No checkpoints: for long runs use
    :func:`fit` per seed. A seed whose loss, gradient or parameters become non-finite is frozen at
    its last good epoch and reported, the others go on.

    Args:
        data: the series (T, N), as for :func:`fit`, shared by every seed; or one series per key (S, T, N).
        keys: PRNG keys, shape (S,).

    Returns:
        ``(models, info)``: ``models[s]`` the fitted model of seed s (None if it diverged before the
        first epoch ended); ``info`` with ``loss`` (S, epochs) mean loss per epoch, ``alpha`` (S,),
        ``diverged_epoch`` (list, None where finite), ``steps_per_second`` (optimiser steps of all
        seeds together per second, compilation excluded) and ``compile_seconds``.
    """
    data = np.asarray(data)
    per_member = data.ndim == 3
    series = jnp.asarray(np.stack([check_series(d, cfg.seq_len) for d in data]) if per_member
                         else check_series(data, cfg.seq_len))
    n_points, n_obs = series.shape[-2:]
    if cfg.observation == "identity" and cfg.latent < n_obs:
        raise ValueError(f"identity observation model needs latent >= {n_obs} (the observed dimensions), got "
                         f"latent={cfg.latent}; raise latent or use observation='affine'")
    keys = jnp.asarray(keys)
    if per_member and series.shape[0] != keys.shape[0]:
        raise ValueError(f"data holds {series.shape[0]} series but {keys.shape[0]} keys were given; one key per series")
    if keys.ndim != 1 or keys.shape[0] < 1:
        raise ValueError(f"keys must be a 1-D array of PRNG keys (one per seed), got shape {keys.shape}")
    n_seeds = keys.shape[0]
    split = jax.vmap(jax.random.split)(keys)
    k_init, k_data = split[:, 0], split[:, 1]
    models = [init_model(cfg, n_obs, k) for k in k_init]
    params = jax.tree.map(lambda *xs: jnp.stack(xs), *[eqx.filter(m, eqx.is_inexact_array) for m in models])
    static = eqx.partition(models[0], eqx.is_inexact_array)[1]
    opt_state = jax.vmap(_optimizer(cfg).init)(params)
    alpha0 = cfg.forcing.alpha0 if isinstance(cfg.forcing, AdaptiveGTF) else getattr(cfg.forcing, "alpha", 0.0)
    alpha = jnp.full((n_seeds,), alpha0, jnp.float32)
    epoch_fn = jax.vmap(make_epoch_fn(cfg, static, n_points), in_axes=(0, 0, 0, 0, None, 0 if per_member else None))
    t0 = time.perf_counter()
    compiled = jax.jit(epoch_fn).lower(params, opt_state, alpha, k_data, jnp.asarray(0, jnp.int32), series).compile()
    compile_seconds = time.perf_counter() - t0
    emit = log_fn or log.info
    alive = np.ones(n_seeds, bool)
    diverged: list[int | None] = [None] * n_seeds
    losses_all, seconds = np.full((n_seeds, cfg.epochs), np.nan), 0.0

    def finite_rows(tree):
        leaves = jax.tree.leaves(eqx.filter(tree, eqx.is_inexact_array))
        return np.all(np.stack([np.asarray(jnp.all(jnp.isfinite(x.reshape(n_seeds, -1)), axis=1)) for x in leaves]), 0)

    for epoch in range(1, cfg.epochs + 1):
        start = time.perf_counter()
        new_params, new_state, new_alpha, losses, _, gnorms = compiled(
            params, opt_state, alpha, k_data, jnp.asarray(epoch - 1, jnp.int32), series)
        losses, gnorms = np.asarray(losses), np.asarray(gnorms)
        seconds += time.perf_counter() - start
        ok = (np.all(np.isfinite(losses), 1) & np.all(np.isfinite(gnorms), 1) & finite_rows(new_params)
              & np.isfinite(np.asarray(new_alpha)))
        for s in np.flatnonzero(alive & ~ok):
            diverged[s] = epoch
            emit(f"seed {s} diverged in epoch {epoch}; kept at epoch {epoch - 1}")
        keep = alive & ok
        alive = keep

        def take(new, old):
            mask = jnp.asarray(keep).reshape((n_seeds,) + (1,) * (new.ndim - 1))
            return jnp.where(mask, new, old)

        params = jax.tree.map(take, new_params, params)
        opt_state = jax.tree.map(lambda n, o: take(n, o) if eqx.is_array(n) and n.ndim >= 1 else n, new_state, opt_state)
        alpha = take(new_alpha, alpha)
        losses_all[keep, epoch - 1] = losses[keep].mean(1)
        if cfg.log_every and epoch % cfg.log_every == 0:
            emit(f"epoch {epoch}/{cfg.epochs}: loss per seed {np.array2string(losses_all[:, epoch - 1], precision=4)} "
                 f"({epoch * cfg.batches_per_epoch * n_seeds / seconds:.0f} seed-steps/s)")
        if not alive.any():
            break
    out = [None if diverged[s] == 1 else eqx.combine(jax.tree.map(lambda x: x[s], params), static)
           for s in range(n_seeds)]
    info = {"loss": losses_all, "alpha": np.asarray(alpha).tolist(), "diverged_epoch": diverged,
            "steps_per_second": epoch * cfg.batches_per_epoch * n_seeds / seconds if seconds > 0 else float("nan"),
            "compile_seconds": compile_seconds}
    return out, info
