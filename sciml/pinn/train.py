"""The generic training loop of physics-informed runs.

One jitted step computes the residuals of a formulation at the sampler's points (vectorised
over points; the Eulerian formulation takes a point's first derivatives from one shared
reverse pass, :mod:`sciml.pinn.derivatives`), the loss (optionally causal), its gradient, an Adam
update with exponentially decaying learning rate, the loss weights (fixed or gradient-norm
balanced), the causal schedule and the sampler's next points. ``chunk`` steps are fused
under one ``lax.scan``: no host round trip inside a chunk. Between chunks the host checks the
losses, stores a checkpoint, and stops with a message on NaN or divergence, keeping the last
good state. An optional L-BFGS phase follows on the final points.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, Int, PRNGKeyArray, PyTree

from .causal import CausalConfig, causal_loss, chunk_losses, next_eps_index
from .losses import LossConfig, grad_norm_weights
from .samplers import AbstractSampler, SamplerState


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation options.

    Attributes:
        steps: Adam steps.
        lr, decay_rate, decay_steps: learning rate ``lr * decay_rate^(step / decay_steps)``;
            with ``staircase`` the exponent is rounded down (PyTorch's ``StepLR``, as in the
            R3 paper's code).
        chunk: steps fused under one ``lax.scan`` (host checks happen between chunks).
        lbfgs_steps: L-BFGS iterations after Adam, on the final points (0: none).
        divergence_factor: a chunk whose last loss exceeds this times the best loss so far,
            and the loss the run started from, counts as diverged (see :func:`divergence_at`).
    """

    steps: int = field(default=5000, metadata={"min": 0})
    lr: float = field(default=1e-3, metadata={"min": 0.0})
    decay_rate: float = field(default=0.9, metadata={"min": 0.0, "max": 1.0})
    decay_steps: int = field(default=5000, metadata={"min": 1})
    staircase: bool = False
    chunk: int = field(default=500, metadata={"min": 1})
    lbfgs_steps: int = field(default=0, metadata={"min": 0})
    divergence_factor: float = field(default=1e6, metadata={"min": 1.0})


def divergence_at(loss: np.ndarray, best: float, start: float, factor: float) -> int | None:
    """The step of a chunk's losses ``loss`` (its index) at which training counts as diverged,
    or None: the first non-finite loss, or the chunk's last step when the chunk ends above both
    ``factor`` times ``best`` (the lowest loss before the chunk) and ``start`` (the loss at the
    run's first step). The second bound keeps Adam's transient spikes out: a loss of 1e-8
    that jumps to 0.25 and recovers (the LPINN on convection) is still far below where it began."""
    bad = ~np.isfinite(loss)
    if bad.any():
        return int(np.argmax(bad))
    return len(loss) - 1 if loss[-1] > max(factor * best, start) else None


class TrainState(eqx.Module):
    """Everything that changes during training (a pytree of arrays)."""

    params: PyTree
    opt_state: PyTree
    sampler_state: SamplerState
    eps_index: Int[Array, ""]
    weights: dict[str, Float[Array, ""]]
    step: Int[Array, ""]
    key: Int[Array, "..."]  # raw key data (jax.random.key_data), so that checkpoints can store it


@dataclass
class TrainResult:
    """What training returns.

    Attributes:
        model: the trained model (the last good one if training diverged).
        state: the final (last good) train state.
        history: per-step arrays ``loss``, ``loss_<part>``, ``weight_<part>``, ``eps``,
            ``min_causal_weight``, ``gate_beta``, ``n_active``, ``lr``, ``step``.
        status: ``"ok"`` (trained to the end, or ``stop_when`` met), ``"diverged"`` or
            ``"incomplete"`` (stopped by the deadline; a resumed run goes on from there).
        message: what happened, in words.
        steps_per_s: Adam steps per second after compilation (None if fewer than 2 chunks).
        compile_s: seconds of the first chunk beyond its share of the steady rate.
        chunk_rates: steps/s of each chunk after the first.
        chunk_seconds: wall seconds of every chunk, the first (compiling) one included.
    """

    model: eqx.Module
    state: TrainState
    history: dict[str, np.ndarray]
    status: str
    message: str
    steps_per_s: float | None
    compile_s: float
    chunk_rates: tuple[float, ...] = ()
    chunk_seconds: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class Trainer:
    """The step function of one run. ``formulation`` gives residuals and data losses (see
    :mod:`sciml.pinn.losses`); ``causal`` is None for plain mean residual losses."""

    model: eqx.Module
    formulation: object
    sampler: AbstractSampler
    loss_cfg: LossConfig
    train_cfg: TrainConfig
    causal: CausalConfig | None = None

    def __post_init__(self):
        params, static = eqx.partition(self.model, eqx.is_inexact_array)
        object.__setattr__(self, "_static", static)
        object.__setattr__(self, "_params0", params)
        cfg = self.train_cfg
        schedule = optax.exponential_decay(cfg.lr, cfg.decay_steps, cfg.decay_rate, staircase=cfg.staircase)
        object.__setattr__(self, "schedule", schedule)
        object.__setattr__(self, "optimizer", optax.adam(schedule))
        object.__setattr__(self, "_chunks", {})

    # -- the pieces ------------------------------------------------------------------------
    def combine(self, params) -> eqx.Module:
        return eqx.combine(params, self._static)

    def init(self, key: PRNGKeyArray) -> TrainState:
        skey, key = jax.random.split(key)
        dtype = jax.tree_util.tree_leaves(self._params0)[0].dtype
        weights = {k: jnp.asarray(v, dtype) for k, v in self.loss_cfg.initial_weights(self.formulation.loss_names).items()}
        return TrainState(self._params0, self.optimizer.init(self._params0), self.sampler.init(skey),
                          jnp.asarray(0, jnp.int32), weights, jnp.asarray(0, jnp.int32), jax.random.key_data(key))

    def residual_loss(self, model, sampler_state: SamplerState, eps_index):
        """``(loss, r2 (n,), causal weights (M,) or (1,))`` at the sampler's points."""
        pts = sampler_state.points
        r2 = jnp.sum(self.formulation.residuals(model, pts) ** 2, axis=1)
        w = self.sampler.weights(sampler_state)
        if self.causal is None:
            return jnp.sum(w * r2) / jnp.sum(sampler_state.active), r2, jnp.ones((1,), r2.dtype)
        eps = jnp.asarray(self.causal.eps, r2.dtype)[eps_index]
        losses = chunk_losses(r2, w, pts[:, 1], self.sampler.t_domain, self.causal.n_chunks)
        loss, cw = causal_loss(losses, eps)
        return loss, r2, cw

    def parts(self, params, sampler_state, eps_index):
        model = self.combine(params)
        res, r2, cw = self.residual_loss(model, sampler_state, eps_index)
        return {"res": res, **self.formulation.data_losses(model)}, (r2, cw)

    def loss(self, params, state: TrainState):
        parts, aux = self.parts(params, state.sampler_state, state.eps_index)
        total = sum(state.weights[k] * parts[k] for k in parts)
        return total, (parts, aux)

    def step(self, state: TrainState, _=None) -> tuple[TrainState, dict]:
        """One Adam step, weights, causal schedule and sampler update; returns the logs."""
        # Points that never change (fixed samplers) would otherwise be loop-invariant inside
        # the fused lax.scan, and XLA's hoisting of work on them makes the step ~7 % slower
        # on CPU (measured); the barrier keeps the step the same whatever the sampler.
        state = eqx.tree_at(lambda s: s.sampler_state, state, jax.lax.optimization_barrier(state.sampler_state))
        key, skey = jax.random.split(jax.random.wrap_key_data(state.key))
        (total, (parts, (r2, cw))), grads = jax.value_and_grad(self.loss, has_aux=True)(state.params, state)
        updates, opt_state = self.optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        weights = state.weights
        if self.loss_cfg.balancing == "grad_norm" and len(weights) > 1:
            def balance(w):
                fn = lambda p: self.parts(p, state.sampler_state, state.eps_index)[0]  # noqa: E731
                return grad_norm_weights(fn, state.params, w, self.loss_cfg.balance_alpha)

            weights = jax.lax.cond(state.step % self.loss_cfg.balance_every == 0, balance, lambda w: w, weights)
        eps_index = state.eps_index if self.causal is None else next_eps_index(state.eps_index, cw, self.causal)
        model = self.combine(params)

        def residual_fn(points):
            return jnp.sqrt(jnp.sum(self.formulation.residuals(model, points) ** 2, axis=1))

        sampler_state = self.sampler.update(state.sampler_state, skey, state.step, jnp.sqrt(r2), residual_fn)
        logs = {"loss": total, **{f"loss_{k}": v for k, v in parts.items()},
                **{f"weight_{k}": v for k, v in state.weights.items()},
                "eps": jnp.asarray(self.causal.eps, total.dtype)[state.eps_index] if self.causal else jnp.zeros_like(total),
                "min_causal_weight": jnp.min(cw), "gate_beta": state.sampler_state.beta,
                "n_active": jnp.sum(state.sampler_state.active), "lr": self.schedule(state.step),
                "step": state.step}
        new = TrainState(params, opt_state, sampler_state, eps_index, weights, state.step + 1, jax.random.key_data(key))
        return new, logs

    def chunk_fn(self, length: int) -> Callable[[TrainState], tuple[TrainState, dict]]:
        """The jitted function running ``length`` fused steps, compiled once per length and
        shared with the trainers made by :meth:`for_window`: the formulation's ``data`` arrays
        (if it has any) are arguments, not constants."""
        if length not in self._chunks:
            template = self

            def run(state, data):
                trainer = template._with_formulation(_with_data(template.formulation, data))
                return jax.lax.scan(trainer.step, state, None, length=length)

            self._chunks[length] = jax.jit(run)
        fn = self._chunks[length]
        return lambda state: fn(state, _data(self.formulation))

    def _with_formulation(self, formulation) -> Trainer:
        new = copy.copy(self)  # shares the compiled chunks, the optimiser and the static model
        object.__setattr__(new, "formulation", formulation)
        return new

    def for_window(self, formulation, model: eqx.Module) -> Trainer:
        """The trainer of another time window of the same problem in the same coordinates:
        ``formulation`` differs from this one only in its ``data`` and ``model`` only in its
        parameter values (the warm start). It runs this trainer's compiled chunks.

        Raises:
            ValueError: the model's structure or static parts differ from this trainer's.
        """
        params, static = eqx.partition(model, eqx.is_inexact_array)
        if jax.tree_util.tree_structure(params) != jax.tree_util.tree_structure(self._params0) or not eqx.tree_equal(
                static, self._static):
            raise ValueError("for_window needs a model of the same structure and static parts as the trainer's")
        new = self._with_formulation(formulation)
        object.__setattr__(new, "_params0", params)
        return new

    def flops_per_step(self, state: TrainState) -> float | None:
        """XLA's FLOP count of one step (compiles the single step), or None if unavailable."""
        try:
            cost = jax.jit(self.step).lower(state).compile().cost_analysis()
        except Exception:  # noqa: BLE001  (backends without cost analysis)
            return None
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        flops = (cost or {}).get("flops")
        return float(flops) if flops else None

    # -- the loop ----------------------------------------------------------------------------
    def fit(self, key: PRNGKeyArray, *, checkpoint: str | Path | None = None, resume: bool = True,
            log: Callable[[str], None] | None = None,
            stop_when: Callable[[eqx.Module, int], bool] | None = None,
            deadline: float | None = None) -> TrainResult:
        """Train ``train_cfg.steps`` Adam steps (then L-BFGS), in chunks.

        ``checkpoint`` is a file stem: after every good chunk the state goes to
        ``<checkpoint>.eqx`` and the history to ``<checkpoint>.npz``; with ``resume``, an
        existing checkpoint is continued from. ``stop_when(model, step)`` is asked after
        every good chunk (outside the timed part); True ends training there (status ``"ok"``,
        no L-BFGS), e.g. once a target error is reached. ``deadline`` (``time.monotonic()``
        seconds) likewise ends training after the first chunk that finishes past it (status
        ``"incomplete"``); a resumed run continues from there.
        """
        cfg = self.train_cfg
        state = self.init(key)
        history: list[dict[str, np.ndarray]] = []
        ckpt = Path(checkpoint) if checkpoint is not None else None
        if ckpt is not None and resume and ckpt.with_suffix(".eqx").exists():
            state = eqx.tree_deserialise_leaves(ckpt.with_suffix(".eqx"), state)
            with np.load(ckpt.with_suffix(".npz")) as old:
                history.append({k: old[k] for k in old.files})
            if log:
                log(f"resumed from {ckpt.with_suffix('.eqx')} at step {int(state.step)}")
        status, message = "ok", f"trained {cfg.steps} steps"
        best = np.inf
        timings: list[tuple[int, float]] = []
        while int(state.step) < cfg.steps:
            length = min(cfg.chunk, cfg.steps - int(state.step))
            start = time.perf_counter()
            new, logs = self.chunk_fn(length)(state)
            loss = np.asarray(logs["loss"])  # blocks until the chunk is done
            timings.append((length, time.perf_counter() - start))
            first, last = int(state.step), int(state.step) + length
            start_loss = float((history[0]["loss"] if history else loss)[0])
            where = divergence_at(loss, best, start_loss, cfg.divergence_factor)
            if where is not None:
                status = "diverged"
                message = (f"training diverged at step {first + where} (loss {loss[where]:.3g}, best {best:.3g}); "
                           f"kept the last good state, step {first}; lower lr or raise the loss weights' balance")
                if log:
                    log(message)
                break
            best = min(best, float(np.min(loss)))
            state = new
            history.append({k: np.asarray(v) for k, v in logs.items()})
            if ckpt is not None:
                _save(ckpt, state, _concat(history))
            if log:
                log(f"step {last}/{cfg.steps} loss {loss[-1]:.3e} " + " ".join(
                    f"{k[5:]} {float(v[-1]):.2e}" for k, v in logs.items() if k.startswith("loss_")))
            if stop_when is not None and last < cfg.steps and stop_when(self.combine(state.params), last):
                message = f"stopped at step {last} of {cfg.steps}: stop_when was met"
                break
            if deadline is not None and last < cfg.steps and time.monotonic() >= deadline:
                status, message = "incomplete", f"stopped at step {last} of {cfg.steps}: time limit"
                if log:
                    log(message)
                break
        if status == "ok" and cfg.lbfgs_steps and int(state.step) >= cfg.steps:
            state, lb = self.lbfgs(state, cfg.lbfgs_steps)
            message += f", then {cfg.lbfgs_steps} L-BFGS iterations (final loss {float(lb[-1]):.3e})"
        steps_per_s = None
        if len(timings) > 1:
            n = sum(n for n, _ in timings[1:])
            steps_per_s = n / sum(t for _, t in timings[1:])
        compile_s = timings[0][1] - timings[0][0] / steps_per_s if timings and steps_per_s else 0.0
        return TrainResult(self.combine(state.params), state, _concat(history), status, message, steps_per_s,
                           max(compile_s, 0.0), tuple(n / t for n, t in timings[1:]), tuple(t for _, t in timings))

    def lbfgs(self, state: TrainState, iterations: int) -> tuple[TrainState, np.ndarray]:
        """L-BFGS with a zoom line search on the current points and weights."""
        value = lambda p: self.loss(p, state)[0]  # noqa: E731
        opt = optax.lbfgs()
        vg = optax.value_and_grad_from_state(value)

        def body(carry, _):
            params, st = carry
            v, g = vg(params, state=st)
            upd, st = opt.update(g, st, params, value=v, grad=g, value_fn=value)
            return (optax.apply_updates(params, upd), st), v

        run = jax.jit(lambda p: jax.lax.scan(body, (p, opt.init(p)), None, length=iterations))
        (params, _), values = run(state.params)
        values = np.asarray(values)
        if not np.isfinite(values).all():
            return state, values
        return eqx.tree_at(lambda s: s.params, state, params), values


def _data(formulation) -> dict:
    return getattr(formulation, "data", {})


def _with_data(formulation, data: dict):
    return formulation.with_data(data) if data else formulation


def _concat(history: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not history:
        return {}
    return {k: np.concatenate([h[k] for h in history]) for k in history[0]}


def _save(stem: Path, state: TrainState, history: dict[str, np.ndarray]) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    for suffix, write in ((".eqx", lambda p: eqx.tree_serialise_leaves(p, state)),
                          (".npz", lambda p: np.savez(p, **history))):
        tmp = stem.with_name(stem.name + ".tmp" + suffix)
        write(tmp)
        tmp.replace(stem.with_suffix(suffix))
