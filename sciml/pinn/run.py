"""One physics-informed run: check the config against the problem, train (in time-marching
windows if asked), evaluate against the problem's reference solution, and return the
prediction, its error and the loss history as xarray Datasets.

>>> cfg = RunConfig(problem="convection", params={"beta": 50.0}, method="r3")
>>> result = run(cfg)
>>> result.rel_l2, result.prediction["error"]
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from . import methods
from .causal import CausalConfig
from .losses import EulerianPinn, LossConfig
from .lpinn import LagrangianPinn, build_lagrangian
from .networks import NetworkConfig, build_network, check_fits
from .samplers import SamplerConfig, build_sampler
from .train import TrainConfig, Trainer, TrainResult


@dataclass(frozen=True)
class RunConfig:
    """A run: the problem (a :mod:`pdes.problems` name, variant and parameter overrides),
    the method (:mod:`sciml.pinn.methods`), and the options of each piece.

    Attributes:
        windows: time-marching windows; window ``k > 0`` starts from the prediction of
            window ``k - 1`` at its end, warm-started from its parameters.
        eval_grid: ``(nx, nt)`` of the reference; None for the problem's default grid.
    """

    problem: str
    method: str = "pinn"
    variant: str = "default"
    params: dict[str, float] = field(default_factory=dict)
    network: NetworkConfig = NetworkConfig()
    sampler: SamplerConfig = SamplerConfig()
    loss: LossConfig = LossConfig()
    train: TrainConfig = TrainConfig()
    causal: CausalConfig = CausalConfig()
    windows: int = 1
    seed: int = 0
    eval_grid: tuple[int, int] | None = None


@dataclass
class RunResult:
    """A finished run: ``rel_l2`` over the reference grid, ``prediction`` (``u``,
    ``u_ref``, ``error`` on ``(t, x)``), ``history`` (losses on ``step``), the train
    results per window, the wall time and, with a target error, ``error_trace``: the
    ``(step, rel_l2)`` checked after every chunk."""

    rel_l2: float
    prediction: xr.Dataset
    history: xr.Dataset
    windows: list[TrainResult]
    wall_s: float
    error_trace: list[tuple[int, float]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return run_status(self.windows)


def run_status(results) -> str:
    """A run's status from its windows' train results: ``"diverged"`` if one diverged, else
    ``"incomplete"`` if one was stopped by the time limit, else ``"ok"``."""
    statuses = {r.status for r in results}
    return next((s for s in ("diverged", "incomplete") if s in statuses), "ok")


def resolve(cfg: RunConfig):
    """``(problem, params, method)`` for ``cfg``, or a one-line ValueError (nothing compiles)."""
    from pdes import problems

    method = methods.get(cfg.method)
    try:
        problem = problems.get(cfg.problem, variant=cfg.variant)
    except problems.UnknownProblemError as err:
        raise ValueError(str(err)) from None
    params = problem.resolve_params(cfg.params)
    if cfg.windows < 1:
        raise ValueError(f"windows must be >= 1, got {cfg.windows}")
    if method.lagrangian:
        from .lpinn import form_for

        form_for(problem)
        if cfg.windows > 1:
            raise ValueError("lpinn does not support time-marching windows; set windows=1")
        if cfg.network.ic == "soft":
            pass  # the LPINN imposes its initial conditions exactly in any case
    else:
        check_fits(cfg.network, problem, params)
    build_sampler(method.sampler, cfg.sampler, problem.x_domain, problem.t_domain)
    return problem, params, method


class _PreviousWindow:
    """``u0(x) = u(x, t_k)`` of the previous window's network (vectorised over ``x``)."""

    def __init__(self, model, t_k: float):
        self.model, self.t_k = model, t_k

    def __call__(self, x, params=None):
        x = jnp.asarray(x)
        return jnp.vectorize(lambda xi: self.model(xi, jnp.asarray(self.t_k, xi.dtype)))(x)


def run(cfg: RunConfig, *, checkpoint_dir: str | Path | None = None, resume: bool = True,
        log: Callable[[str], None] | None = None, target_rel_l2: float | None = None,
        time_limit_s: float | None = None) -> RunResult:
    """Train and evaluate ``cfg``; see :class:`RunResult`.

    ``target_rel_l2``: in the last time window, check the relative L2 error of the whole
    prediction against the reference after every chunk (``train.chunk`` steps; the check is
    not part of the chunk timings) and stop once it is below this.
    ``time_limit_s``: wall seconds for the whole run, shared equally by the time windows
    (window ``k`` stops after the chunk that ends past ``(k + 1) / windows`` of it); the run
    is then evaluated as it stands and the prediction's ``message`` says where each window
    stopped. With a checkpoint directory, a later run resumes from there.
    """
    problem, params, method = resolve(cfg)
    nx, nt = cfg.eval_grid or problem.grid
    ref = problem.reference(nx, nt, params=params)
    x, t, u_ref = ref.x.values, ref.t.values, ref.u.values
    ref_norm = np.linalg.norm(u_ref - problem.error_norm_offset(params))
    t0, t1 = problem.t_domain
    edges = np.linspace(t0, t1, cfg.windows + 1)
    which = np.minimum(np.searchsorted(edges, t, side="right") - 1, cfg.windows - 1)
    results, models, formulations = [], [], []
    trace: list[tuple[int, float]] = []

    def predict_all(models, formulations):
        u = np.full((len(t), len(x)), np.nan)
        for k, (model, form) in enumerate(zip(models, formulations)):
            rows = which == k
            if rows.any():
                u[rows] = form.predict(model, x, t[rows] - shift[k])
        return u, float(np.linalg.norm(np.nan_to_num(u - u_ref, nan=np.inf)) / ref_norm)

    def reached(k, form):
        def stop_when(model, step: int) -> bool:
            trace.append((step, predict_all([*models, model], [*formulations, form])[1]))
            return trace[-1][1] < target_rel_l2

        return stop_when if target_rel_l2 is not None and k == cfg.windows - 1 else None

    # Windows of an autonomous problem are all trained in the first window's time coordinates
    # (window k's network sees t - shift[k]), so that they share one compiled step; an exactly
    # imposed initial condition is part of the network and needs a network per window.
    shared = (cfg.windows > 1 and problem.autonomous and not method.lagrangian
              and cfg.network.ic != "exact")
    shift = [float(edges[k] - edges[0]) if shared else 0.0 for k in range(cfg.windows)]
    first = None  # the first window's trainer, whose compiled chunks the others run (shared)
    start = time.perf_counter()
    clock0 = time.monotonic()
    key = jax.random.key(cfg.seed)
    previous = None
    for k in range(cfg.windows):
        key, nkey, tkey = jax.random.split(key, 3)
        sub = problem
        if cfg.windows > 1:
            lo, hi = (edges[0], edges[1]) if shared else (edges[k], edges[k + 1])  # the same floats: one compile
            sub = dataclasses.replace(problem, t_domain=(float(lo), float(hi)))
            if previous is not None:  # u0 = the previous network at the end of its window
                sub = dataclasses.replace(sub, initial=_PreviousWindow(previous, float(edges[1] if shared else lo)))
        if method.lagrangian:
            model = build_lagrangian(cfg.network, sub, params, key=nkey)
            form = LagrangianPinn.build(sub, params, cfg.network, cfg.loss, cfg.network.dtype)
        else:
            model = build_network(cfg.network, sub, params, key=nkey)
            form = EulerianPinn.build(sub, params, cfg.network, cfg.loss, cfg.network.dtype)
        if previous is not None:  # warm start: same architecture, new window
            arrays, static = eqx.partition(model, eqx.is_array)
            arrays = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(arrays),
                                                  jax.tree_util.tree_leaves(eqx.filter(previous, eqx.is_array)))
            model = eqx.combine(arrays, static)
        if shared and first is not None:
            trainer = first.for_window(form, model)
        else:
            sampler = build_sampler(method.sampler, cfg.sampler, sub.x_domain, sub.t_domain, cfg.network.dtype,
                                    steps=cfg.train.steps)
            trainer = first = Trainer(model, form, sampler, cfg.loss, cfg.train, cfg.causal if method.causal else None)
        ckpt = None if checkpoint_dir is None else Path(checkpoint_dir) / f"window{k}"
        if log and cfg.windows > 1:
            log(f"window {k + 1}/{cfg.windows}: t in [{edges[k]:.4g}, {edges[k + 1]:.4g}]")
        deadline = None if not time_limit_s else clock0 + time_limit_s * (k + 1) / cfg.windows
        result = trainer.fit(tkey, checkpoint=ckpt, resume=resume, log=log, stop_when=reached(k, form),
                             deadline=deadline)
        results.append(result)
        models.append(result.model)
        formulations.append(form)
        previous = result.model
        if result.status == "diverged":  # a window cut by the time limit still hands on its state
            break
    wall = time.perf_counter() - start
    u, rel_l2 = predict_all(models, formulations)
    prediction = _prediction(cfg, problem, params, ref, u, rel_l2, results)
    return RunResult(rel_l2, prediction, _history(results), results, wall, trace)


def _prediction(cfg, problem, params, ref, u, rel_l2, results) -> xr.Dataset:
    status = run_status(results)
    ds = xr.Dataset(
        {
            "u": (("t", "x"), u, {"long_name": f"PINN prediction of u ({cfg.method})", "units": "1"}),
            "u_ref": (("t", "x"), ref.u.values, {"long_name": f"reference u ({ref.attrs.get('method', '')})",
                                                  "units": "1"}),
            "error": (("t", "x"), u - ref.u.values, {"long_name": "prediction minus reference", "units": "1"}),
        },
        coords={"x": ref.x, "t": ref.t},
        attrs={
            "problem": problem.name, "variant": problem.variant_name, "equation": problem.equation,
            "parameters": json.dumps(params), "method": cfg.method, "rel_l2": rel_l2, "status": status,
            "message": "; ".join(r.message for r in results), "seed": cfg.seed, "windows": cfg.windows,
            "steps_trained": int(sum(len(r.history.get("loss", ())) for r in results)),
        },
    )
    if problem.error_offset is not None:  # rel_l2 is relative to |u_ref - offset|
        ds.attrs["rel_l2_offset"] = problem.error_norm_offset(params)
    return ds


def _history(results: list[TrainResult]) -> xr.Dataset:
    keys = sorted({k for r in results for k in r.history if k != "step"})
    n = [len(r.history.get("loss", ())) for r in results]
    data = {}
    for k in keys:
        data[k] = np.concatenate([r.history.get(k, np.full(m, np.nan)) for r, m in zip(results, n)]).astype(float)
    window = np.concatenate([np.full(m, i) for i, m in enumerate(n)]) if n else np.zeros(0)
    step = np.arange(int(sum(n)))
    variables = {k: ("step", v, {"long_name": _LONG.get(k, k.replace("_", " ")), "units": "1"})
                 for k, v in data.items()}
    variables["window"] = ("step", window.astype(np.int32), {"long_name": "time-marching window", "units": "1"})
    coords = {"step": ("step", step, {"long_name": "optimiser step", "units": "1"})}
    m = [len(r.lbfgs_loss) for r in results]
    if sum(m):  # the L-BFGS phase of each window, after its Adam steps
        variables["lbfgs_loss"] = ("lbfgs_iteration", np.concatenate([r.lbfgs_loss for r in results]).astype(float),
                                   {"long_name": "weighted total loss after the L-BFGS iteration", "units": "1"})
        variables["lbfgs_linesearch_steps"] = (
            "lbfgs_iteration", np.concatenate([r.lbfgs_linesearch_steps for r in results]).astype(np.int32),
            {"long_name": "line-search steps (loss and gradient evaluations) of the L-BFGS iteration", "units": "1"})
        variables["lbfgs_window"] = ("lbfgs_iteration", np.concatenate([np.full(k, i) for i, k in enumerate(m)])
                                     .astype(np.int32), {"long_name": "time-marching window", "units": "1"})
        coords["lbfgs_iteration"] = ("lbfgs_iteration", np.arange(sum(m)),
                                     {"long_name": "L-BFGS iteration", "units": "1"})
    return xr.Dataset(variables, coords=coords)


_LONG = {
    "loss": "weighted total loss",
    "loss_res": "residual loss (causally weighted if causal)",
    "loss_ic": "initial condition loss",
    "loss_bc": "boundary condition loss",
    "eps": "causality parameter eps",
    "min_causal_weight": "smallest causal weight",
    "gate_beta": "causal R3 gate shift beta",
    "n_active": "collocation points in use",
    "lr": "learning rate",
}
