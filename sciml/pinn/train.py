"""The generic training loop of physics-informed runs.

One jitted step computes the residuals of a formulation at the sampler's points (vectorised
over points; the Eulerian formulation takes a point's first derivatives from one shared
reverse pass, :mod:`sciml.pinn.derivatives`), the loss (optionally causal), its gradient, an Adam
update with exponentially decaying learning rate, the loss weights (fixed or gradient-norm
balanced), the causal schedule and the sampler's next points. ``chunk`` steps are fused
under one ``lax.scan``: no host round trip inside a chunk. Between chunks the host checks the
losses, stores a checkpoint, and stops with a message on NaN or divergence, keeping the last
good state. An optional L-BFGS phase follows on the final points, likewise in chunks of fused
iterations (a ``lax.while_loop`` that ends early once the loss stops changing), with progress,
checkpoints, the deadline and the non-finite check between chunks.
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
        lbfgs_tol: L-BFGS stops once an iteration changes the loss by at most this fraction of
            it (PyTorch's ``tolerance_change``, made relative like scipy's ``ftol``); 0 runs all
            ``lbfgs_steps``.
        lbfgs_chunk: L-BFGS iterations fused per jitted call (progress, checkpoints and the
            deadline are checked between calls).
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
    lbfgs_tol: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    lbfgs_chunk: int = field(default=100, metadata={"min": 1})
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


LBFGS_RUNNING, LBFGS_CONVERGED, LBFGS_NONFINITE = 0, 1, 2


class LbfgsState(eqx.Module):
    """The L-BFGS phase's state (a pytree of arrays, checkpointed between chunks).

    ``stop`` is ``LBFGS_RUNNING``, ``LBFGS_CONVERGED`` (an iteration changed the loss by at most
    ``lbfgs_tol`` of it) or ``LBFGS_NONFINITE`` (an iteration's loss was not finite; its update
    was not taken)."""

    params: PyTree
    opt_state: PyTree
    iteration: Int[Array, ""]
    stop: Int[Array, ""]


@dataclass
class LbfgsResult:
    """What the L-BFGS phase returns: the state with the new parameters, the loss after each
    iteration, the line-search steps of each iteration, whether the deadline cut
    it (a resumed run goes on from its checkpoint) and what happened, in words."""

    state: TrainState
    loss: np.ndarray
    linesearch_steps: np.ndarray
    incomplete: bool
    message: str


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
        lbfgs_loss: the loss after each L-BFGS iteration (empty without L-BFGS).
        lbfgs_linesearch_steps: the line-search steps (each one loss and gradient evaluation)
            of each L-BFGS iteration.
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
    lbfgs_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lbfgs_linesearch_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))


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
        object.__setattr__(self, "lbfgs_optimizer", optax.lbfgs())
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

    def residual_loss(self, model, sampler_state: SamplerState, eps_index, causal_weights=None):
        """``(loss, r2 (n,), causal weights (M,) or (1,))`` at the sampler's points; given
        ``causal_weights`` (M,), causal training uses them instead of those of the model's
        chunk losses."""
        pts = sampler_state.points
        r2 = jnp.sum(self.formulation.residuals(model, pts) ** 2, axis=1)
        w = self.sampler.weights(sampler_state)
        if self.causal is None:
            return jnp.sum(w * r2) / jnp.sum(sampler_state.active), r2, jnp.ones((1,), r2.dtype)
        losses = chunk_losses(r2, w, pts[:, 1], self.sampler.t_domain, self.causal.n_chunks)
        if causal_weights is not None:
            return jnp.mean(causal_weights * losses), r2, causal_weights
        eps = jnp.asarray(self.causal.eps, r2.dtype)[eps_index]
        loss, cw = causal_loss(losses, eps)
        return loss, r2, cw

    def parts(self, params, sampler_state, eps_index, causal_weights=None):
        model = self.combine(params)
        res, r2, cw = self.residual_loss(model, sampler_state, eps_index, causal_weights)
        return {"res": res, **self.formulation.data_losses(model)}, (r2, cw)

    def loss(self, params, state: TrainState, causal_weights=None):
        parts, aux = self.parts(params, state.sampler_state, state.eps_index, causal_weights)
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
                for suffix in (".eqx", ".npz"):  # an L-BFGS phase of an earlier Adam state is stale
                    _lbfgs_stem(ckpt).with_suffix(suffix).unlink(missing_ok=True)
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
        lbfgs = None
        if status == "ok" and cfg.lbfgs_steps and int(state.step) >= cfg.steps:
            lbfgs = self.lbfgs(state, cfg.lbfgs_steps, checkpoint=ckpt, resume=resume, log=log, deadline=deadline)
            state = lbfgs.state
            message += f", then {lbfgs.message}"
            if lbfgs.incomplete:
                status = "incomplete"
        steps_per_s = None
        if len(timings) > 1:
            n = sum(n for n, _ in timings[1:])
            steps_per_s = n / sum(t for _, t in timings[1:])
        compile_s = timings[0][1] - timings[0][0] / steps_per_s if timings and steps_per_s else 0.0
        return TrainResult(self.combine(state.params), state, _concat(history), status, message, steps_per_s,
                           max(compile_s, 0.0), tuple(n / t for n, t in timings[1:]), tuple(t for _, t in timings),
                           *((lbfgs.loss, lbfgs.linesearch_steps) if lbfgs is not None else ()))

    def lbfgs_chunk_fn(self, size: int) -> Callable[[LbfgsState, TrainState, int], tuple]:
        """The jitted L-BFGS chunk: up to ``n <= size`` iterations of ``optax.lbfgs`` (zoom line
        search) on the loss at ``state``'s points and weights, fused under one ``lax.while_loop``
        that ends early when the state's ``stop`` is set. Returns the new :class:`LbfgsState`,
        the loss after each iteration (size,) and each iteration's line-search steps
        (size,), both padded past the last iteration. Compiled once per size and trainer
        family (shared with :meth:`for_window`'s trainers)."""
        if ("lbfgs", size) not in self._chunks:
            template, tol = self, self.train_cfg.lbfgs_tol

            def run(lb: LbfgsState, state: TrainState, n, data):
                trainer = template._with_formulation(_with_data(template.formulation, data))
                value = lambda p: trainer.loss(p, state, trainer._lbfgs_causal_weights())[0]  # noqa: E731
                value_and_grad = optax.value_and_grad_from_state(value)

                def body(carry):
                    lb, i, losses, evals = carry
                    v, g = value_and_grad(lb.params, state=lb.opt_state)
                    upd, opt_state = template.lbfgs_optimizer.update(g, lb.opt_state, lb.params, value=v, grad=g,
                                                                     value_fn=value)
                    params = optax.apply_updates(lb.params, upd)
                    new_v = optax.tree_utils.tree_get(opt_state, "value")
                    finite = jnp.isfinite(new_v) & jnp.all(jnp.array(
                        [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(params)]))
                    flat = (tol > 0) & (jnp.abs(v - new_v) <= tol * jnp.maximum(jnp.abs(v), jnp.abs(new_v)))
                    keep = lambda a, b: jax.tree_util.tree_map(lambda x, y: jnp.where(finite, x, y), a, b)  # noqa: E731
                    stop = jnp.where(finite, jnp.where(flat, LBFGS_CONVERGED, LBFGS_RUNNING), LBFGS_NONFINITE)
                    new = LbfgsState(keep(params, lb.params), keep(opt_state, lb.opt_state),
                                     lb.iteration + finite.astype(lb.iteration.dtype), stop.astype(lb.stop.dtype))
                    steps = optax.tree_utils.tree_get(opt_state, "num_linesearch_steps")
                    return new, i + 1, losses.at[i].set(new_v), evals.at[i].set(jnp.asarray(steps, jnp.int32))

                def cond(carry):
                    lb, i, _, _ = carry
                    return (i < n) & (lb.stop == LBFGS_RUNNING)

                dtype = jax.tree_util.tree_leaves(lb.params)[0].dtype
                carry = (lb, jnp.asarray(0, jnp.int32), jnp.full((size,), jnp.nan, dtype),
                         jnp.zeros((size,), jnp.int32))
                lb, _, losses, evals = jax.lax.while_loop(cond, body, carry)
                return lb, losses, evals

            self._chunks[("lbfgs", size)] = jax.jit(run)
        fn = self._chunks[("lbfgs", size)]
        return lambda lb, state, n: fn(lb, state, jnp.asarray(n, jnp.int32), _data(self.formulation))

    def _lbfgs_causal_weights(self) -> Float[Array, " M"] | None:
        """Causal training's chunk weights in the L-BFGS phase: all 1, so that it minimises
        the residual loss itself. Recomputed from the parameters, as in the Adam steps, they
        make the line search's loss one whose (stop-gradient) gradient is not its derivative:
        on quick Burgers (4000 causal Adam steps, then 500 L-BFGS iterations, seed 0) the phase
        took 13 line-search steps an iteration and left the error where Adam had (0.271); the
        weights of its start held fixed took 1.1 and raised it to 0.476, weights fixed anew
        each iteration 0.226, all 1 0.128."""
        if self.causal is None:
            return None
        dtype = jax.tree_util.tree_leaves(self._params0)[0].dtype
        return jnp.ones((self.causal.n_chunks,), dtype)

    def lbfgs(self, state: TrainState, iterations: int, *, checkpoint: str | Path | None = None,
              resume: bool = True, log: Callable[[str], None] | None = None,
              deadline: float | None = None) -> LbfgsResult:
        """L-BFGS with a zoom line search on the current points and loss weights (causal
        training's chunk weights all 1, see :meth:`_lbfgs_causal_weights`), ``lbfgs_chunk``
        iterations per jitted call, until ``iterations`` are done, the loss stops changing
        (``lbfgs_tol``) or an iteration's loss is not finite (that update is not taken).

        ``checkpoint`` is :meth:`fit`'s stem: after every chunk the phase's state goes to
        ``<stem>-lbfgs.eqx`` and its losses to ``<stem>-lbfgs.npz``, continued from with
        ``resume``. ``deadline`` ends the phase after the first chunk that finishes past it
        (``incomplete``)."""
        size = self.train_cfg.lbfgs_chunk
        fn = self.lbfgs_chunk_fn(size)
        lb = LbfgsState(state.params, self.lbfgs_optimizer.init(state.params), jnp.asarray(0, jnp.int32),
                        jnp.asarray(LBFGS_RUNNING, jnp.int32))
        loss = np.zeros(0, jax.tree_util.tree_leaves(state.params)[0].dtype)  # after each iteration so far
        linesearch_steps = np.zeros(0, np.int32)
        stem = None if checkpoint is None else _lbfgs_stem(Path(checkpoint))
        if stem is not None and resume and stem.with_suffix(".eqx").exists():
            lb = eqx.tree_deserialise_leaves(stem.with_suffix(".eqx"), lb)
            with np.load(stem.with_suffix(".npz")) as old:
                loss, linesearch_steps = old["loss"], old["linesearch_steps"]
            if log:
                log(f"resumed L-BFGS from {stem.with_suffix('.eqx')} at iteration {int(lb.iteration)}")
        incomplete = False
        while int(lb.iteration) < iterations and int(lb.stop) == LBFGS_RUNNING:
            done = int(lb.iteration)
            lb, chunk_loss, chunk_evals = fn(lb, state, min(size, iterations - done))
            ran = int(lb.iteration) - done  # the iterations taken (a non-finite one is not)
            loss = np.concatenate([loss, np.asarray(chunk_loss)[:ran]])
            linesearch_steps = np.concatenate([linesearch_steps, np.asarray(chunk_evals)[:ran]])
            if stem is not None:
                _save(stem, lb, {"loss": loss, "linesearch_steps": linesearch_steps})
            if log and ran:
                log(f"L-BFGS {int(lb.iteration)}/{iterations} loss {loss[-1]:.3e} "
                    f"({int(linesearch_steps.sum())} line-search steps so far)")
            if (deadline is not None and int(lb.iteration) < iterations and int(lb.stop) == LBFGS_RUNNING
                    and time.monotonic() >= deadline):
                incomplete = True
                break
        n, stop = int(lb.iteration), int(lb.stop)
        final = f" (final loss {loss[-1]:.3e}, {int(linesearch_steps.sum())} line-search steps)" if len(loss) else ""
        if stop == LBFGS_NONFINITE:
            message = f"L-BFGS stopped at iteration {n + 1} of {iterations}: non-finite loss; kept iteration {n}{final}"
        elif stop == LBFGS_CONVERGED:
            message = (f"{n} L-BFGS iterations, stopped early: the loss changed by at most "
                       f"{self.train_cfg.lbfgs_tol:g} of itself{final}")
        elif incomplete:
            message = f"L-BFGS stopped at iteration {n} of {iterations}: time limit{final}"
        else:
            message = f"{n} L-BFGS iterations{final}"
        if log and (stop != LBFGS_RUNNING or incomplete):
            log(message)
        new = eqx.tree_at(lambda s: s.params, state, lb.params)
        return LbfgsResult(new, loss, linesearch_steps, incomplete, message)


def _data(formulation) -> dict:
    return getattr(formulation, "data", {})


def _with_data(formulation, data: dict):
    return formulation.with_data(data) if data else formulation


def _concat(history: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not history:
        return {}
    return {k: np.concatenate([h[k] for h in history]) for k in history[0]}


def _save(stem: Path, state: eqx.Module, history: dict[str, np.ndarray]) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    for suffix, write in ((".eqx", lambda p: eqx.tree_serialise_leaves(p, state)),
                          (".npz", lambda p: np.savez(p, **history))):
        tmp = stem.with_name(stem.name + ".tmp" + suffix)
        write(tmp)
        tmp.replace(stem.with_suffix(suffix))


def _lbfgs_stem(stem: Path) -> Path:
    return stem.with_name(stem.name + "-lbfgs")
